"""The audit a person can keep and the page shows: `make up` publishes a full audit (its JSON and
HTML report, served at /api/v1/audit), `--report` and `--sample` on the command line, and an
audit after the chain reorganised blocks the mirror had indexed still reconciles."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from cmir.dev.devchain import rpc
from tests.e2e.helpers import CHECKPOINT_TTL, Stack
from tests.e2e.tamper import audit_api

pytestmark = pytest.mark.e2e


def test_up_publishes_a_full_audit_the_page_shows(stack: Stack) -> None:
    printed = next(i for i, line in enumerate(stack.output) if line.startswith("[6/6]"))
    verdict = stack.output[printed + 1]
    assert "RECONCILED at block" in verdict and "NOT" not in verdict, "\n".join(stack.output)
    summary = requests.get(f"{stack.api_url}/api/v1/audit", timeout=10).json()
    assert summary["available"] and summary["result"] == "RECONCILED" and summary["full"], summary
    assert f"at block {summary['block']}" in verdict
    names = {r["name"] for r in summary["resources"]}
    assert {"pool figures", "flows"} <= names, names
    assert summary["checked"] == sum(r["checked"] for r in summary["resources"]) > 500
    assert summary["differences"] == 0 and summary["failures"] == 0
    assert summary["command"].startswith("cmir audit --rpc <RPC> --deployment deployments/")
    page = requests.get(f"{stack.api_url}{summary['report_url']}", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"RÉCONCILIÉ / RECONCILED</span> au bloc {summary['block']}" in page.text
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[0]  # nothing fetched


def test_report_and_sample(stack: Stack, tmp_path: Path) -> None:
    block = stack.wait_mirrored()
    done = audit_api(stack, "--sample", "5", "--seed", "7", "--report", str(tmp_path / "audit"))
    assert done.code == 0, done.text[-3000:]
    assert "Sample: 5 members drawn with --seed 7" in done.out
    report = json.loads((tmp_path / "audit.json").read_text())
    assert report["result"] == "RECONCILED" and not report["full"]
    assert report["sample"] == {"members": 5, "seed": 7}
    assert report["chain"]["block"] == block and report["chain"]["chain_id"] == 31337
    assert (
        report["chain"]["contracts"]["pool"]
        == json.loads(stack.deployment.read_text())["contracts"]["pool"]["address"]
    )
    assert all(i["ok"] for i in report["identities"]) and len(report["identities"]) > 20
    by_name = {r["name"]: r for r in report["resources"]}
    assert by_name["flows"]["checked"] > 500
    if "members" in by_name:  # a sample checks that many members, not every one
        assert by_name["members"]["checked"] == 5
    html = (tmp_path / "audit.html").read_text()
    assert "échantillon de 5 membres (graine 7)" in html
    assert f"--block {block}" in html
    # The same seed draws the same members; the draw is printed either way.
    again = audit_api(stack, "--sample", "5", "--seed", "7", "--report", str(tmp_path / "again.json"))
    assert json.loads((tmp_path / "again.json").read_text())["sample"] == report["sample"]
    assert again.code == 0


def _mirrored_hash(stack: Stack, timeout: float = 120) -> int:
    """Until the API serves the chain's head block by its hash (after a reorg at the same height,
    the block number alone says nothing); returns that block."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head = rpc(stack.rpc_url, "eth_getBlockByNumber", ["latest", False])
        served = requests.get(f"{stack.api_url}/api/v1/pool", timeout=10).json()["as_of"]
        if served["block"] == int(head["number"], 16) and served["block_hash"] == head["hash"]:
            return int(head["number"], 16)
        time.sleep(max(0.2, CHECKPOINT_TTL / 2))
    raise AssertionError("the API did not serve the reorganised head")


def test_audit_reconciles_after_a_reorg_and_with_excluded_members(stack: Stack) -> None:
    members = requests.get(
        f"{stack.api_url}/api/v1/members", params={"status": "excluded"}, timeout=10
    ).json()
    assert members["page"]["total"] >= 1  # the demo excluded a member
    counterparty = stack.account(2)["address"]
    paid = stack.cmir("member", "pay", counterparty, "12", "--ref", "E2E-REORG-1", *stack.signer(1), "--yes")
    assert paid.code == 0, paid.text
    doomed = paid.tx()
    stack.wait_mirrored()
    listed = requests.get(
        f"{stack.api_url}/api/v1/flows", params={"kind": "relation", "limit": "1"}, timeout=10
    )
    assert listed.json()["items"][0]["tx_hash"] == doomed
    head = int(rpc(stack.rpc_url, "eth_blockNumber"), 16)
    rpc(stack.rpc_url, "anvil_reorg", [2, []])  # the last two blocks replaced: the payment is gone
    assert int(rpc(stack.rpc_url, "eth_blockNumber"), 16) == head
    assert rpc(stack.rpc_url, "eth_getTransactionReceipt", [doomed]) is None
    block = _mirrored_hash(stack)
    done = audit_api(stack)
    assert done.code == 0, done.text[-3000:]
    assert f"RECONCILED at block {block}" in done.out
    latest = requests.get(
        f"{stack.api_url}/api/v1/flows", params={"kind": "relation", "limit": "1"}, timeout=10
    )
    assert latest.json()["items"][0]["tx_hash"] != doomed
