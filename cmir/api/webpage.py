"""The transparency page and the API's documentation, with nothing from a CDN: ``/`` serves
``cmir/api/web/index.html`` (so do ``/membres/{address}`` and ``/projets/{id}``, the page of one
member or one project), ``/web/`` its scripts and styles and ``/web/dist/`` the bundles esbuild
builds from ``web/`` (the charts: ECharts' parts the page uses, loaded when a chart comes into
view), ``/docs`` Swagger UI from ``/vendor/swagger-ui/``. All of them are the package's data:
``make setup`` builds the bundles and copies Swagger UI from the npm install into ``web/vendor/``
(build output, not committed), so an installed package serves the page from any directory.

First paint: the server fills the page's French labels, its key figures and the first answers
the script needs into the HTML (`cmir.api.webfirst`), so nothing waits for a script to show them.

Caching: the page itself is ``no-cache`` (revalidated on every visit, a 304 when unchanged), and
it names each asset with its content's hash (``/web/app.js?v=<hash>``). An asset asked for with
its current hash never changes under that URL and is cached for a year; asked for without it
(or with an old one), briefly, then revalidated with its ETag.

Compression: a text asset is gzipped once per process (and again when the file changes) and sent
so to the clients that accept gzip; the API's cached JSON is compressed once per answer by the
response cache (`cmir.api.cache.ResponseCache.gzipped`), and what it does not keep by
`GZipWhenAsked` (installed by `cmir.api.app`, outside the response cache)."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import QueryParams
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Message, Receive, Scope, Send

from cmir.api.cache import VARY, accepts_gzip
from cmir.api.webfirst import first_data, first_paint

WEB = Path(__file__).resolve().parent / "web"
VENDOR = WEB / "vendor"
SWAGGER_UI = VENDOR / "swagger-ui"
#: The bundles' shared and lazily imported parts (``chunk-<hash>.js``): their names change with
#: their content, so they are cached for a year without a ``?v=``.
CHUNKS = WEB / "dist" / "chunks"

#: Where each URL prefix is served from (the longest prefix wins).
MOUNTS = {"/web": WEB, "/vendor/swagger-ui": SWAGGER_UI}
#: An asset under its current content hash: the URL changes with the content.
IMMUTABLE = "public, max-age=31536000, immutable"
#: An asset without its hash (or an old one, from a page kept open): a new version reaches every
#: reader within five minutes, then costs a 304 when unchanged.
REVALIDATED = "public, max-age=300"
PAGE = "no-cache"
#: Text files, sent gzipped (images and fonts are compressed already).
COMPRESSIBLE = frozenset({".css", ".html", ".js", ".json", ".map", ".svg", ".txt"})
#: An asset named in index.html (``data-charts``: the charts' bundle, imported by app.js).
ASSET_REFERENCE = re.compile(r'(?P<attr>src|href|data-charts)="(?P<url>/(?:web|vendor)/[^"?#]+)"')
ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


class AssetCache:
    """What the server derives from each asset file, kept until the file changes (modification
    time or size; editing app.js under a running server gives it a new URL): its content hash,
    the version in its URL, and for text files its gzip. Compressed once at level 9 rather than
    on each download: ECharts' 1.1 MB took about 45 ms of CPU per visitor at level 6."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[tuple[int, int], str, bytes | None]] = {}
        self._lock = threading.Lock()

    def _entry(
        self, path: str | os.PathLike[str], stat: os.stat_result | None
    ) -> tuple[tuple[int, int], str, bytes | None] | None:
        try:
            stat = stat or os.stat(path)
            key, stamp = os.fspath(path), (stat.st_mtime_ns, stat.st_size)
            entry = self._known.get(key)
            if entry is not None and entry[0] == stamp:
                return entry
            content = Path(path).read_bytes()
        except OSError:
            return None
        digest = hashlib.sha256(content).hexdigest()[:16]
        packed = gzip.compress(content, 9, mtime=0) if Path(path).suffix in COMPRESSIBLE else None
        with self._lock:
            self._known[key] = entry = (stamp, digest, packed)
        return entry

    def version(self, path: str | os.PathLike[str], stat: os.stat_result | None = None) -> str | None:
        """The first 16 hex digits of the file's SHA-256, or None when it is missing."""
        entry = self._entry(path, stat)
        return entry[1] if entry else None

    def gzipped(self, path: str | os.PathLike[str], stat: os.stat_result | None = None) -> bytes | None:
        """The file's gzip, or None (missing, or not text: images are compressed already)."""
        entry = self._entry(path, stat)
        return entry[2] if entry else None

    def url(self, url: str) -> str:
        """`url` (an asset's path on this server) with ``?v=<hash>``, or as is when unknown."""
        prefix = max((p for p in MOUNTS if url.startswith(p + "/")), key=len, default=None)
        if prefix is None:
            return url
        version = self.version(MOUNTS[prefix] / url[len(prefix) + 1 :])
        return f"{url}?v={version}" if version else url


ASSETS = AssetCache()


class AssetFiles(StaticFiles):
    """`StaticFiles` with a cache lifetime (long when the URL carries the file's hash), weak ETags
    (one validator for the gzip and the identity encodings: the same content, not the same
    bytes), and text files sent as their gzip to the clients that accept it."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """The file (or a 304), with Cache-Control and a weak ETag; gzipped when asked."""
        # the parent compares If-None-Match with the strong ETag (it drops the client's W/)
        response = super().file_response(full_path, stat_result, scope, status_code)
        asked = QueryParams(scope.get("query_string", b"")).get("v")
        current = ASSETS.version(full_path, stat_result) if asked else None
        named_by_hash = Path(full_path).parent == CHUNKS  # esbuild names its chunks by content
        fresh = named_by_hash or (asked and asked == current)
        response.headers["Cache-Control"] = IMMUTABLE if fresh else REVALIDATED
        etag = response.headers.get("etag")
        if etag and not etag.startswith("W/"):
            response.headers["ETag"] = "W/" + etag
        ranged = any(name == b"range" for name, _ in scope["headers"])
        if response.status_code != 200 or scope["method"] != "GET" or ranged or not accepts_gzip(scope):
            return response
        packed = ASSETS.gzipped(full_path, stat_result)
        if packed is None:
            return response
        headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "accept-ranges")}
        headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return Response(packed, headers=headers)


class GZipWhenAsked(GZipMiddleware):
    """Starlette's `GZipMiddleware` for the clients that accept gzip. The others' responses only
    gain ``Vary: Accept-Encoding`` (the same URL may be served compressed to someone else): the
    library's own path for them holds each response start back until its body, to decide that
    header, for 6.8 µs a request against 1.4 µs here (most API clients, the bench's included,
    send no Accept-Encoding)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Compress when the request accepts gzip, else pass the response through."""
        if scope["type"] != "http" or accepts_gzip(scope):
            await super().__call__(scope, receive, send)
            return

        async def vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), VARY]}
            await send(message)

        await self.app(scope, receive, vary)


def index_page(data: dict[str, Any] | None = None) -> tuple[bytes, str]:
    """index.html with every asset URL versioned by its hash, its first paint filled from `data`
    (the API's first answers), and the page's weak ETag."""
    html = (WEB / "index.html").read_text(encoding="utf-8")
    html = ASSET_REFERENCE.sub(lambda m: f'{m["attr"]}="{ASSETS.url(m["url"])}"', html)
    html = first_paint(html, WEB, data or {})
    body = html.encode("utf-8")
    return body, f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def not_modified(request: Request, etag: str) -> bool:
    """Whether the client's If-None-Match names `etag` (compared weakly, as for a GET)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    bare = etag.removeprefix("W/")
    return header.strip() == "*" or bare in (tag.strip().removeprefix("W/") for tag in header.split(","))


def install_web(app: FastAPI) -> None:
    """Mount the page (at ``/``, and at each member's and project's address), its assets and
    ``/docs`` (the page works without charts if their bundle is missing; ``/docs`` needs
    ``make setup``'s copy of Swagger UI)."""

    async def page(request: Request) -> Response:
        # read again on each visit (a few stat calls): an edited page or asset shows at once; the
        # first data come from the response cache at the current checkpoint
        body, etag = index_page(await first_data(app))
        headers = {"Cache-Control": PAGE, "ETag": etag}
        if not_modified(request, etag):
            return Response(status_code=304, headers=headers)
        return HTMLResponse(body, headers=headers)

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        return await page(request)

    @app.get("/membres/{address}", include_in_schema=False)
    async def member_page(request: Request, address: str) -> Response:
        # the page, opened on one member (app.js reads the path); a malformed address is a 404
        if not ADDRESS.fullmatch(address):
            return Response("Adresse de membre invalide", status_code=404, media_type="text/plain")
        return await page(request)

    @app.get("/projets/{project_id:int}", include_in_schema=False)
    async def project_page(request: Request, project_id: int) -> Response:
        return await page(request)

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        # FastAPI's own page, with Swagger UI served here rather than from its default CDN
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or "/openapi.json"),
            title=f"{app.title} — documentation",
            swagger_js_url=ASSETS.url("/vendor/swagger-ui/swagger-ui-bundle.js"),
            swagger_css_url=ASSETS.url("/vendor/swagger-ui/swagger-ui.css"),
            swagger_favicon_url=ASSETS.url("/vendor/swagger-ui/favicon-32x32.png"),
        )

    app.mount("/web", AssetFiles(directory=WEB), name="web")
    app.mount("/vendor/swagger-ui", AssetFiles(directory=SWAGGER_UI, check_dir=False), name="swagger-ui")
