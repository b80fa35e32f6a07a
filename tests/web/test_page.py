"""The transparency page in a real browser, served by the real API over the indexed anvil
scenario: the figures shown are the API's, the directory search works, the language switches,
nothing overflows at phone width, and screenshots are kept under artifacts/screenshots/."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, Route

from tests.web.helpers import DESKTOP, PHONE, PHONE_WIDTH, PageProbe, cents, show_member
from tests.web.world_server import ApiServer

SPACES = re.compile(r"[\s\u00a0\u202f]")
TO_ESS = re.compile(r"dont (.+?) de la part des membres")


SYMBOL = re.compile(r"[A-Za-z]+$")


def number_text(text: str, lang: str) -> str:
    """The plain decimal in a figure shown in `lang` ("1 234,50 tEUR" -> "1234.50")."""
    text = SYMBOL.sub("", SPACES.sub("", text)).removesuffix("%")
    if lang == "fr":
        assert "." not in text, text
        return text.replace(",", ".")
    return text.replace(",", "")


def percent_of(value: str) -> str:
    """A ratio's decimal value as the page shows it: a percentage with two decimals."""
    return str((Decimal(value) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def figure(page: Page, key: str) -> str:
    """The text of the headline figure `key`."""
    return page.locator(f"[data-figure='{key}']").inner_text()


def wait_directory(page: Page, query: dict[str, str]) -> list[str]:
    """Wait until the directory shows the results of `query`; the ids of the projects listed."""
    page.wait_for_function(
        """(query) => {
            const list = document.getElementById('directory-results');
            return list.dataset.state === 'ready' && list.dataset.query === query;
        }""",
        arg=json.dumps(query, separators=(",", ":")),
        timeout=10_000,
    )
    ids: list[str] = page.locator("#directory-results [data-project-id]").evaluate_all(
        "items => items.map(item => item.dataset.projectId)"
    )
    return ids


def utility_request(probe: PageProbe, period: str) -> dict[str, str]:
    """The query of the page's last request for the social-utility series of `period`."""
    queries = [
        dict(parse_qsl(urlsplit(url).query))
        for url in probe.requests
        if urlsplit(url).path == "/api/v1/social-utility"
    ]
    matching = [query for query in queries if query.get("period") == period]
    assert matching, queries
    return matching[-1]


def choose_period(page: Page, period: str) -> None:
    """Pick a period in the social-utility chart's switch and wait for its series."""
    page.locator("#utility-period").select_option(period)
    page.wait_for_selector(f"#utility[data-state='ready'][data-period='{period}']", timeout=10_000)


def utility_chart(page: Page) -> dict[str, Any]:
    """What the social-utility chart draws, read from its ECharts option."""
    option: dict[str, Any] = page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.getElementById('utility-chart'));
            const option = chart.getOption();
            const value = (item) => (item !== null && typeof item === 'object' ? item.value : item);
            return {
                x: option.xAxis[0].data,
                legend: option.legend[0].data.map((item) => (typeof item === 'object' ? item.name : item)),
                series: option.series.map((s) => ({
                    name: s.name,
                    data: s.data.map(value),
                    floor: s.markLine && s.markLine.data ? s.markLine.data.map((d) => d.yAxis) : [],
                })),
            };
        }"""
    )
    return option


def utility_table(page: Page) -> list[list[str]]:
    """The rows of the social-utility table: period start (attribute), then the three cells."""
    rows: list[list[str]] = page.locator("#utility-table tbody tr").evaluate_all(
        "rows => rows.map(row => [row.dataset.start, ...[...row.cells].map(cell => cell.textContent)])"
    )
    return rows


def shown_percent(ratio: dict[str, Any]) -> str:
    """A ratio as the table shows it, or the dash of a ratio without denominator."""
    return "—" if ratio["value"] is None else percent_of(ratio["value"])


def assert_utility_matches(page: Page, body: dict[str, Any], lang: str) -> None:
    """The chart and its table show exactly the API's series, ratios and floor."""
    series = body["series"]
    chart = utility_chart(page)
    assert len(chart["x"]) == len(series)
    disbursed, allocated, floor = chart["series"]
    assert disbursed["data"] == [p["disbursed_ratio"]["percent"] for p in series]
    assert allocated["data"] == [p["allocated_ratio"]["percent"] for p in series]
    assert floor["data"] == []
    assert floor["floor"] == [body["ess_floor_bps"] / 100]
    rows = utility_table(page)
    assert [row[0] for row in rows] == [p["start"] for p in series]
    for row, point in zip(rows, series, strict=True):
        for cell, key in ((row[2], "disbursed_ratio"), (row[3], "allocated_ratio")):
            assert (cell if cell == "—" else number_text(cell, lang)) == shown_percent(point[key]), row
    floor_text = percent_of(str(Decimal(body["ess_floor_bps"]) / 10_000))
    note = SPACES.sub("", page.locator("#utility-note").inner_text())
    assert (floor_text.replace(".", ",") if lang == "fr" else floor_text) + "%" in note


def chart_text_outside(page: Page, chart: str) -> list[str]:
    """Texts drawn by a chart that reach past its box (a clipped legend, axis or line label)."""
    outside: list[str] = page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return [...document.querySelectorAll(selector + ' svg text')]
                .filter((text) => text.getClientRects().length)
                .filter((text) => {
                    const r = text.getBoundingClientRect();
                    return r.left < box.left - 0.5 || r.right > box.right + 0.5
                        || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5;
                })
                .map((text) => text.textContent);
        }""",
        chart,
    )
    return outside


def assert_local_only(probe: PageProbe) -> None:
    """Every request went to the API's own origin (no CDN, no outside font or script)."""
    origin = urlsplit(probe.base_url).netloc
    outside = [
        url for url in probe.requests if not url.startswith("data:") and urlsplit(url).netloc != origin
    ]
    assert not outside, outside


def test_headline_figures_equal_the_api(probe: PageProbe, api: ApiServer) -> None:
    page = probe.open()
    pool: Any = api.get("/pool")
    utility: Any = api.get("/social-utility")
    summary: Any = api.get("/network/summary")

    assert page.evaluate("document.documentElement.lang") == "fr"
    assert number_text(figure(page, "total_received"), "fr") == cents(pool["total_received"])
    assert figure(page, "total_received").endswith("\u00a0" + api.get("/meta")["token_symbol"])
    for bucket in ("members", "ess", "collective"):
        for field in ("received", "available", "spent"):
            shown = number_text(figure(page, f"{bucket}.{field}"), "fr")
            assert shown == cents(pool["buckets"][bucket][field]), (bucket, field)
    assert number_text(figure(page, "social_utility"), "fr") == percent_of(
        utility["disbursed_ratio"]["value"]
    )
    assert figure(page, "members_count") == str(summary["members"])
    assert figure(page, "relations_count") == str(summary["relations"])
    # the indexed block the figures refer to is said in the header
    assert f"bloc {pool['as_of']['block']}" in page.locator("#asof").inner_text()
    assert not probe.problems, probe.problems
    assert_local_only(probe)


def test_charts_and_tables_show_the_api_data(probe: PageProbe, api: ApiServer) -> None:
    page = probe.open()
    sankey: Any = api.get("/flows/sankey")
    graph: Any = api.get("/network/graph", limit=200, max_edges=1000)
    flows: Any = api.get("/flows", limit=25)
    proposals: Any = api.get("/governance/proposals", limit=10)
    reconciliation: Any = api.get("/reconciliation")
    health: Any = api.get("/health")

    # Sankey: drawn by ECharts (served locally), and its table lists every non-zero link exactly
    assert page.locator("#sankey-chart svg").count() == 1
    links = [link for link in sankey["links"] if link["value"]["units"] != "0"]
    page.locator("#sankey summary").click()
    rows = page.locator("#sankey-table tbody tr")
    assert rows.count() == len(links)
    for index, link in enumerate(links):
        amount = rows.nth(index).locator("td").nth(2).inner_text()
        assert number_text(amount, "fr") == cents(link["value"])
    labels = {node["id"]: node["label"] for node in sankey["nodes"]}
    assert rows.nth(0).locator("td").nth(0).inner_text() == labels[links[0]["source"]]

    # the member network: one SVG chart, every node drawn
    assert page.locator("#network-chart svg").count() == 1
    note = page.locator("#network-note").inner_text()
    assert f"{len(graph['nodes'])} membres affichés sur {graph['page']['total']}" in note

    # flows: one row per flow, newest first, each with its transaction hash; a local chain has
    # no explorer, so the hash is shown without a link
    ids = page.locator("#flows-body tr").evaluate_all("rows => rows.map(row => row.dataset.flowId)")
    assert ids == [flow["id"] for flow in flows["items"]]
    hashes = page.locator("#flows-body [data-tx]").evaluate_all("codes => codes.map(c => c.dataset.tx)")
    assert hashes == [flow["tx_hash"] for flow in flows["items"]]
    assert all(flow["explorer_url"] is None for flow in flows["items"])
    assert page.locator("#flows-body a[data-tx-link]").count() == 0
    first_amount = page.locator("#flows-body tr").first.locator("td").nth(2).inner_text()
    assert number_text(first_amount, "fr") == cents(flows["items"][0]["amount"])
    # an inflow whose members' share went (partly) to ESS says how much
    for flow in flows["items"]:
        detail = page.locator(f"[data-flow-id='{flow['id']}'] td").nth(3).inner_text()
        gone = TO_ESS.search(detail)
        if flow["direction"] == "in" and flow["members_to_ess"]["units"] != "0":
            assert gone is not None and number_text(gone.group(1), "fr") == cents(flow["members_to_ess"])
        else:
            assert gone is None, detail

    # proposals with their state and vote counts
    shown = page.locator("#proposal-list [data-proposal-id]")
    assert shown.evaluate_all("items => items.map(i => [i.dataset.proposalId, i.dataset.state])") == [
        [p["id"], p["state"]] for p in proposals["items"]
    ]
    for index, proposal in enumerate(proposals["items"]):
        item = shown.nth(index)
        for support in ("for", "against", "abstain"):
            count = proposal["tally"][f"{support}_votes"]
            assert item.locator(f"[data-vote='{support}']").inner_text().endswith(" " + count)
    executed = next(
        p
        for p in proposals["items"]
        if p["state"] == "executed"
        and "fundEssProject"
        in [a["function"] for a in api.get(f"/governance/proposals/{p['id']}")["actions"]]
    )
    item = page.locator(f"[data-proposal-id='{executed['id']}']")
    item.locator("summary").click()
    item.locator(".proposal-detail li").first.wait_for()
    assert "fundEssProject" in item.locator(".proposal-detail").inner_text()

    # reconciliation and indexer lag
    assert page.locator("#recon-status").get_attribute("data-status") == reconciliation["status"]
    assert page.locator("[data-recon]").count() == len(reconciliation["figures"])
    assert page.locator("#indexer-lag").get_attribute("data-lag") == str(health["indexer"]["lag_blocks"])
    assert not probe.problems, probe.problems


def test_social_utility_chart_equals_the_api(probe: PageProbe, api: ApiServer) -> None:
    page = probe.open()
    assert page.locator("#utility-title").inner_text() == "Utilité sociale dans le temps"
    assert page.locator("#utility-period").input_value() == "month"
    assert page.locator("#utility-chart svg").count() == 1
    for period in ("month", "week", "day"):
        if period != "month":
            choose_period(page, period)
        query = utility_request(probe, period)
        body: Any = api.get("/social-utility", **query)
        assert body["period"] == period and body["series"]
        assert_utility_matches(page, body, "fr")
    chart = utility_chart(page)
    assert [s["name"] for s in chart["series"]] == ["Versé ÷ reçu", "Alloué ÷ reçu", "Plancher ESS"]
    assert chart["legend"] == ["Versé ÷ reçu", "Alloué ÷ reçu", "Plancher ESS"]
    assert page.locator("#utility-table th").all_text_contents() == ["Période", "Versé", "Alloué"]

    # English relabels the title, switch, legend, axis, table and note; the figures stay the API's
    page.locator("#lang-switch").click()
    assert page.locator("#utility-title").inner_text() == "Social utility over time"
    assert page.locator("label[for='utility-period']").inner_text() == "Period"
    options = page.locator("#utility-period option").all_inner_texts()
    assert options == ["By day", "By week", "By month"]
    assert page.locator("#utility-period").input_value() == "day"
    chart = utility_chart(page)
    names = ["Disbursed ÷ received", "Allocated ÷ received", "ESS floor"]
    assert [s["name"] for s in chart["series"]] == names
    assert chart["legend"] == names
    assert page.locator("#utility-table th").all_text_contents() == ["Period", "Disbursed", "Allocated"]
    assert "ESS floor" in page.locator("#utility-note").inner_text()
    assert page.locator("#utility-chart").get_attribute("aria-label") == (
        "Lines of the social utility per period, with the ESS floor"
    )
    body = api.get("/social-utility", **utility_request(probe, "day"))
    assert_utility_matches(page, body, "en")
    choose_period(page, "week")
    assert_utility_matches(page, api.get("/social-utility", **utility_request(probe, "week")), "en")
    assert not probe.problems, probe.problems
    assert_local_only(probe)


def test_social_utility_chart_draws_every_period_and_gaps(probe: PageProbe) -> None:
    """Over a longer series (the scenario indexes a single period), every point is drawn and
    a period without inflows yet (no ratio) is a gap in the lines and a dash in the table."""
    served: list[dict[str, Any]] = []

    def longer(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        if "period=" in route.request.url:
            last = body["series"][-1]
            zero = {"units": "0", "display": "0"}
            empty = {"numerator": zero, "denominator": zero, "value": None, "percent": None}
            half = {**last["allocated_ratio"], "value": "0.500000", "percent": 50.0}
            body["series"] = [
                {"start": "2026-08-01", "disbursed_ratio": empty, "allocated_ratio": empty},
                {"start": "2026-09-01", "disbursed_ratio": last["disbursed_ratio"], "allocated_ratio": half},
                last,
            ]
            served.append(body)
        route.fulfill(response=response, json=body)

    probe.page.route("**/api/v1/social-utility?*", longer)
    page = probe.open()
    assert served
    body = served[-1]
    assert_utility_matches(page, body, "fr")
    chart = utility_chart(page)
    assert chart["series"][0]["data"][0] is None
    assert chart["x"][0] == "août 2026"
    assert utility_table(page)[0][1:] == ["août 2026", "—", "—"]
    assert not probe.problems, probe.problems


def bps_text(bps: int) -> str:
    """Basis points as the page shows them: a percentage with two decimals."""
    return percent_of(str(Decimal(bps) / 10_000))


def duration(seconds: int, lang: str) -> str:
    """A length of time as the page says it: in its largest whole unit ("1 minute", "90 secondes")."""
    for size, fr, en in (
        (86_400, "jour", "day"),
        (3600, "heure", "hour"),
        (60, "minute", "minute"),
        (1, "seconde", "second"),
    ):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {fr if lang == 'fr' else en}{'s' if count > 1 else ''}"
    raise AssertionError(seconds)


def test_epoch_figures_equal_the_api(probe: PageProbe, api: ApiServer) -> None:
    page = probe.open()
    pool: Any = api.get("/pool")
    assert page.locator(".card.epoch h3").inner_text() == "Époque en cours"
    assert figure(page, "epoch") == f"n° {pool['epoch']}"
    assert SPACES.sub("", figure(page, "points.matured")) == pool["matured_points"]
    assert SPACES.sub("", figure(page, "points.pending")) == pool["pending_points"]
    assert number_text(figure(page, "epoch.cap"), "fr") == bps_text(pool["epoch_reward_cap_bps"])
    assert number_text(figure(page, "parties_min"), "fr") == bps_text(pool["parties_min_share_bps"])
    assert number_text(figure(page, "ess.members_to_ess"), "fr") == cents(pool["members_to_ess"])
    note = figure(page, "epoch.ends").replace("\u00a0", " ")
    assert note.startswith(f"Durée : {duration(pool['epoch_length'], 'fr')} · se termine le "), note

    page.locator("#lang-switch").click()
    assert page.locator(".card.epoch h3").inner_text() == "Current epoch"
    assert figure(page, "epoch") == f"no. {pool['epoch']}"
    assert (
        figure(page, "epoch.ends")
        .replace("\u00a0", " ")
        .startswith(f"Length: {duration(pool['epoch_length'], 'en')} · ends ")
    )
    assert number_text(figure(page, "points.matured"), "en") == pool["matured_points"]
    assert not probe.problems, probe.problems


def member_figure(panel: Any, name: str) -> str:
    """The text of one of the member panel's figures."""
    text: str = panel.locator(f"[data-member='{name}']").first.inner_text()
    return text


def test_member_panel_shows_matured_and_pending_points(probe: PageProbe, api: ApiServer) -> None:
    """A member looked up by address: its matured and pending points and rewards are the API's;
    pending points say when they mature ("mûrissent le ..."), in each language."""
    page = probe.open()
    members: Any = api.get("/members", limit=200)["items"]
    member = max(members, key=lambda m: int(m["matured_points"]))
    assert int(member["matured_points"]) > 0
    panel = show_member(page, member["address"])
    assert SPACES.sub("", member_figure(panel, "matured_points")) == member["matured_points"]
    assert SPACES.sub("", member_figure(panel, "pending_points")) == member["pending_points"]
    assert number_text(member_figure(panel, "claimable"), "fr") == cents(member["claimable"])
    assert number_text(member_figure(panel, "earned"), "fr") == cents(member["earned"])
    assert (panel.locator("[data-member='matures_at']").count() == 1) == (member["pending_points"] != "0")

    # a member with points still pending (the API's answer, with pending points set)
    other = next(m for m in members if m["address"] != member["address"])
    pending = {"pending_points": "1500000", "pending_epoch": 7, "matures_at": "2026-03-12T13:05:00Z"}

    def with_pending(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), **pending})

    page.route(f"**/api/v1/members/{other['address']}", with_pending)
    panel = show_member(page, other["address"])
    assert SPACES.sub("", member_figure(panel, "pending_points")) == "1500000"
    matures = member_figure(panel, "matures_at")
    assert "mûrissent le 12 mars 2026" in matures and "14:05" in matures, matures
    assert "fin de l'époque 7" in matures
    page.locator("#lang-switch").click()
    matures = member_figure(panel, "matures_at")
    assert "mature on 12 Mar 2026" in matures and "end of epoch 7" in matures, matures
    assert page.locator("#member-panel dt").first.inner_text() == "Matured points"

    # an address that is not one: said at once, nothing asked of the API
    page.locator("#member-address").fill("0x1234")
    page.locator("#member-form button[type='submit']").click()
    assert page.locator("#member-panel .error").inner_text().startswith("Invalid address")
    assert not probe.problems, probe.problems


def test_directory_search_and_filters(probe: PageProbe, api: ApiServer) -> None:
    page = probe.open()
    everything: Any = api.get("/ess/projects", limit=20)
    assert wait_directory(page, {}) == [p["id"] for p in everything["items"]]

    page.locator("#dir-q").fill("ressourcerie")
    expected: Any = api.get("/ess/projects", q="ressourcerie", limit=20)
    assert [p["name"] for p in expected["items"]] == ["Ressourcerie"]
    assert wait_directory(page, {"q": "ressourcerie"}) == [p["id"] for p in expected["items"]]
    assert page.locator("#directory-count").inner_text() == "1 projet(s)"
    assert page.locator("#directory-results h3").all_inner_texts() == ["Ressourcerie"]

    # accents and case are ignored, and the search button does the same as typing
    page.locator("#dir-q").fill("EPICERIE du canal")
    page.locator("#directory-form button[type='submit']").click()
    expected = api.get("/ess/projects", q="EPICERIE du canal", limit=20)
    shown = wait_directory(page, {"q": "EPICERIE du canal"})
    assert shown == [p["id"] for p in expected["items"]]
    assert "Épicerie du Canal — 2e site" in page.locator("#directory-results h3").all_inner_texts()

    # a department filter together with the text, then a query matching nothing
    page.locator("#dir-q").fill("")
    page.locator("#dir-department").select_option("93")
    expected = api.get("/ess/projects", department="93", limit=20)
    assert wait_directory(page, {"department": "93"}) == [p["id"] for p in expected["items"]]
    page.locator("#dir-q").fill("zzz introuvable")
    assert wait_directory(page, {"q": "zzz introuvable", "department": "93"}) == []
    assert page.locator("#directory-results").inner_text() == "Aucun projet ne correspond."
    assert not probe.problems, probe.problems


def test_language_switch_is_remembered(probe: PageProbe, api: ApiServer) -> None:
    page = probe.open()
    pool: Any = api.get("/pool")
    assert page.locator("#figures-title").inner_text() == "Chiffres clés"
    assert page.locator("label[for='dir-q']").inner_text() == "Recherche"

    page.locator("#lang-switch").click()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#figures-title").inner_text() == "Key figures"
    assert page.locator("label[for='dir-q']").inner_text() == "Search"
    assert page.locator("#lang-switch").inner_text() == "Français"
    assert page.locator("#lang-switch").get_attribute("lang") == "fr"
    assert page.title() == "CMIR DAO — transparency"
    # generated text follows, with English number formatting
    assert number_text(figure(page, "total_received"), "en") == cents(pool["total_received"])
    assert page.locator("#flows thead th").first.inner_text() == "Date"
    assert "members shown" in page.locator("#network-note").inner_text()
    sankey: Any = api.get("/flows/sankey")
    english = {node["id"]: node["label_en"] for node in sankey["nodes"]}
    first = next(link for link in sankey["links"] if link["value"]["units"] != "0")
    assert page.locator("#sankey-table tbody td").first.text_content() == english[first["source"]]
    assert page.locator("#proposal-list .badge").first.inner_text() in {"Voting", "Succeeded", "Executed"}

    page.reload()
    page.wait_for_selector("body[data-loaded='true']")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#figures-title").inner_text() == "Key figures"
    page.locator("#lang-switch").click()
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.locator("#figures-title").inner_text() == "Chiffres clés"
    assert not probe.problems, probe.problems


def test_accessible_basics(probe: PageProbe) -> None:
    page = probe.open()
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input, select')]
            .filter(el => !(el.id && document.querySelector(`label[for="${el.id}"]`)))
            .filter(el => !el.getAttribute('aria-label'))
            .map(el => el.outerHTML)"""
    )
    assert unlabeled == []
    assert page.locator("h1").count() == 1
    assert page.locator("main section h2").count() == page.locator("main section").count()
    for chart in ("#utility-chart", "#sankey-chart", "#network-chart"):
        assert page.locator(chart).get_attribute("role") == "img"
        assert page.locator(chart).get_attribute("aria-label")


def save(page: Page, screenshots: Path, name: str) -> Path:
    path = screenshots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def overflow(page: Page) -> dict[str, Any]:
    """How far the document and its widest elements reach past the viewport."""
    result: dict[str, Any] = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            // HTML boxes only: a chart's SVG content is clipped to its own box
            const wide = [...document.querySelectorAll('body *')]
                .filter(el => !(el instanceof SVGElement) || el.tagName.toLowerCase() === 'svg')
                .filter(el => el.getBoundingClientRect().right > width + 0.5 && el.getClientRects().length)
                .filter(el => !el.closest('.skip'))
                .slice(0, 5).map(el => {
                    const right = Math.round(el.getBoundingClientRect().right);
                    const name = `${el.tagName}#${el.id}.${el.getAttribute('class') || ''}`;
                    return `${name} "${el.textContent.slice(0, 40)}" right=${right}`;
                });
            return {scroll: document.documentElement.scrollWidth, width, wide};
        }"""
    )
    return result


def test_desktop_screenshot(probe: PageProbe, screenshots: Path) -> None:
    page = probe.open()
    assert page.viewport_size == DESKTOP
    result = overflow(page)
    assert result["scroll"] <= result["width"], result
    save(page, screenshots, "desktop-1280x800")
    assert not probe.problems, probe.problems


def test_phone_width_has_no_horizontal_scroll(phone_probe: PageProbe, screenshots: Path) -> None:
    page = phone_probe.open()
    assert page.viewport_size == PHONE
    result = overflow(page)
    assert result["scroll"] <= PHONE_WIDTH, result
    assert result["wide"] == [], result
    # the flows table turns into stacked rows, each cell labelled
    first_cell = page.locator("#flows-body tr").first.locator("td").first
    assert first_cell.get_attribute("data-label") == "Date"
    # the social-utility chart keeps its legend, axes and floor label inside its box
    assert page.locator("#utility-chart svg").count() == 1
    assert chart_text_outside(page, "#utility-chart") == []
    save(page, screenshots, "phone-390x844")

    # everything folded away fits too: the Sankey's table, every figure checked against the
    # chain, each proposal's actions and votes
    members: Any = phone_probe.page.evaluate("fetch('/api/v1/members?limit=1').then(r => r.json())")
    show_member(page, members["items"][0]["address"])
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.wait_for_function(
        "[...document.querySelectorAll('.proposal-detail')].every(box => box.querySelector('h4'))"
    )
    result = overflow(page)
    assert result["scroll"] <= PHONE_WIDTH, result
    assert result["wide"] == [], result
    save(page, screenshots, "phone-390x844-unfolded")

    page.locator("#lang-switch").click()
    result = overflow(page)
    assert result["scroll"] <= PHONE_WIDTH, result
    assert result["wide"] == [], result
    assert chart_text_outside(page, "#utility-chart") == []
    save(page, screenshots, "phone-390x844-en")
    assert not phone_probe.problems, phone_probe.problems


def test_rows_link_to_the_explorer_when_the_network_has_one(
    browser: Browser, world: Any, tmp_path: Path
) -> None:
    """With an explorer template for the network, every flow row links to its transaction."""
    templates = {
        "CMIR_EXPLORER_TX_URLS": json.dumps({"ethereum:local": "https://explorer.invalid/tx/{tx}"}),
        "CMIR_EXPLORER_ADDRESS_URLS": json.dumps(
            {"ethereum:local": "https://explorer.invalid/address/{address}"}
        ),
    }
    server = ApiServer(world.db_url, world.dao.url, world.dao.record_path, tmp_path / "api.log", templates)
    context = browser.new_context(viewport=DESKTOP)
    try:
        # the explorer is never contacted: the test only reads the links
        context.route("https://explorer.invalid/**", lambda route: route.abort())
        probe = PageProbe(context.new_page(), server.url)
        page = probe.open()
        flows: Any = server.get("/flows", limit=25)
        links = page.locator("#flows-body a[data-tx-link]").evaluate_all(
            "links => links.map(a => [a.dataset.txLink, a.href])"
        )
        assert links == [
            [f["tx_hash"], f"https://explorer.invalid/tx/{f['tx_hash']}"] for f in flows["items"]
        ]
        assert page.locator("#contracts a").count() == len(server.get("/meta")["contracts"])
        assert not probe.problems, probe.problems
    finally:
        context.close()
        server.stop()


def test_figures_and_tables_without_the_charting_library(browser: Browser, api: ApiServer) -> None:
    """If ECharts cannot be loaded, the figures, directory and tables still show."""
    context = browser.new_context(viewport=DESKTOP)
    try:

        def refuse(route: Route) -> None:
            route.abort()

        context.route("**/web/dist/page-charts*", refuse)
        probe = PageProbe(context.new_page(), api.url)
        page = probe.open()
        pool: Any = api.get("/pool")
        assert number_text(figure(page, "total_received"), "fr") == cents(pool["total_received"])
        assert "Graphique indisponible" in page.locator("#sankey-chart").inner_text()
        assert page.locator("#sankey-table tbody tr").count() > 0
        # the social utility over time: the same message, and its values in the table and note
        assert "Graphique indisponible" in page.locator("#utility-chart").inner_text()
        utility: Any = api.get("/social-utility", **utility_request(probe, "month"))
        rows = utility_table(page)
        assert [row[0] for row in rows] == [p["start"] for p in utility["series"]]
        assert [number_text(row[2], "fr") for row in rows] == [
            percent_of(p["disbursed_ratio"]["value"]) for p in utility["series"]
        ]
        assert "Plancher ESS" in page.locator("#utility-note").inner_text()
        assert page.locator("#flows-body tr").count() > 0
    finally:
        context.close()


FRENCH_MONTHS = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec")


def paris_time(iso: str, lang: str) -> str:
    """An API time as the page writes it in `lang` for a reader in Paris ("7 déc. 2026, 02:39")."""
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo("Europe/Paris"))
    months = FRENCH_MONTHS if lang == "fr" else ENGLISH_MONTHS
    return f"{moment.day} {months[moment.month - 1]} {moment.year}, {moment:%H:%M}"


def test_safeguards_show_the_guardian_reason_probation_and_the_budget(
    probe: PageProbe, api: ApiServer
) -> None:
    """The guardian's cancellation and its reason (in the safeguards and on the proposal), when
    a member in probation will vote and invite (in the list and in its member panel), expired
    approvals, projects awaiting activation and the steward's budget with two decimals: the
    API's figures, in French then in English."""
    page = probe.open()
    (cancellation,) = api.get("/governance/guardian-cancellations")["items"]
    (newcomer,) = api.get("/members", in_probation="true")["items"]
    expired = api.get("/governance/proposals", state="expired")["items"]
    awaiting = api.get("/ess/projects", awaiting_activation="true")["items"]
    budget = api.get("/pool")["steward_budget"]
    proposal_id, reason = cancellation["proposal_id"], cancellation["reason"]
    assert reason.startswith("Capture : ") and newcomer["can_vote"] is False and expired and awaiting

    safeguards = page.locator("#safeguards")
    assert safeguards.locator("h2").inner_text() == "Garde-fous de la gouvernance"
    listed = safeguards.locator(f"[data-guardian-cancel='{proposal_id}']")
    assert listed.locator("[data-reason]").inner_text() == f"« {reason} »"
    assert cancellation["title"] in listed.inner_text()
    on_proposal = page.locator(f"#proposal-list [data-guardian-reason='{proposal_id}']").inner_text()
    assert on_proposal == f"Annulée par le conseil de surveillance : « {reason} »"
    ends = safeguards.locator(f"[data-probation='{newcomer['address']}'] [data-time]")
    assert ends.get_attribute("data-time") == newcomer["votes_from"]
    assert ends.inner_text() == f"vote et invite à partir du {paris_time(newcomer['votes_from'], 'fr')}"
    shown_expired = safeguards.locator("[data-expired]").evaluate_all(
        "items => items.map(i => i.dataset.expired)"
    )
    assert shown_expired == [p["id"] for p in expired]
    assert (
        f"expirée le {paris_time(expired[0]['expires_at'], 'fr')}"
        in safeguards.locator("[data-expired]").first.inner_text()
    )
    expiry = page.locator(f"#proposal-list [data-expiry='{expired[0]['id']}']").inner_text()
    assert expiry.startswith("Expirée le ")
    shown_awaiting = safeguards.locator("[data-awaiting-project]").evaluate_all(
        "items => items.map(i => i.dataset.awaitingProject)"
    )
    assert shown_awaiting == [p["id"] for p in awaiting]
    assert (
        "nouveau portefeuille (version 2) : à revoter" in safeguards.locator("#awaiting-panel").inner_text()
    )
    symbol = api.get("/meta")["token_symbol"]
    assert number_text(figure(page, "budget.spent"), "fr") == cents(budget["spent"]) == "3.00"
    assert figure(page, "budget.spent").endswith(symbol)
    of = page.locator("[data-figure='budget.amount']").inner_text().replace("\u00a0", " ")
    assert of == f"sur {cents(budget['amount']).replace('.', ',')} {symbol} cette période"
    void = page.locator("#proposal-list [data-void-proposal]")
    assert void.count() == 1 and void.inner_text().startswith("Caduque : ")

    # The newcomer's own panel says until when it is in probation; a founder votes already.
    panel = show_member(page, newcomer["address"])
    votes = panel.locator("[data-member='votes_from']")
    assert votes.get_attribute("data-can-vote") == "false"
    assert votes.inner_text().startswith(f"en probation jusqu'au {paris_time(newcomer['votes_from'], 'fr')}")
    assert member_figure(panel, "invitations").startswith("0 disponible(s) · prochaine le ")
    founders = [m for m in api.get("/members", limit=200)["items"] if m["votes_from"] == m["joined_at"]]
    panel = show_member(page, founders[0]["address"])
    assert member_figure(panel, "votes_from").startswith("compte depuis le ")

    page.locator("#lang-switch").click()
    assert safeguards.locator("h2").inner_text() == "Governance safeguards"
    assert listed.locator("[data-reason]").inner_text() == f"“{reason}”"
    on_proposal = page.locator(f"#proposal-list [data-guardian-reason='{proposal_id}']").inner_text()
    assert on_proposal == f"Cancelled by the guardian: “{reason}”"
    assert ends.inner_text() == f"votes and invites from {paris_time(newcomer['votes_from'], 'en')}"
    assert number_text(figure(page, "budget.spent"), "en") == "3.00"
    assert not probe.problems, probe.problems
