"""`cmir audit` on a chain that exercises every rule it replays (tests/e2e/audit_chain.py):
relations over many epochs, capped inflows, a surplus, exclusions, a changed epoch length. It
reconciles at any block; an API figure that differs from the chain is named and fails it, and
so does a log altered on its way from the node."""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from cmir.audit.chain import Contract, Rpc
from cmir.audit.ledger import build
from tests.e2e.audit_chain import TOKEN, AuditChain, audit_chain
from tests.e2e.audit_mirror import Mirror, index_once
from tests.e2e.helpers import Result, cmir
from tests.e2e.rpc_proxy import doctoring_rpc

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditChain]:
    with audit_chain(tmp_path_factory.mktemp("audit")) as played:
        yield played


def audit(chain: AuditChain, *args: str, rpc_url: str | None = None) -> tuple[Result, float]:
    """`cmir audit` against the chain (or `rpc_url`); the result and how long it took."""
    started = time.monotonic()
    done = cmir("audit", "--rpc", rpc_url or chain.url, "--deployment", str(chain.record_path), *args)
    return done, time.monotonic() - started


def test_audit_reconciles_over_epochs_caps_surplus_and_exclusions(chain: AuditChain) -> None:
    pool = chain.pool
    # The chain holds what this test is about: relations in many epochs, a 30 s clock from
    # epoch 13, exclusions that removed matured and pending points.
    relations = pool.events.RelationPaid.get_logs(from_block=0)
    assert len({log.args.epoch for log in relations}) >= 8
    assert tuple(pool.functions.epochClock().call()[1:]) == (30, 13)
    frozen = pool.events.MemberRewardsFrozen.get_logs(from_block=0)
    assert len(frozen) == 3 and any(log.args.pendingRemoved for log in frozen)
    assert all(log.args.maturedRemoved for log in frozen[:1])

    done, seconds = audit(chain)
    print(f"cmir audit at block {chain.blocks['later']}: {seconds:.2f} s")
    assert done.code == 0, done.text[-4000:]
    assert f"RECONCILED at block {chain.blocks['later']}" in done.out
    assert "FAIL" not in done.out
    # The print-out: the epoch, the points, and why part of the members' share went to ESS.
    epoch = pool.functions.epoch().call()
    assert epoch == 500
    assert re.search(rf"Epoch {epoch} \(ends .*\); epochs of 30 s from epoch 13", done.out), done.out
    matured, pending = pool.functions.totals().call()[7:9]
    assert pending == 0 and f"Points: {matured} matured, 0 pending" in done.out
    for label in ("aucun point mûr / no matured points", "plafond d'époque / epoch reward cap"):
        line = next(line for line in done.out.splitlines() if label in line)
        assert re.search(r"[1-9]", line.split("│")[2]), line  # a non-zero amount
    assert "arrondi / rounding" in done.out
    surplus = next(line for line in done.out.splitlines() if "excédents (tout à l'ESS)" in line)
    assert f"{7 * TOKEN / TOKEN:,.6f}" in surplus, surplus


def test_audit_reconciles_while_points_are_pending(chain: AuditChain) -> None:
    block = chain.blocks["pending"]
    pending = chain.pool.functions.totals().call(block_identifier=block)[8]
    assert pending > 0
    done, _ = audit(chain, "--block", str(block))
    assert done.code == 0, done.text[-4000:]
    assert f"RECONCILED at block {block}" in done.out
    assert f"{pending} pending (earned in epoch 20" in done.out


def test_every_block_of_the_chain_reconciles(chain: AuditChain) -> None:
    """The replay agrees with the pool's views after every transaction: after each roll-over,
    claim, exclusion and change of the clock, not only at the end."""
    rpc = Rpc(chain.url)
    first = chain.pool.events.EpochLengthChanged.get_logs(from_block=0)[0].blockNumber  # the pool's
    failures = {}
    for block in range(first, chain.blocks["later"] + 1):
        ledger = build(rpc, chain.record_path, block)
        if not ledger.ok:
            failures[block] = [f"{c.name}: {c.expected} != {c.actual}" for c in ledger.checks if not c.ok]
    assert failures == {}


@pytest.fixture(scope="module")
def mirror(chain: AuditChain, tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    """The real indexer run once over the chain into a SQLite file, up to the block where the
    last booking's points are still pending (one block behind the head)."""
    mirror = index_once(chain.url, chain.record_path, tmp_path_factory.mktemp("mirror"), confirmations=1)
    assert mirror.block == chain.blocks["pending"]
    return mirror


def _row(database: Path, sql: str) -> dict[str, Any]:
    with closing(sqlite3.connect(database)) as connection:
        connection.row_factory = sqlite3.Row
        found = connection.execute(sql).fetchone()
    assert found is not None, sql
    return dict(found)


def test_audit_names_each_api_figure_that_differs(chain: AuditChain, mirror: Mirror) -> None:
    """The real API over the real indexer's mirror of this chain agrees with it at the mirror's
    block; with one row of four tables doctored (and served by a new API process, which has
    cached nothing), the audit names each figure that differs."""
    block = mirror.block
    with mirror.serving() as api:
        honest, seconds = audit(chain, "--api", api)
    print(f"cmir audit --api at block {block}: {seconds:.2f} s")
    assert honest.code == 0, honest.text[-4000:]
    assert (
        f"RECONCILED at block {block}: every identity holds and the API agrees on every record" in honest.out
    )
    assert "DIFF" not in honest.out

    ledger = build(Rpc(chain.url), chain.record_path, block)
    # A member who earned points in the epoch of the block (older pending points have matured).
    member = _row(
        mirror.database,
        "SELECT address, pending_points FROM members"
        " WHERE pending_points > 0 AND pending_epoch = (SELECT points_epoch FROM dao_state)",
    )
    relation = next(f for f in ledger.flows if f.kind == "relation" and f.members_to_ess)
    frozen = next(who for who in chain.excluded if ledger.freezes[who].pending_removed)
    was = int(member["pending_points"])
    with (
        mirror.doctored(
            [
                ("members", {"address": member["address"]}, {"pending_points": was + 7}),
                ("dao_state", {}, {"matured_points": 1}),
                (
                    "inflows",
                    {"block_number": relation.block, "log_index": relation.log_index},
                    {"members_to_ess": 0},
                ),
                ("reward_freezes", {"member": frozen}, {"pending_removed": 0}),
            ]
        ),
        mirror.serving() as api,
    ):
        doctored, _ = audit(chain, "--api", api)
    assert doctored.code == 1, doctored.text[-4000:]
    out = doctored.out
    print(*[line for line in out.splitlines() if "DIFF" in line], sep="\n")
    assert f"DIFF member {member['address']}: pending_points API {was + 7} != chain {was}" in out
    assert f"DIFF pool matured_points: API 1 != chain {ledger.sums['matured_points']}" in out
    assert (
        f"DIFF flow {relation.tx_hash}:{relation.log_index} (relation, block {relation.block}) "
        f"members_to_ess: API 0 != chain {relation.members_to_ess}"
    ) in out
    removed = ledger.freezes[frozen].pending_removed
    assert f"DIFF member detail {frozen}: freeze.pending_removed API 0 != chain {removed}" in out
    assert f"NOT RECONCILED at block {block}: 0 identity failure(s)" in out


def test_the_real_api_agrees_once_the_points_matured(
    chain: AuditChain, mirror: Mirror, tmp_path: Path
) -> None:
    """A copy of the mirror (restored after the doctoring above, if it ran) carried on to the
    head, where the last booking's points have matured on the clock alone (no booking since):
    members, nodes and pool figures agree."""
    shutil.copy(mirror.database, tmp_path / mirror.database.name)
    later = index_once(chain.url, chain.record_path, tmp_path)
    assert later.block == chain.blocks["later"]
    with later.serving() as api:
        done, seconds = audit(chain, "--api", api)
    print(f"cmir audit --api at block {later.block}: {seconds:.2f} s")
    assert done.code == 0, done.text[-4000:]
    assert f"RECONCILED at block {later.block}: every identity holds and the API agrees" in done.out


def test_a_log_altered_on_its_way_fails_the_replay(chain: AuditChain) -> None:
    pool = Contract("pool", chain.pool.address, chain.record["contracts"]["pool"]["abi"])
    topic = pool.topic("RelationPaid")
    altered: list[str] = []

    def alter(log: dict[str, Any]) -> None:
        # The first relation of epoch 10 claims to be of epoch 9 (the last word of its data).
        if log["topics"][0] != topic or altered or not log["data"].endswith(f"{10:064x}"):
            return
        log["data"] = log["data"][:-64] + f"{9:064x}"
        altered.append(log["transactionHash"])

    with doctoring_rpc(chain.url, alter) as url:
        done, _ = audit(chain, rpc_url=url)
    assert altered, "no relation of epoch 10 was read"
    assert done.code == 1, done.text[-4000:]
    assert "FAIL every inflow, claim and freeze agrees with the replayed rules" in done.out
    assert f"RelationPaid in tx {altered[0]}" in done.out
    assert "epoch 9, the clock gives 10 at its block's time" in done.out
    assert "NOT RECONCILED" in done.out


def test_audit_cannot_run_on_another_chain_or_before_the_pool(chain: AuditChain, tmp_path: Path) -> None:
    record = tmp_path / "other.json"
    record.write_text(chain.record_path.read_text().replace('"chain_id": 31337', '"chain_id": 5'))
    other = cmir("audit", "--rpc", chain.url, "--deployment", str(record))
    assert other.code == 2 and "the deployment was made on chain 5" in other.err, other.text
    before, _ = audit(chain, "--block", str(chain.record["deployment_block"]))  # the token's block
    assert before.code == 2 and "returned nothing for" in before.err, before.text
