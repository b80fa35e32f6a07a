"""The transparency page: ``/`` serves ``cmir/api/web/index.html``, ``/web/`` its scripts and
styles, ``/vendor/echarts/`` Apache ECharts (nothing from a CDN). All of them are the package's
data: ``make setup`` copies ECharts from the npm install into ``web/vendor/`` (build output, not
committed), so an installed package serves the page from any directory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB = Path(__file__).resolve().parent / "web"
ECHARTS = WEB / "vendor"


def install_web(app: FastAPI) -> None:
    """Mount the page and its assets (the page works without charts if ECharts is missing)."""

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/web", StaticFiles(directory=WEB), name="web")
    app.mount("/vendor/echarts", StaticFiles(directory=ECHARTS, check_dir=False), name="echarts")
