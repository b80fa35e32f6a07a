"""The transparency page as a visitor reads it: axe-core finds no WCAG 2.1 A/AA violation, the
figures are in the HTML before any script runs, each member and each project has a page of its
own that a link reaches and a reload keeps, every Sankey band says what it is, the network has a
table, the keyboard's focus survives "Voir plus", and the charts load only when they are needed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Browser, Page

from tests.web.helpers import DESKTOP, PHONE, PHONE_WIDTH, PageProbe, cents
from tests.web.world_server import ApiServer

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SPACES = re.compile(r"[\s\u00a0\u202f]")


def plain(text: str) -> str:
    """A French figure as a plain decimal ("1 234,50 tEUR" -> "1234.50")."""
    return re.sub(r"[A-Za-z%]+$", "", SPACES.sub("", text)).replace(",", ".")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(result =>
            result.violations.map(v => ({
                id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')),
            })))""",
        WCAG,
    )
    return found


def unfold(page: Page) -> None:
    """Open every folded part (tables, proposals with their actions and votes)."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.wait_for_function(
        "[...document.querySelectorAll('.proposal-detail')].every(box => box.querySelector('h4'))"
    )


def test_axe_finds_no_wcag_violation(probe: PageProbe, phone_probe: PageProbe, api: ApiServer) -> None:
    for visitor in (probe, phone_probe):
        page = visitor.open()
        assert axe_violations(page) == []
        unfold(page)
        assert axe_violations(page) == []
        member = api.get("/members", limit=1)["items"][0]["address"]
        project = api.get("/ess/projects", limit=1)["items"][0]["id"]
        for path in (f"/membres/{member}", f"/projets/{project}"):
            page.goto(api.url + path)
            page.wait_for_selector("#entity-panel[data-state='ready']")
            assert axe_violations(page) == [], path
        assert not visitor.problems, visitor.problems


def test_the_html_itself_has_the_figures_and_the_french_text(browser: Browser, api: ApiServer) -> None:
    """A browser without JavaScript (a screenshot taken before any script ran) already sees the
    key figures and every section's explanation, never "Chargement…" alone."""
    pool: Any = api.get("/pool")
    summary: Any = api.get("/network/summary", limit=24)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(api.url + "/")
        cards = page.locator("#figure-cards")
        assert "Chargement" not in cards.inner_text()
        assert plain(cards.locator("[data-figure='total_received']").inner_text()) == cents(
            pool["total_received"]
        )
        for bucket in ("members", "ess", "collective"):
            shown = cards.locator(f"[data-figure='{bucket}.received']").inner_text()
            assert plain(shown) == cents(pool["buckets"][bucket]["received"])
        assert plain(cards.locator("[data-figure='members_count']").inner_text()) == str(summary["members"])
        assert page.locator("#utility .help").inner_text().startswith("À la fin de chaque période")
        assert "Au bloc" in page.locator("#asof").inner_text()
    finally:
        context.close()


def test_the_page_shows_its_figures_when_the_api_is_slow(browser: Browser, api: ApiServer) -> None:
    """The figures come with the page: with every API request held back, they still show."""
    pool: Any = api.get("/pool")
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    try:
        context.route("**/api/v1/**", lambda route: None)  # never answered
        page = context.new_page()
        page.goto(api.url + "/")
        shown = page.locator("#figure-cards[data-state='ready'] [data-figure='total_received']")
        assert plain(shown.inner_text()) == cents(pool["total_received"])
    finally:
        context.close()


def test_a_member_has_a_page_reached_by_link_and_kept_on_reload(probe: PageProbe, api: ApiServer) -> None:
    graph: Any = api.get("/network/graph", limit=200, max_edges=1000)
    page = probe.open()
    # the network's table lists every member shown, each linked to its page
    page.locator("#network summary").click()
    page.wait_for_selector("#network-table tbody tr")
    rows = page.locator("#network-table tbody tr")
    assert rows.count() == len(graph["nodes"])
    node = graph["nodes"][0]
    link = page.locator(f"#network-table a[href='/membres/{node['id']}']").first
    assert " ".join(link.inner_text().split()) == f"Page du membre {node['id'][:6]}…{node['id'][-4:]}"
    link.click()
    page.wait_for_url(f"**/membres/{node['id']}")
    page.wait_for_selector("#entity-panel[data-state='ready']")
    member: Any = api.get(f"/members/{node['id']}")

    def check() -> None:
        panel = page.locator("#entity-panel")
        assert page.locator("#entity-title").inner_text() == f"Membre {node['id'][:6]}…{node['id'][-4:]}"
        assert member["address"] in panel.inner_text()
        assert (
            SPACES.sub("", panel.locator("[data-member='matured_points']").inner_text())
            == member["matured_points"]
        )
        assert plain(panel.locator("[data-member='claimable']").inner_text()) == cents(member["claimable"])
        assert page.title().startswith("Membre ")

    check()
    page.reload()
    page.wait_for_selector("#entity-panel[data-state='ready']")
    check()
    # an address that is no member's: the page says so; a path that is no address is a 404
    page.goto(f"{api.url}/membres/0x{'12' * 20}")
    page.wait_for_selector("#entity-panel[data-state='ready']")
    assert page.locator("#entity-panel [role='alert']").inner_text() == "Aucun membre à cette adresse."
    assert requests.get(f"{api.url}/membres/nobody", timeout=10).status_code == 404
    assert [p for p in probe.problems if "404" not in p] == [], probe.problems


def test_a_project_has_a_page_reached_from_the_directory(probe: PageProbe, api: ApiServer) -> None:
    page = probe.open()
    first = page.locator("#directory-results li.project").first
    project_id = first.get_attribute("data-project-id")
    project: Any = api.get(f"/ess/projects/{project_id}")
    first.locator("h3 a").click()
    page.wait_for_url(f"**/projets/{project_id}")
    for _ in range(2):  # as reached by the link, then after a reload
        page.wait_for_selector("#entity-panel[data-state='ready']")
        assert page.locator("#entity-title").inner_text() == project["name"]
        fundings = page.locator("#entity-panel [data-funding]")
        assert fundings.count() == len(project["fundings"])
        for index, funding in enumerate(project["fundings"]):
            assert plain(fundings.nth(index).locator("td").nth(1).inner_text()) == cents(funding["amount"])
        page.reload()
    page.goto(f"{api.url}/projets/999999")
    page.wait_for_selector("#entity-panel[data-state='ready']")
    assert "Aucun projet ESS n'a ce numéro." in page.locator("#entity-panel").inner_text()


def test_every_sankey_band_is_labelled_and_spends_are_named(probe: PageProbe, api: ApiServer) -> None:
    sankey: Any = api.get("/flows/sankey")
    spends: Any = api.get("/flows", direction="out", kind="collective_spend", limit=200)
    used = {
        n
        for link in sankey["links"]
        if link["value"]["units"] != "0"
        for n in (link["source"], link["target"])
    }
    page = probe.open()
    # what the chart writes beside its bands: one label for each, none hidden
    page.wait_for_function(f"document.querySelectorAll('#sankey-chart svg text').length >= {len(used)}")
    drawn = page.locator("#sankey-chart svg text").all_text_contents()
    assert len([text for text in drawn if text.strip()]) == len(used)
    assert not [text for text in drawn if re.search(r"0x[0-9a-fA-F]{6}", text)], drawn
    # the table names each spend's recipient by what the money paid for
    page.locator("#sankey summary").click()
    targets = page.locator("#sankey-table tbody tr td:nth-child(2)").all_inner_texts()
    memos = {flow["memo"] for flow in spends["items"] if flow["memo"]}
    recipients = [text for text in targets if text.startswith("Dépense")]
    assert len(recipients) == len([n for n in used if n.startswith("recipient:")])
    for text in recipients:
        assert any(memo in text for memo in memos), text
        assert "0x" not in text


def test_focus_follows_voir_plus_to_the_first_new_item(phone_probe: PageProbe) -> None:
    page = phone_probe.open()  # ten transactions a page on a phone
    button = page.locator("#flows-more")
    assert button.is_visible()
    before = page.locator("#flows-body tr").count()
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#flows-body tr').length > {before}")
    page.wait_for_function("document.activeElement && document.activeElement.matches('#flows-body tr')")
    focused = page.evaluate(
        "[...document.querySelectorAll('#flows-body tr')].indexOf(document.activeElement)"
    )
    assert focused == before
    # pressing Tab goes on from there, not from the top of the page
    page.keyboard.press("Tab")
    after = page.evaluate(
        f"""() => document.querySelectorAll('#flows-body tr')[{before}]
            .compareDocumentPosition(document.activeElement) & Node.DOCUMENT_POSITION_FOLLOWING"""
    )
    assert after


def test_proposal_summaries_have_distinct_names(probe: PageProbe) -> None:
    page = probe.open()
    names = page.locator("#proposal-list summary").all_inner_texts()
    assert len(names) >= 2
    assert len(set(names)) == len(names), names


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""

    def luminance(color: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", color)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_stands_out_3_to_1(probe: PageProbe) -> None:
    page = probe.open()
    for selector, background in (
        ("#lang-switch", ".top"),
        ("#flows-direction", "#flows"),
        ("#directory-results h3 a", "#directory"),
    ):
        page.locator(selector).first.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focused from the keyboard: the ring shows
        ring = page.evaluate(
            "() => { const el = document.activeElement; const style = getComputedStyle(el); return "
            "[style.outlineStyle, style.outlineWidth, style.outlineColor, el.outerHTML.slice(0, 80)]; }"
        )
        assert ring[0] == "solid" and float(ring[1].removesuffix("px")) >= 2, ring
        behind = page.evaluate(
            "(s) => getComputedStyle(document.querySelector(s)).backgroundColor", background
        )
        assert contrast(ring[2], behind) >= 3, (selector, ring, behind)


def test_charts_load_only_when_they_come_into_view(phone_probe: PageProbe) -> None:
    page = phone_probe.open(charts=False)
    assert not [url for url in phone_probe.requests if "page-charts" in url]
    assert page.locator("#network-chart svg").count() == 0
    page.locator("#network-chart").scroll_into_view_if_needed()
    page.wait_for_selector("#network-chart[data-chart='ready'] svg")
    assert [url for url in phone_probe.requests if "page-charts" in url]
    # the legend is outside the drawing, in the page's own text
    assert page.locator("#network-legend li").all_inner_texts()[:3] == ["Pilote", "Abeille", "Structure ESS"]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH
    assert not phone_probe.problems, phone_probe.problems


def test_member_and_project_pages_fit_a_phone(phone_probe: PageProbe, api: ApiServer) -> None:
    page = phone_probe.page
    member = api.get("/members", limit=1)["items"][0]["address"]
    project = api.get("/ess/projects", limit=1)["items"][0]["id"]
    for path in (f"/membres/{member}", f"/projets/{project}"):
        page.goto(api.url + path)
        page.wait_for_selector("#entity-panel[data-state='ready']")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, path
        assert page.locator("#entity-back").get_attribute("href") == "/"
    assert not phone_probe.problems, phone_probe.problems


NODES = """() => echarts.getInstanceByDom(document.getElementById('network-chart'))
    .getOption().series[0].data.map(n => [n.name, Math.round(n.x), Math.round(n.y)])"""


def test_the_network_keeps_its_layout_from_one_visit_to_the_next(probe: PageProbe) -> None:
    page = probe.open()
    first = page.evaluate(NODES)
    page.reload()
    page.wait_for_selector("body[data-loaded='true']")
    page.locator("#network-chart").scroll_into_view_if_needed()
    page.wait_for_selector("#network-chart[data-chart='ready'] svg")
    assert page.evaluate(NODES) == first
    # every node inside the drawing, none on its edges
    box = page.locator("#network-chart").bounding_box()
    assert box is not None
    for _, x, y in first:
        assert 0 < x < box["width"] and 0 < y < box["height"], (x, y, box)
