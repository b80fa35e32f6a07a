"""``/api/v1/audit``: the latest audit the independent auditor published (`cmir audit --report`),
read from its JSON report and shown as it is; its HTML report served beside it; no report or an
unreadable one says so instead of failing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cmir.api.app import create_app
from tests.api.helpers import World


@pytest.fixture(scope="module")
def report(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real audit of the test chain (chain side only: no API server here), with its report."""
    target = tmp_path_factory.mktemp("audit") / "latest"
    done = subprocess.run(  # noqa: S603 - the project's own CLI
        [
            str(Path(sys.executable).with_name("cmir")),
            "audit",
            "--rpc",
            world.dao.url,
            "--deployment",
            str(world.dao.record_path),
            "--quiet",
            "--report",
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return target.with_suffix(".json")


@pytest.fixture(scope="module")
def published(world: World, report: Path) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings(audit_report=report))) as test_client:
        yield test_client


def test_the_latest_audit_is_served_as_the_auditor_wrote_it(published: TestClient, report: Path) -> None:
    written = json.loads(report.read_text())
    served = published.get("/api/v1/audit").json()
    assert served["available"] and served["result"] == written["result"] == "RECONCILED"
    assert (
        served["block"] == written["chain"]["block"]
        and served["block_hash"] == written["chain"]["block_hash"]
    )
    assert served["full"] is True and served["checked"] == written["totals"]["checked"] > 0
    assert [r["name"] for r in served["resources"]] == [r["name"] for r in written["resources"]]
    assert served["command"].endswith(f"--block {written['chain']['block']}")
    page = published.get(served["report_url"])
    assert page.status_code == 200 and "RÉCONCILIÉ" in page.text


def test_a_new_report_shows_at_once(published: TestClient, report: Path) -> None:
    """Not cached with the indexed block: the auditor may publish while the block stays."""
    written = json.loads(report.read_text())
    assert published.get("/api/v1/audit").json()["result"] == "RECONCILED"
    original = report.read_text()
    try:
        report.write_text(json.dumps({**written, "result": "NOT RECONCILED"}))
        assert published.get("/api/v1/audit").json()["result"] == "NOT RECONCILED"
        report.write_text("{not json")
        broken = published.get("/api/v1/audit")
        assert broken.status_code == 200
        assert broken.json()["available"] is False and "cannot be read" in broken.json()["error"]
    finally:
        report.write_text(original)


def test_no_report_published(client: TestClient) -> None:
    served = client.get("/api/v1/audit").json()
    assert served["available"] is False and served["error"] == "no audit report is published by this server"
    missing = client.get("/api/v1/audit/report.html")
    assert missing.status_code == 404 and missing.json()["detail"] == "no audit report is published"
