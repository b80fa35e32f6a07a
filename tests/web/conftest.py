"""Fixtures of the browser tests: the API tests' world (a real anvil chain, the indexer's scenario
played on it, the real indexer run into a SQLite file), the API served by a real uvicorn process
over it, and Debian's Chromium driven by Playwright.

Debian's `chromium` is installed with apt-get when /usr/bin/chromium is missing and we are root;
Playwright's own browser download is never used (it cannot reach its servers here)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.api.helpers import World, indexed_world
from tests.web.helpers import DESKTOP, PHONE, PageProbe
from tests.web.world_server import ApiServer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("CMIR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The session's world, exactly as the API tests build it (deployment, scenario, indexer)."""
    with indexed_world(tmp_path_factory.mktemp("api")) as built:
        yield built


def ensure_chromium() -> Path:
    """Debian's Chromium, installed through apt-get when missing (root only)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)  # noqa: S603
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    if not CHROMIUM.exists():
        pytest.fail(f"apt-get installed chromium but {CHROMIUM} is still missing")
    return CHROMIUM


@pytest.fixture(scope="session")
def api(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The API and the page, served by uvicorn on a free loopback port over the world."""
    log = tmp_path_factory.mktemp("web") / "api.log"
    server = ApiServer(world.db_url, world.dao.url, world.dao.record_path, log)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver (its own browsers are not used)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    chromium = playwright.chromium.launch(executable_path=str(ensure_chromium()), args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def probe(browser: Browser, api: ApiServer) -> Iterator[PageProbe]:
    """A desktop-sized page (1280x800) with French as the stored language (none yet)."""
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR", timezone_id="Europe/Paris")
    try:
        yield PageProbe(context.new_page(), api.url)
    finally:
        context.close()


@pytest.fixture
def phone_probe(browser: Browser, api: ApiServer) -> Iterator[PageProbe]:
    """A phone-sized page (390x844, touch, device scale 2 like a recent phone)."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    try:
        yield PageProbe(context.new_page(), api.url)
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """artifacts/screenshots/ (gitignored), where the tests leave what they saw."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
