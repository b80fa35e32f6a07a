"""The production server: uvicorn with uvloop and httptools, `Settings.workers` processes,
no access log (``python -m backend``)."""

from __future__ import annotations

import sys

import uvicorn

from backend.settings import Settings


def serve(settings: Settings | None = None) -> None:
    """Serve the API until interrupted (SIGINT/SIGTERM stop it gracefully)."""
    settings = settings or Settings()
    # Queries run on worker threads: a shorter GIL switch interval keeps the event loop (which
    # serves cached responses) from waiting up to 5 ms behind a thread building a response.
    sys.setswitchinterval(0.001)
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        backlog=2048,
        timeout_keep_alive=30,
        proxy_headers=False,
    )
