"""The members' app in Debian's Chromium, against `make up` (anvil, the contracts, the demo, the
indexer following the chain, the API and the relayer's sender) with an injected EIP-1193 test
wallet signing in Python:
a member joins with a permit, pays with a permit, claims, votes by signature holding 0 ETH,
proposes; an ESS structure registers a project whose hash matches on chain; a revert is shown in
French; the demo wallet works; every view passes axe-core (no serious or critical WCAG 2.1 A/AA
violation) and fits 390 px, and is saved as a screenshot (desktop and phone)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from eth_utils.crypto import keccak
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.helpers import Stack
from tests.web.helpers import DESKTOP, PHONE, PHONE_WIDTH
from tests.web.members_stack import Chain, stack
from tests.web.members_wallet import NAME, TestWallet

__all__ = ["stack"]  # the session's `make up`, a fixture

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWS = {
    "compte": "",
    "adhesion": "adhesion",
    "payer": "payer",
    "recompenses": "recompenses",
    "propositions": "propositions",
    "projet": "projet",
}
TX_TIMEOUT = 150_000  # the app waits up to 120 s for the relayer's transaction


@pytest.fixture(scope="session")
def chain(stack: Stack) -> Chain:
    """The stack's contracts, read behind the app's back."""
    return Chain(stack)


def members(stack: Stack, chain: Chain) -> list[dict[str, Any]]:
    """The demo's members still active, past their probation."""
    now = chain.w3.eth.get_block("latest")["timestamp"]
    found = []
    for entry in stack.accounts["accounts"]:
        if entry["role"] != "member" or not chain.is_member(entry["address"]):
            continue
        if chain.call("membership", "memberOf", entry["address"])[5] <= now:
            found.append(dict(entry))
    return found


def context_with_wallet(
    browser: Browser, stack: Stack, key: str, phone: bool = False
) -> tuple[BrowserContext, TestWallet]:
    """A fresh browser context with the test wallet injected, signing as `key`."""
    size = PHONE if phone else DESKTOP
    context = browser.new_context(
        viewport=size,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
    )
    wallet = TestWallet(key, stack.rpc_url)
    wallet.install(context)
    return context, wallet


def loaded(page: Page) -> None:
    """Until the view has rendered."""
    page.wait_for_selector("body[data-loaded='true']", timeout=30_000)


def connect(page: Page, stack: Stack, wallet: TestWallet) -> None:
    """Open the app and connect the injected wallet (listed by EIP-6963 like any extension)."""
    page.goto(f"{stack.api_url}/app/")
    loaded(page)
    page.get_by_role("button", name=NAME).click()
    page.wait_for_selector(f"#my-address:text-is('{wallet.address}')", timeout=30_000)


def goto(page: Page, stack: Stack, view: str) -> None:
    """Show a view (by its route)."""
    page.goto(f"{stack.api_url}/app/#/{view}")
    loaded(page)


def run_action(page: Page, scope: str = "main", mode: str = "gasless") -> str:
    """Choose how to send (gasless, the default, or direct from the wallet), click the action's
    button (its explanation is on screen first); wait for the outcome; returns its state, done
    or error."""
    panel = page.locator(f"{scope} .tx-panel").last
    panel.locator("ul.explain li").first.wait_for(timeout=20_000)  # explained before anything is signed
    choice = panel.locator(f"input[type='radio'][value='{mode}']")
    expect(choice).to_be_enabled(timeout=10_000)  # once the app knows the relayer is on
    choice.check()
    panel.locator("button.primary").click()
    try:
        panel.locator(".result[data-state]").wait_for(timeout=TX_TIMEOUT)
    except PlaywrightTimeoutError:
        raise AssertionError(
            f"no outcome within {TX_TIMEOUT} ms; the panel shows:\n{panel.inner_text()}"
        ) from None
    return str(panel.locator(".result").get_attribute("data-state"))


def result_text(page: Page) -> str:
    """The last action's outcome as shown."""
    return page.locator("main .tx-panel .result").last.inner_text()


def api(stack: Stack, path: str, **params: Any) -> Any:
    """GET an API path (under /api/v1) of the stack, as JSON."""
    response = requests.get(f"{stack.api_url}/api/v1{path}", params=params, timeout=10)
    assert response.status_code == 200, (path, response.text[:300])
    return response.json()


def wait_for(predicate: Any, timeout: float = 30, what: str = "condition") -> None:
    """Poll `predicate` until true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def newcomer(stack: Stack) -> dict[str, Any]:
    """A candidate of the demo (not yet a member), a different one per test that asks."""
    taken = getattr(stack, "_taken", 0)
    stack._taken = taken + 1  # type: ignore[attr-defined]
    candidates = [a for a in stack.accounts["accounts"] if a["role"] == "candidate"]
    return dict(candidates[taken])


def invite_and_join(browser: Browser, stack: Stack, chain: Chain, newcomer: dict[str, Any]) -> None:
    """A member invites the newcomer in the app, then the newcomer accepts (permit + one call)."""
    sponsor = next(
        m
        for m in members(stack, chain)
        if chain.call("membership", "invitationsAvailable", m["address"])[0] > 0
    )
    context, wallet = context_with_wallet(browser, stack, sponsor["private_key"])
    try:
        page = context.new_page()
        connect(page, stack, wallet)
        goto(page, stack, "adhesion")
        page.locator("#invitee").fill(newcomer["address"])
        page.locator("#invite-kind").select_option("Abeille")
        page.get_by_role("button", name="Préparer l'invitation").click()
        assert run_action(page) == "done", result_text(page)
    finally:
        context.close()
    context, wallet = context_with_wallet(browser, stack, newcomer["private_key"])
    try:
        page = context.new_page()
        connect(page, stack, wallet)
        wait_for(
            lambda: api(stack, "/invitations", invitee=newcomer["address"], status="live")["items"],
            what="the invitation mirrored",
        )
        goto(page, stack, "adhesion")
        state = run_action(page)
        assert state == "done", result_text(page)
        assert "eth_signTypedData_v4" in wallet.calls  # the fee's permit
        assert chain.is_member(newcomer["address"])
    finally:
        context.close()


def test_member_joins_pays_with_a_permit_and_sees_it(
    browser: Browser, stack: Stack, chain: Chain, newcomer: dict[str, Any], screenshots: Path
) -> None:
    """Invited in the app, the newcomer accepts paying the fee with a permit, then pays a relation
    with a reference (split shown first; one permit signature then one call); the relation shows
    in its account once indexed."""
    invite_and_join(browser, stack, chain, newcomer)
    counterparty = members(stack, chain)[0]
    before = chain.call("token", "balanceOf", newcomer["address"])
    context, wallet = context_with_wallet(browser, stack, newcomer["private_key"])
    try:
        page = context.new_page()
        connect(page, stack, wallet)
        goto(page, stack, "payer")
        page.locator("#pay-counterparty").fill(counterparty["address"])
        page.locator("#pay-amount").fill("25,50")
        page.locator("#pay-ref").fill("RDV-APP-0001")
        page.locator("#pay-prepare").click()
        split = page.locator("#pay-split").inner_text()
        assert "Membres" in split and "ESS" in split and "Fonds collectif" in split
        shares = chain.call("pool", "shares")  # 45 / 35 / 20 % on the demo: 11.475, 8.925, 5.10
        if tuple(shares) == (4500, 3500, 2000):
            assert all(part in split for part in ("11,48", "8,92", "5,10")), split  # adds up to 25,50
        assert run_action(page) == "done", result_text(page)
        page.screenshot(path=str(screenshots / "app-payer-done-desktop.png"), full_page=True)
        assert "eth_sendTransaction" not in wallet.calls  # signed only: the relayer sent it
        relayed = api(stack, "/relay/requests", signer=newcomer["address"])["items"]
        assert {r["function"] for r in relayed if r["status"] == "confirmed"} >= {
            "acceptInvitationWithPermit",
            "payRelationWithPermit",
        }
        decimals = chain.call("token", "decimals")
        assert before - chain.call("token", "balanceOf", newcomer["address"]) == 2550 * 10 ** (decimals - 2)
        goto(page, stack, "")

        def shown() -> bool:
            page.reload()
            loaded(page)
            return "RDV-APP-0001" in page.locator("main").inner_text()

        wait_for(shown, 40, "the relation in the account")
    finally:
        context.close()


def test_claim_and_a_revert_in_french(
    browser: Browser, stack: Stack, chain: Chain, screenshots: Path
) -> None:
    """A member with rewards and no ETH claims them (a forwarded request); claiming again is
    refused, explained in French."""
    claimant = next(m for m in members(stack, chain) if chain.call("pool", "claimableOf", m["address"]) > 0)
    chain.set_balance(claimant["address"], 0)  # a forwarded call: the relayer pays the gas
    context, wallet = context_with_wallet(browser, stack, claimant["private_key"])
    try:
        page = context.new_page()
        connect(page, stack, wallet)
        goto(page, stack, "recompenses")
        assert run_action(page) == "done", result_text(page)
        assert chain.call("pool", "claimableOf", claimant["address"]) == 0
        page.locator("main .result a[data-tx]").click()  # the transaction, read from the chain
        expect(page.locator("main")).to_contain_text("réussie")
        goto(page, stack, "recompenses")
        assert run_action(page) == "error"
        assert page.locator("main .result").last.get_attribute("data-error") == "RedistributionNothingToClaim"
        assert "Vous n'avez rien à réclamer pour l'instant." in result_text(page)
        page.screenshot(path=str(screenshots / "app-recompenses-revert-desktop.png"), full_page=True)
    finally:
        context.close()


def test_vote_by_signature_holding_no_eth(browser: Browser, stack: Stack, chain: Chain) -> None:
    """A member holding 0 ETH votes For with a reason: it signs a ballot, the relayer casts it."""
    active = api(stack, "/governance/proposals", state="active", limit=50)["items"]
    assert active, "the demo has an active proposal"
    proposal = active[0]
    voter = next(
        m
        for m in members(stack, chain)
        if not chain.call("governor", "hasVoted", int(proposal["id"]), m["address"])
    )
    chain.set_balance(voter["address"], 0)
    assert api(stack, "/relay")["enabled"], api(stack, "/relay")
    context, wallet = context_with_wallet(browser, stack, voter["private_key"])
    try:
        page = context.new_page()
        connect(page, stack, wallet)
        goto(page, stack, "propositions")
        # decoded actions read as the page shows them: amounts in euros, structs field by field
        actions = page.locator("main").inner_text()
        assert re.search(r"setMinRelationFee\(newFee=15,00\s*tEUR\)", actions), actions
        assert "newShares={" in actions and "[object Object]" not in actions
        item = page.locator(f"article.proposal[data-proposal='{proposal['id']}']")
        item.locator("textarea").fill("Projet utile au territoire")
        item.get_by_role("button", name="Préparer mon vote").click()
        assert run_action(page, f"article.proposal[data-proposal='{proposal['id']}']") == "done", result_text(
            page
        )
        assert chain.call("governor", "hasVoted", int(proposal["id"]), voter["address"])
        assert chain.w3.eth.get_balance(voter["address"]) == 0
        assert "eth_sendTransaction" not in wallet.calls
    finally:
        context.close()


def test_propose_an_ess_funding(browser: Browser, stack: Stack, chain: Chain) -> None:
    """A member past its probation proposes funding a project of the directory."""
    proposer = members(stack, chain)[1]
    count = api(stack, "/governance/proposals", limit=1)["page"]["total"]
    context, wallet = context_with_wallet(browser, stack, proposer["private_key"])
    try:
        page = context.new_page()
        connect(page, stack, wallet)
        goto(page, stack, "propositions")
        page.locator("#fund-amount").fill("100")
        page.locator("#fund-description").fill("Financer un projet de l'annuaire : 100 €")
        page.get_by_role("button", name="Préparer la proposition").click()
        assert run_action(page, mode="direct") == "done", result_text(page)  # it holds ETH: sends itself
        assert "eth_sendTransaction" in wallet.calls
        wait_for(
            lambda: api(stack, "/governance/proposals", limit=1)["page"]["total"] == count + 1,
            40,
            "the proposal mirrored",
        )
    finally:
        context.close()


def test_ess_structure_registers_a_project(browser: Browser, stack: Stack, chain: Chain) -> None:
    """An ESS structure builds its metadata in the form; the browser hashes it, the API stores it,
    the registry records it: the document served at the URI hashes to the hash on chain."""
    ess = next(m for m in members(stack, chain) if m["kind"] == "EssStructure")
    before = chain.call("registry", "projectCount")
    context, wallet = context_with_wallet(browser, stack, ess["private_key"])
    try:
        page = context.new_page()
        connect(page, stack, wallet)
        goto(page, stack, "projet")
        page.locator("#project-name").fill("Atelier vélo solidaire — Lyon")
        page.locator("#project-structure").fill(ess["name"])
        page.locator("#project-legal").fill("association loi 1901")
        page.locator("#project-territories").fill("69123")
        page.locator("#project-themes").fill("mobilité, réemploi")
        page.locator("#project-description").fill("Réparer et prêter des vélos aux habitants.")
        page.locator("#project-prepare").click()
        page.locator("#project-uri").wait_for(timeout=20_000)
        assert run_action(page) == "done", result_text(page)
        assert chain.call("registry", "projectCount") == before + 1
        project = chain.call("registry", "projectOf", before + 1)
        document = requests.get(project[5], timeout=10).content
        assert keccak(document) == project[4]
        assert b"Atelier v\xc3\xa9lo solidaire" in document
    finally:
        context.close()


def demo_connect(page: Page, address: str) -> None:
    """Pick a demo account in the demo wallet and connect it."""
    page.locator("#demo-account").select_option(address)
    page.locator("#demo-connect").click()
    page.wait_for_selector(f"#my-address:text-is('{address}')", timeout=30_000)


def test_demo_wallet_walks_a_newcomer_in(browser: Browser, stack: Stack, chain: Chain) -> None:
    """`make up` serves the demo wallet: with nothing installed, a member invites a candidate,
    the candidate (another demo account) accepts; the app switches to English on request."""
    sponsor = next(
        m
        for m in members(stack, chain)
        if chain.call("membership", "invitationsAvailable", m["address"])[0] > 0
    )
    candidate = [a for a in stack.accounts["accounts"] if a["role"] == "candidate"][-1]
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(f"{stack.api_url}/app/")
        loaded(page)
        demo_connect(page, sponsor["address"])
        assert page.locator("#membership-state").get_attribute("data-member") == "true"
        goto(page, stack, "adhesion")
        page.locator("#invitee").fill(candidate["address"])
        page.get_by_role("button", name="Préparer l'invitation").click()
        assert run_action(page) == "done", result_text(page)
        goto(page, stack, "")
        page.get_by_role("button", name="Changer de portefeuille").click()
        demo_connect(page, candidate["address"])
        assert page.locator("#membership-state").get_attribute("data-member") == "false"
        invited = {"invitee": candidate["address"], "status": "live"}
        wait_for(lambda: api(stack, "/invitations", **invited)["items"], what="the invitation mirrored")
        goto(page, stack, "adhesion")
        assert run_action(page) == "done", result_text(page)
        assert chain.is_member(candidate["address"])
        page.locator("#lang-switch").click()
        expect(page.locator("#nav")).to_contain_text("My account")
        assert page.evaluate("document.documentElement.lang") == "en"
    finally:
        context.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page, every impact."""
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))",
        AXE_TAGS,
    )
    return found


@pytest.fixture(params=["desktop", "phone"])
def viewed(
    request: pytest.FixtureRequest, browser: Browser, stack: Stack, chain: Chain
) -> Iterator[tuple[Page, str]]:
    """A member connected with the test wallet, on a desktop or a 390 px phone."""
    member = members(stack, chain)[2]
    context, wallet = context_with_wallet(
        browser, stack, member["private_key"], phone=request.param == "phone"
    )
    try:
        page = context.new_page()
        connect(page, stack, wallet)
        yield page, str(request.param)
    finally:
        context.close()


def test_every_view_accessible_fits_a_phone_and_is_captured(
    viewed: tuple[Page, str], stack: Stack, screenshots: Path
) -> None:
    """axe-core finds no serious or critical violation on any view; at 390 px nothing scrolls
    sideways; each view is saved as a screenshot."""
    page, size = viewed
    problems: dict[str, Any] = {}
    summary: list[str] = []
    for name, route in VIEWS.items():
        goto(page, stack, route)
        violations = axe_violations(page)
        found = ", ".join(f"{v['id']}/{v['impact']}" for v in violations) or "none"
        summary.append(f"{name}: {len(violations)} ({found})")
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        if serious:
            problems[name] = serious
        if size == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE_WIDTH, f"{name}: {width} px wide at {PHONE_WIDTH} px"
        page.screenshot(path=str(screenshots / f"app-{name}-{size}.png"), full_page=True)
    print(f"\naxe-core ({size}, WCAG 2.1 A/AA violations by view): " + "; ".join(summary))
    print(f"screenshots of the members' app: {screenshots}/app-*-{size}.png")
    assert not problems, problems
