"""The members' app at ``/app/``: one HTML shell (``web/members/index.html``) whose script and
styles are the esbuild bundle (``web/dist/members.js``, built by ``make setup`` from
``web/members/*.ts``) and ``web/members/members.css``, versioned by content hash as the
transparency page's assets are (`cmir.api.webpage`)."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cmir.api.webpage import ASSET_REFERENCE, ASSETS, PAGE, WEB, not_modified

SHELL = WEB / "members" / "index.html"


def app_page() -> tuple[bytes, str]:
    """The app's HTML with every asset URL versioned by its hash, and the page's weak ETag."""
    html = SHELL.read_text(encoding="utf-8")
    html = ASSET_REFERENCE.sub(lambda m: f'{m["attr"]}="{ASSETS.url(m["url"])}"', html)
    body = html.encode("utf-8")
    return body, f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def install_members_app(app: FastAPI) -> None:
    """Serve the members' app at ``/app/`` (``/app`` redirects there)."""

    @app.get("/app", include_in_schema=False)
    async def app_redirect() -> RedirectResponse:
        return RedirectResponse("/app/", status_code=308)

    @app.get("/app/", include_in_schema=False)
    async def members_app(request: Request) -> Response:
        body, etag = app_page()
        headers = {"Cache-Control": PAGE, "ETag": etag}
        if not_modified(request, etag):
            return Response(status_code=304, headers=headers)
        return HTMLResponse(body, headers=headers)
