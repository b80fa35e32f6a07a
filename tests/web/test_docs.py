"""/docs in a real browser with the network cut at the machine's edge: Swagger UI is served by the
API itself, renders every operation of the OpenAPI schema, and no request leaves 127.0.0.1."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from playwright.sync_api import Browser, Route

from tests.web.helpers import DESKTOP, PageProbe
from tests.web.world_server import ApiServer


def test_docs_render_the_api_offline(browser: Browser, api: ApiServer) -> None:
    context = browser.new_context(viewport=DESKTOP)
    refused: list[str] = []

    def offline(route: Route) -> None:
        # anything but this machine is refused, as on a machine without internet access
        url = route.request.url
        if url.startswith("data:") or urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    try:
        context.route("**/*", offline)
        probe = PageProbe(context.new_page(), api.url)
        page = probe.page
        page.goto(api.url + "/docs")
        page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        schema: Any = requests.get(api.url + "/openapi.json", timeout=10).json()
        expected = sorted(
            (method, path) for path, operations in schema["paths"].items() for method in operations
        )
        shown = page.locator(".swagger-ui .opblock").evaluate_all(
            """blocks => blocks.map(block => [
                block.querySelector('.opblock-summary-method').textContent.toLowerCase(),
                block.querySelector('.opblock-summary-path').dataset.path,
            ])"""
        )
        assert sorted(tuple(pair) for pair in shown) == expected
        assert len(expected) >= 20
        assert page.locator(".swagger-ui .info .title").inner_text().startswith(schema["info"]["title"])
        assert refused == []
        assert all(
            urlsplit(url).hostname == "127.0.0.1" for url in probe.requests if not url.startswith("data:")
        )
        assert any("/vendor/swagger-ui/swagger-ui-bundle.js" in url for url in probe.requests)
        assert not probe.problems, probe.problems
    finally:
        context.close()
