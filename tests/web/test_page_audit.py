"""The page's "Vérification" section shows the latest full audit the independent auditor
published (`cmir audit --api … --report`): its result, block and counts per resource, the
command that re-runs it and its HTML report; a server with no published audit says so."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.web.helpers import DESKTOP, PageProbe
from tests.web.world_server import ApiServer


@pytest.fixture(scope="module")
def audited(world: Any, api: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """A server publishing the report of a full audit of `api`, run as the operator runs it."""
    folder = tmp_path_factory.mktemp("audited")
    done = subprocess.run(  # noqa: S603 - the project's own CLI
        [
            str(Path(sys.executable).with_name("cmir")),
            "audit",
            "--rpc",
            world.dao.url,
            "--deployment",
            str(world.dao.record_path),
            "--api",
            api.url,
            "--metadata-dir",
            str(world.metadata_dir),
            "--quiet",
            "--report",
            str(folder / "latest"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    server = ApiServer(
        world.db_url,
        world.dao.url,
        world.dao.record_path,
        folder / "api.log",
        {"CMIR_AUDIT_REPORT": str(folder / "latest.json")},
    )
    try:
        yield server
    finally:
        server.stop()


def test_the_page_shows_the_latest_full_audit(browser: Browser, audited: ApiServer) -> None:
    summary: Any = audited.get("/audit")
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR", timezone_id="Europe/Paris")
    try:
        probe = PageProbe(context.new_page(), audited.url)
        page = probe.open()
        panel = page.locator("#audit-panel")
        assert panel.locator("h3").inner_text().startswith("Dernier audit complet")
        assert page.locator("#audit-status").get_attribute("data-result") == "RECONCILED"
        assert page.locator("#audit-result").get_attribute("data-block") == str(summary["block"])
        text = page.locator("#audit-result").inner_text().replace("\u202f", " ").replace("\xa0", " ")
        assert f"{summary['block']:,}".replace(",", " ") in text and "0 écart(s)" in text
        rows = page.locator("#audit-panel [data-resource]")
        assert rows.evaluate_all("rows => rows.map(r => r.dataset.resource)") == [
            r["name"] for r in summary["resources"]
        ]
        assert summary["command"] in panel.inner_text()
        with page.expect_navigation():
            panel.get_by_role("link", name="Lire le rapport d'audit complet").click()
        assert "RÉCONCILIÉ / RECONCILED" in page.content()
        assert not probe.problems, probe.problems
    finally:
        context.close()


def test_without_a_published_audit_the_page_says_so(probe: PageProbe, api: ApiServer) -> None:
    assert api.get("/audit")["available"] is False
    page = probe.open()
    assert page.locator("#audit-result").get_attribute("data-result") == "none"
    assert "Aucun audit indépendant" in page.locator("#audit-panel").inner_text()
    assert not probe.problems, probe.problems
