"""`sanctions serve`: uvicorn in this process, or several worker processes under a supervisor.

Run one worker per CPU core (`--workers 2` on a 2-core machine): screening is CPU-bound Python, so a process
per core is what scales. With several workers the supervisor (service.api.supervisor) loads the lists once and
forks the workers from that state, one sync process runs the sync loop for all of them, and /metrics adds up
every worker's counters.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from service.settings import Settings


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    import uvicorn

    from service.api.logs import configure_logging

    configure_logging(settings.log_level, json=settings.log_json)
    common = {
        "host": host,
        "port": port,
        "access_log": False,  # RequestGuard logs every request without the query string
        "log_level": settings.log_level.lower(),
        "timeout_graceful_shutdown": 10,
        "timeout_keep_alive": max(1, round(settings.keep_alive_s)),  # uvicorn takes whole seconds
        "server_header": False,
        "log_config": None,  # uvicorn's loggers propagate to the root handler set by configure_logging
    }
    if workers <= 1:
        from service.api.app import create_app

        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
        return

    # Must be set before this process or the workers first import prometheus_client.
    metrics_dir = tempfile.mkdtemp(prefix="sanctions-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    from service.api.supervisor import Supervisor

    options = {k: v for k, v in common.items() if k not in ("host", "port")}
    try:
        code = Supervisor(
            settings, host=host, port=port, workers=workers, uvicorn_options=options, metrics_dir=metrics_dir
        ).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    if code:
        raise SystemExit(code)
