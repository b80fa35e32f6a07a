"""How the page's files, /docs and the JSON travel: compressed when the client accepts gzip (and
only then), static files cached for a safe time (a year under their content's hash, five minutes
otherwise, always with a validator), the page itself revalidated on every visit, /docs made of
local files only, and the response cache serving the same JSON compressed or not."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cmir.api.cache import ResponseCache
from cmir.api.webpage import IMMUTABLE, REVALIDATED, SWAGGER_UI, WEB

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
ASSET = re.compile(r'(?:src|href)="(/(?:web|vendor)/[^"]+)"')


def version(path: Path) -> str:
    """The hash the page puts in an asset's URL."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def test_the_page_names_its_assets_by_hash_and_is_revalidated(client: TestClient) -> None:
    page = client.get("/", headers=GZIP)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["etag"].startswith('W/"')
    assets = ASSET.findall(page.text)
    assert {"/web/styles.css", "/web/i18n.js", "/web/app.js"} <= {url.split("?")[0] for url in assets}
    for url in assets:
        path, _, query = url.partition("?")
        if path.startswith("/web/"):
            assert query == f"v={version(WEB / path.removeprefix('/web/'))}", url
    # a second visit costs a 304 (weak comparison: the client may send either form)
    for tag in (page.headers["etag"], page.headers["etag"].removeprefix("W/")):
        again = client.get("/", headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == page.headers["etag"]
        assert again.headers["cache-control"] == "no-cache"


def test_static_files_are_gzipped_when_asked_and_cached_safely(client: TestClient) -> None:
    source = (WEB / "app.js").read_bytes()
    url = f"/web/app.js?v={version(WEB / 'app.js')}"

    zipped = client.get(url, headers=GZIP)
    assert zipped.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert zipped.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert zipped.content == source  # decoded by the client
    with client.stream("GET", url, headers=GZIP) as response:
        raw = b"".join(response.iter_raw())
    assert gzip.decompress(raw) == source and len(raw) < len(source) // 2
    # compressed once, ahead: sent whole with its length, not streamed through the compressor
    assert int(response.headers["content-length"]) == len(raw)
    # a range of the file is a range of its bytes, never of a gzip
    part = client.get(url, headers={**GZIP, "Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == source[:100]
    assert "content-encoding" not in part.headers

    plain = client.get(url, headers=IDENTITY)
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.content == source
    assert plain.headers["cache-control"] == IMMUTABLE
    # one weak validator for both encodings: the same content, not the same bytes
    assert zipped.headers["etag"] == plain.headers["etag"]
    assert plain.headers["etag"].startswith('W/"') and plain.headers["last-modified"]

    # without its hash, or with another one (a page kept open across an update): five minutes
    for other in ("/web/app.js", "/web/app.js?v=0123456789abcdef"):
        response = client.get(other, headers=GZIP)
        assert response.status_code == 200 and response.content == source
        assert response.headers["cache-control"] == REVALIDATED == "public, max-age=300"

    # revalidation: a 304 that keeps the validator and the lifetime
    for tag in (plain.headers["etag"], plain.headers["etag"].removeprefix("W/")):
        again = client.get(url, headers={**GZIP, "If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == plain.headers["etag"]
        assert again.headers["cache-control"] == IMMUTABLE


def test_docs_use_local_swagger_ui_only(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "SwaggerUIBundle" in docs.text and "url: '/openapi.json'" in docs.text
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    names = {url.split("?")[0] for url in urls}
    assert names == {
        "/vendor/swagger-ui/swagger-ui-bundle.js",
        "/vendor/swagger-ui/swagger-ui.css",
        "/vendor/swagger-ui/favicon-32x32.png",
    }
    for url in urls:
        path, _, query = url.partition("?")
        local = SWAGGER_UI / path.removeprefix("/vendor/swagger-ui/")
        assert local.is_file(), f"{local} is missing: run `make setup`"
        assert query == f"v={version(local)}"
        response = client.get(url, headers=GZIP)
        assert response.status_code == 200 and response.content == local.read_bytes()
        assert response.headers["cache-control"] == IMMUTABLE
        # the script and the stylesheet travel compressed, the PNG as it is
        assert (response.headers.get("content-encoding") == "gzip") == (not path.endswith(".png"))


@pytest.mark.parametrize("path", ["/api/v1/flows?limit=200", "/api/v1/members?limit=200"])
def test_json_is_gzipped_when_asked_and_cached_either_way(client: TestClient, path: str) -> None:
    """The response cache keeps one uncompressed copy; each client gets it as it asked."""
    answers = [client.get(path, headers=headers) for headers in (GZIP, IDENTITY, GZIP, IDENTITY)]
    assert [a.status_code for a in answers] == [200] * 4
    bodies = [a.json() for a in answers]
    assert all(body == bodies[0] for body in bodies) and bodies[0]["items"]
    assert [a.headers.get("x-cache") for a in answers][1:] == ["hit"] * 3
    encodings = [a.headers.get("content-encoding") for a in answers]
    assert encodings == ["gzip", None, "gzip", None]
    assert all("accept-encoding" in a.headers["vary"].lower() for a in answers)
    assert all(a.headers["content-type"] == "application/json" for a in answers)


def test_gzip_body_is_a_real_gzip_stream(client: TestClient) -> None:
    """Read without the client's decoding: the bytes on the wire are gzip of the JSON."""
    with client.stream("GET", "/api/v1/flows?limit=200", headers=GZIP) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) == len(raw)
    plain = client.get("/api/v1/flows?limit=200", headers=IDENTITY).content
    assert gzip.decompress(raw) == plain and len(raw) < len(plain)


def test_a_cached_answer_is_compressed_once_and_evicted_with_it() -> None:
    """A gzip client served from the cache gets the compressed copy kept beside the answer (not
    compressed again per download); the copy counts in the cache's bound and leaves with it."""
    cache = ResponseCache(max_bytes=64_000)
    body = json.dumps({"items": [{"address": f"0x{i:040x}", "points": i} for i in range(400)]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    cache.put("a", headers, body)

    first = cache.gzipped("a")
    assert first is not None and cache.gzipped("a") is first  # kept, not recomputed
    packed_headers, packed = first
    assert gzip.decompress(packed) == body
    assert dict(packed_headers)[b"content-length"] == str(len(packed)).encode()
    assert dict(packed_headers)[b"content-encoding"] == b"gzip"
    assert cache.size == len(body) + len(packed)
    assert cache.gzipped("missing") is None

    cache.put("b", headers, b"x" * 60_000)  # over the bound: "a" and its copy go
    assert cache.get("a") is None and cache.gzipped("a") is None
    assert cache.size == 60_000
