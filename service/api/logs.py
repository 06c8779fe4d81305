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
    renderer: structlog.typing.Processor
    if json:
        renderer = structlog.processors.JSONRenderer()
        processors += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(serializer=orjson.dumps)]
        factory = structlog.BytesLoggerFactory(sys.stderr.buffer)
    else:
        # Plain tracebacks: the default pretty one prints local variables, which hold screened names.
        renderer = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
        processors.append(renderer)
        factory = structlog.PrintLoggerFactory(sys.stderr)
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )
    # Libraries that log through the standard library (uvicorn's start-up and shutdown lines) render the same way,
    # so a JSON log stays JSON from the first line.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.processors.TimeStamper(fmt="iso", utc=True)],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *([structlog.processors.format_exc_info] if json else []),
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
    # httpx logs every request with its full URL at INFO: webhook URLs and list URLs may carry tokens in their
    # query. Our own events name webhook ids and redacted URLs instead.
    logging.getLogger("httpx").setLevel(max(numeric, logging.WARNING))
