"""structlog set-up for the server: key=value lines for people, JSON lines when SANCTIONS_LOG_JSON is set.

Events carry routes, statuses, latencies, list ids and counts; never screened names, birth dates or API keys.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import orjson
import structlog


def configure_logging(level: str = "INFO", *, json: bool = False, only_if_unset: bool = False) -> None:
    """Configure structlog for this process; `only_if_unset` leaves a configuration made elsewhere alone."""
    if only_if_unset and structlog.is_configured():
        return
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    factory: Callable[..., Any]
    if json:
        processors += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(serializer=orjson.dumps)]
        factory = structlog.BytesLoggerFactory(sys.stderr.buffer)
    else:
        # Plain tracebacks: the default pretty one prints local variables, which hold screened names.
        processors.append(
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
        )
        factory = structlog.PrintLoggerFactory(sys.stderr)
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )
    # Libraries that log through the standard library (uvicorn's start-up lines) follow the same level.
    logging.basicConfig(level=numeric, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
