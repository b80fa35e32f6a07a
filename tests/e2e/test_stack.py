"""`make up` end to end: the demo is served, a member, a voter and the steward act through the
`cmir` command line, the indexer mirrors it, and the auditor's independent check reconciles —
until one flow is altered in the database, which the auditor then names."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
import requests
from web3 import Web3

from cmir.dev.devchain import rpc
from tests.e2e.helpers import Stack, cmir

pytestmark = pytest.mark.e2e

STATES = {"pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed"}


def test_up_serves_the_seeded_demo(stack: Stack) -> None:
    printed = "\n".join(stack.output)
    assert f"{stack.api_url}/" in printed and f"{stack.api_url}/api/v1/health" in printed
    assert stack.rpc_url in printed and "demo accounts" in printed
    health = requests.get(f"{stack.api_url}/api/v1/health", timeout=10).json()
    assert health["status"] == "ok", health
    pool = requests.get(f"{stack.api_url}/api/v1/pool", timeout=10).json()
    assert pool["relation_count"] >= 400 and pool["active_members"] >= 80
    accounts = stack.accounts["accounts"]
    kinds = {a["kind"] for a in accounts if a["role"] == "member"}
    assert kinds == {"Pilote", "Abeille", "EssStructure"}
    assert len({a["region"] for a in accounts if a["region"]}) >= 8
    listed = stack.cmir("dao", "proposals")
    assert listed.code == 0, listed.text
    assert {state for state in STATES if f"{state} (" in listed.out} == STATES, listed.out
    assert "canceled (annulée : gardien)" in listed.out and "canceled by the guardian" in listed.out
    # The network grew as the admission rules allow: the founders first, newcomers in probation
    # for 30 days, some still in it now; one ESS structure admitted by a vote.
    members = [a for a in accounts if a["role"] == "member"]
    assert sum(1 for a in members if a["votes_from"] > a["joined_at"]) == len(members) - 5
    assert sum(1 for a in members if a["votes_from"] > time.time()) >= 5
    assert sum(1 for a in members if a["admitted_by_governance"]) == 1
    assert {a["role"] for a in accounts} >= {"attester", "guardian"}
    printed_probation = next(line for line in stack.output if "still in probation" in line)
    assert "awaiting activation" in printed_probation
    projects = requests.get(f"{stack.api_url}/api/v1/ess/projects", params={"limit": 100}, timeout=10).json()
    assert projects["page"]["total"] >= 20
    assert {p["metadata_status"] for p in projects["items"]} == {"ok"}, projects["items"][0]


def test_member_voter_and_steward_then_audit(stack: Stack) -> None:
    sponsor, newcomer, counterparty, operator, supplier = (stack.account(i) for i in (1, 96, 2, 0, 90))
    # Member: invite, join, pay for a relation (its points pending until the epoch ends: nothing
    # to claim yet), a day later pay another (the first one's points have matured and share in
    # it), claim, look at it.
    invited = stack.cmir(
        "member", "invite", newcomer["address"], "--kind", "Pilote", *stack.signer(1), "--yes"
    )
    assert invited.code == 0, invited.text
    assert "gas used" in invited.out and "About to invite" in invited.out
    joined = stack.cmir("member", "join", *stack.signer(96), "--yes")  # its only invitation
    assert joined.code == 0, joined.text
    assert f"sponsor {sponsor['address']}, kind Pilote" in joined.out
    first = stack.cmir(
        "member", "pay", counterparty["address"], "25", "--ref", "E2E-RDV-0001", *stack.signer(96), "--yes"
    )
    assert first.code == 0, first.text
    assert "the points it gives are pending in epoch" in first.out
    pending = stack.cmir("member", "rewards", *stack.signer(96))
    assert "matured    0 points" in pending.out, pending.text
    assert "pending    5000000 points earned in epoch" in pending.out  # 20 % of 25 tEUR, the payer's weight
    early = stack.cmir("member", "claim", *stack.signer(96), "--yes")
    assert early.code == 1 and "RedistributionNothingToClaim" in early.err, early.text
    assert "your 5000000 pending points mature at" in early.err
    assert stack.cmir("dev", "travel", "1d").code == 0
    paid = stack.cmir(
        "member", "pay", counterparty["address"], "42.50", "--ref", "E2E-RDV-0002", *stack.signer(96), "--yes"
    )
    assert paid.code == 0, paid.text
    relation_tx = paid.tx()
    claimed = stack.cmir("member", "claim", *stack.signer(96), "--yes")
    assert claimed.code == 0, claimed.text
    shown = stack.cmir("member", "show", newcomer["address"])
    assert "Pilote" in shown.out and f"sponsor      {sponsor['address']}" in shown.out, shown.text
    assert "points       5000000 matured" in shown.out and "pending      8500000 points" in shown.out
    assert "votes        0: in probation until" in shown.out
    rewards = stack.cmir("member", "rewards", *stack.signer(96))
    assert "in 1 claim(s)" in rewards.out, rewards.text

    # Voter: propose a funding, vote (three members through the CLI, the quorum's rest through
    # raw RPC from anvil's unlocked accounts), queue, execute.
    proposed = stack.cmir(
        "dao",
        "propose-funding",
        "1",
        "250",
        "-d",
        "E2E : financer le projet n°1 (250 €)",
        *stack.signer(1),
        "--yes",
    )
    assert proposed.code == 0, proposed.text
    number = proposed.out.split("proposal n°")[1].split(",")[0]
    assert stack.cmir("dev", "travel", "1d").code == 0
    for index, choice in ((1, "for"), (2, "against"), (3, "abstain")):
        voted = stack.cmir(
            "dao", "vote", number, choice, "--reason", f"E2E {choice}", *stack.signer(index), "--yes"
        )
        assert voted.code == 0, voted.text
    twice = stack.cmir("dao", "vote", number, "for", *stack.signer(1), "--yes")
    assert twice.code == 1 and "GovernorAlreadyCastVote" in twice.err, twice.text
    w3 = Web3(Web3.HTTPProvider(stack.rpc_url))
    record = json.loads(stack.deployment.read_text())
    entry = record["contracts"]["governor"]
    gov = w3.eth.contract(address=entry["address"], abi=entry["abi"])
    pid = int(proposed.out.split(", id ")[1].split()[0])
    members = [a for a in stack.accounts["accounts"] if a["role"] == "member" and not a["excluded"]][3:30]
    for member in members:
        gov.functions.castVote(pid, 1).transact({"from": member["address"]})
    assert stack.cmir("dev", "travel", "3d").code == 0
    queued = stack.cmir("dao", "queue", number, *stack.signer(2), "--yes")
    assert queued.code == 0, queued.text
    early = stack.cmir("dao", "execute", number, *stack.signer(2), "--yes")
    assert early.code == 1 and "TimelockUnexpectedOperationState" in early.err, early.text
    assert stack.cmir("dev", "travel", "1d").code == 0
    executed = stack.cmir("dao", "execute", number, *stack.signer(2), "--yes")
    assert executed.code == 0, executed.text

    # Steward: spend the collective fund.
    spent = stack.cmir(
        "collective",
        "spend",
        supplier["address"],
        "75",
        "--memo",
        "E2E : café de la vitrine",
        *stack.signer(0),
        "--yes",
    )
    assert spent.code == 0, spent.text
    assert operator["role"] == "operator"

    # The mirror catches up; the auditor reconciles everything with the API.
    block = stack.wait_mirrored()
    audit = cmir(
        "audit", "--rpc", stack.rpc_url, "--deployment", str(stack.deployment), "--api", stack.api_url
    )
    assert audit.code == 0, audit.text[-3000:]
    assert f"RECONCILED at block {block}" in audit.out
    flows = requests.get(
        f"{stack.api_url}/api/v1/flows", params={"kind": "relation", "limit": "5"}, timeout=10
    ).json()
    assert flows["items"][0]["tx_hash"] == relation_tx

    # Alter one flow in the database: the auditor names it and fails.
    database = stack.state / "index.sqlite3"
    with sqlite3.connect(database) as connection:
        (log_index,) = connection.execute(
            "SELECT log_index FROM inflows WHERE tx_hash = ?", (relation_tx,)
        ).fetchone()
        connection.execute("UPDATE inflows SET amount = amount + 1000000 WHERE tx_hash = ?", (relation_tx,))
    # The API keeps each response until its indexed block moves: move it (one empty block).
    rpc(stack.rpc_url, "evm_mine")
    stack.wait_mirrored()
    tampered = cmir(
        "audit", "--rpc", stack.rpc_url, "--deployment", str(stack.deployment), "--api", stack.api_url
    )
    assert tampered.code == 1, tampered.text[-3000:]
    assert f"flow {relation_tx}:{log_index} (relation" in tampered.out
    assert "amount: API 43500000 != chain 42500000" in tampered.out
    assert "NOT RECONCILED" in tampered.out
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE inflows SET amount = amount - 1000000 WHERE tx_hash = ?", (relation_tx,))
    # Put back: the API shows the true row again once its block moves (later tests audit it).
    rpc(stack.rpc_url, "evm_mine")
    stack.wait_mirrored()
    assert int(rpc(stack.rpc_url, "eth_chainId"), 16) == 31337
