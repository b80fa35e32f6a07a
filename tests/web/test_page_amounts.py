"""Every amount a visitor reads on the page, in the text and in the charts' tooltips, in French
and in English: two decimals exactly (rounded half up from the API's units), followed by the
token symbol the API serves; and the page's files and JSON arrive compressed, its assets with a
cache lifetime."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, Response

from tests.web.helpers import PageProbe, cents, show_member
from tests.web.world_server import ApiServer

#: A number as the page writes it in each language (grouping, decimal mark): any decimals.
NUMBER = {"fr": r"\d[\d\u202f]*(?:,\d+)?", "en": r"\d[\d,]*(?:\.\d+)?"}
#: An amount with exactly two decimals.
TWO_DECIMALS = {"fr": r"\d{1,3}(?:\u202f\d{3})*,\d{2}", "en": r"\d{1,3}(?:,\d{3})*\.\d{2}"}
#: A decimal number with three decimals or more (the page wrote "12 381,083768 EUR" before).
LONG_DECIMALS = {"fr": re.compile(r"\d,\d{3,}"), "en": re.compile(r"\d\.\d{3,}")}

TOOLTIPS = """() => {
    // what each band of the Sankey and each link of the network says when hovered
    const text = (html) => {
        const box = document.createElement('div');
        box.innerHTML = String(html).replace(/<br>/g, '\\n');
        return box.textContent;
    };
    const said = {};
    for (const id of ['sankey-chart', 'network-chart']) {
        const option = echarts.getInstanceByDom(document.getElementById(id)).getOption();
        const formatter = option.tooltip[0].formatter;
        said[id] = option.series[0].links.map((link) => text(formatter({ dataType: 'edge', data: link })));
    }
    return said;
}"""


def unfold(page: Page) -> None:
    """Open every folded part (tables, proposals with their actions, audit) and wait for them."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.wait_for_function(
        "[...document.querySelectorAll('.proposal-detail')].every(box => box.querySelector('h4'))"
    )


def amounts(text: str, symbol: str, lang: str) -> list[str]:
    """The numbers written just before the symbol, and every occurrence of the symbol."""
    shown = re.findall(rf"({NUMBER[lang]})\u00a0{re.escape(symbol)}\b", text)
    bare = [
        text[max(0, m.start() - 30) : m.end()]
        for m in re.finditer(rf"\b{re.escape(symbol)}\b", text)
        if not re.search(rf"{NUMBER[lang]}\u00a0$", text[: m.start()])
    ]
    assert not bare, bare
    assert len(shown) == len(re.findall(rf"\b{re.escape(symbol)}\b", text))
    return shown


def assert_two_decimals(texts: list[str], symbol: str, lang: str) -> int:
    """Every amount in `texts` has two decimals and the symbol; no number has more. The count."""
    count = 0
    for text in texts:
        for number in amounts(text, symbol, lang):
            assert re.fullmatch(TWO_DECIMALS[lang], number), (number, text)
            count += 1
        long = LONG_DECIMALS[lang].findall(text)
        assert not long, (long, text)
    return count


def amounts_of(body: Any) -> list[dict[str, str]]:
    """Every `Amount` in an API answer."""
    if isinstance(body, dict):
        if set(body) == {"units", "display"}:
            return [body]
        return [found for value in body.values() for found in amounts_of(value)]
    if isinstance(body, list):
        return [found for value in body for found in amounts_of(value)]
    return []


def written(amount: dict[str, str], symbol: str, lang: str) -> str:
    """An API amount as the page writes it in `lang` (for amounts below a thousand)."""
    value = cents(amount)
    assert len(value) <= 6, value
    return (value.replace(".", ",") if lang == "fr" else value) + "\u00a0" + symbol


def test_every_amount_has_two_decimals_and_the_api_symbol(probe: PageProbe, api: ApiServer) -> None:
    page = probe.open()
    meta: Any = api.get("/meta")
    symbol = meta["token_symbol"]
    pool: Any = api.get("/pool")
    # the scenario sends the pool 3 EUR and one unit: the API keeps every digit, the page rounds
    assert any(len(amount["display"].split(".")[1]) > 2 for amount in amounts_of(pool)), pool
    members: Any = api.get("/members", limit=200)["items"]
    member = max(members, key=lambda m: int(m["earned"]["units"]))
    show_member(page, member["address"])
    unfold(page)

    for lang in ("fr", "en"):
        if lang == "en":
            page.locator("#lang-switch").click()
            unfold(page)
        body = page.locator("body").inner_text()
        tooltips: dict[str, list[str]] = page.evaluate(TOOLTIPS)
        count = assert_two_decimals(
            [body, *tooltips["sankey-chart"], *tooltips["network-chart"]], symbol, lang
        )
        assert count >= 40, count

        # each place that shows amounts shows them so (not only some of them)
        def amounts_in(selector: str, page: Page = page, lang: str = lang) -> list[str]:
            return amounts(page.locator(selector).inner_text(), symbol, lang)

        assert len(amounts_in("#figure-cards")) >= 10
        assert len(amounts_in("#flows-body")) >= page.locator("#flows-body tr").count() > 0
        assert len(amounts_in("#sankey-table")) == page.locator("#sankey-table tbody tr").count() > 0
        assert len(amounts_in("#directory-results")) == page.locator("[data-project-id]").count() > 0
        assert len(amounts_in("#member-panel")) == 2
        assert amounts_in("#recon-panel") and amounts_in("#safeguard-cards")
        links = [link for link in api.get("/flows/sankey")["links"] if link["value"]["units"] != "0"]
        assert [t.splitlines()[-1] for t in tooltips["sankey-chart"]] == [
            written(link["value"], symbol, lang) for link in links
        ]
        relations = [t for t in tooltips["network-chart"] if symbol in t]
        assert relations and all(t.endswith("\u00a0" + symbol) for t in relations)

        # a proposal's decoded calls: the funding and the fee as amounts, not as integer units
        funding = next(
            (p["id"], a)
            for p in api.get("/governance/proposals", limit=10)["items"]
            for a in api.get(f"/governance/proposals/{p['id']}")["actions"]
            if a["function"] == "fundEssProject"
        )
        proposal, action = funding
        detail = page.locator(f"[data-proposal-id='{proposal}'] .proposal-detail").inner_text()
        exact = Decimal(action["args"]["amount"]).scaleb(-meta["token_decimals"])
        expected = written({"display": str(exact)}, symbol, lang)
        assert f"amount={expected}" in detail, detail
        assert action["args"]["amount"] not in detail
    assert not probe.problems, probe.problems


def test_files_and_json_arrive_compressed_and_assets_cached(probe: PageProbe) -> None:
    responses: list[Response] = []
    probe.page.on("response", lambda response: responses.append(response))
    probe.open()
    static = [r for r in responses if urlsplit(r.url).path.startswith(("/web/", "/vendor/"))]
    paths = {urlsplit(r.url).path for r in static}
    assert {"/web/app.js", "/web/i18n.js", "/web/styles.css", "/web/dist/page-charts.js"} <= paths
    for response in static:
        headers = response.all_headers()
        assert response.status == 200, response.url
        assert headers.get("content-encoding") == "gzip", (response.url, headers)
        # the page asks for each asset under its content's hash (in its URL, or in its name for
        # the bundles' chunks), cached for a year
        assert "?v=" in response.url or re.search(r"/web/dist/chunks/[\w-]+-[A-Z0-9]{8}\.js$", response.url)
        assert headers["cache-control"] == "public, max-age=31536000, immutable", response.url
        assert headers["etag"].startswith('W/"'), response.url
    page = next(r for r in responses if urlsplit(r.url).path == "/")
    assert page.all_headers()["cache-control"] == "no-cache"
    assert page.all_headers().get("content-encoding") == "gzip"
    # JSON: the large answers compressed (the small ones are not worth it)
    large = [
        r
        for r in responses
        if urlsplit(r.url).path.startswith("/api/v1/") and len(r.body()) >= 1024 and r.status == 200
    ]
    assert len(large) >= 5
    for response in large:
        assert response.all_headers().get("content-encoding") == "gzip", response.url
    assert not probe.problems, probe.problems
