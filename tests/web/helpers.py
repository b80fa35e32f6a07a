"""Helpers of the browser tests: the viewports they use, a page that records what it logged and
requested, an amount as the page shows it, the member panel."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from playwright.sync_api import Locator, Page, ViewportSize

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
PHONE_WIDTH = 390


class PageProbe:
    """A page in a fresh browser context, with what it logged and every URL it requested."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.requests: list[str] = []
        self.problems: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                self.problems.append(f"console {message.type}: {message.text}")
                if message.type in ("error", "warning")
                else None
            ),
        )
        page.on(
            "response",
            lambda response: (
                self.problems.append(f"HTTP {response.status} {response.url}")
                if response.status >= 400
                else None
            ),
        )

    def open(self, path: str = "/", charts: bool = True) -> Page:
        """Load the page and wait until every section has been filled; with `charts`, also
        scroll to each chart (they load when they come near the screen) until it is drawn."""
        self.page.goto(self.base_url + path)
        self.page.wait_for_selector("body[data-loaded='true']", timeout=30_000)
        if charts:
            draw_charts(self.page)
        return self.page


CHARTS = ("utility-chart", "sankey-chart", "network-chart")


def draw_charts(page: Page) -> None:
    """Bring each chart into view until it is drawn (or says the library could not load), then
    go back to the top of the page."""
    for chart in CHARTS:
        page.locator(f"#{chart}").scroll_into_view_if_needed()
        page.wait_for_selector(
            f"#{chart}[data-chart='ready'] svg, #{chart}[data-chart='unavailable']", timeout=15_000
        )
    page.evaluate("window.scrollTo(0, 0)")


def cents(amount: dict[str, str]) -> str:
    """An API amount as the page shows it: two decimals, rounded half up from the exact value."""
    return str(Decimal(amount["display"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def show_member(page: Page, address: str) -> Locator:
    """Look a member up with the form; the panel once it shows that member."""
    page.locator("#member-address").fill(address)
    page.locator("#member-form button[type='submit']").click()
    selector = f"#member-panel[data-state='ready'][data-address='{address}']"
    page.wait_for_selector(selector, timeout=10_000)
    return page.locator(selector)
