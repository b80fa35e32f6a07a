"""Points maturity in the mirror: as epochs end, the mirror's per-member matured and pending
points, pending epochs, maturity times and claimable rewards, and the pool's totals, equal the
pool's views at the indexed block — through roll-overs the chain records no event for, the
epoch reward cap, claims of points matured epochs ago, a change of the epoch length, an
exclusion removing matured and pending points, and a reorganisation across an epoch boundary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak
from sqlalchemy import select

from cmir.dev.devchain import rpc
from cmir.store import Claim, Inflow, Member, ParameterChange, RewardFreeze
from tests.indexer.indexer_chain import EUR, Dao, deploy_dao
from tests.indexer.indexer_mirror import diff, dump, engine_for, run_indexer
from tests.indexer.indexer_scenario import ABEILLE, MAX, PILOTE, Governance, epoch_left
from tests.indexer.indexer_views import pool_matches


@pytest.fixture
def dao(tmp_path: Path) -> Iterator[Dao]:
    """A fresh chain: founders 1-3, members 5 (sponsor 1) and 6 (sponsor 2), euros for all."""
    anvil, dao = deploy_dao(tmp_path)
    try:
        a = dao.accounts
        for account in a[:10]:
            dao.send(dao.token, "mint", account, 100_000 * EUR, sender=account)
            dao.send(dao.token, "approve", dao.pool.address, MAX, sender=account)
        for sponsor, invitee, kind in ((a[1], a[5], ABEILLE), (a[2], a[6], PILOTE)):
            dao.send(dao.membership, "invite", invitee, kind, sender=sponsor)
            dao.send(dao.membership, "acceptInvitation", sponsor, kind, sender=invitee)
        yield dao
    finally:
        anvil.stop()


def relation(dao: Dao, payer: int, counterparty: int, euros: int, ref: str) -> None:
    """`payer` pays `counterparty` (anvil account numbers) for a relation."""
    a = dao.accounts
    dao.send(dao.pool, "payRelation", a[counterparty], euros * EUR, keccak(text=ref), sender=a[payer])


def contribute(dao: Dao, euros: int) -> None:
    """An outsider's contribution."""
    dao.send(dao.pool, "contribute", euros * EUR, "don", sender=dao.accounts[9])


def next_epoch(dao: Dao) -> int:
    """Mine an empty block at the start of the next epoch; returns that epoch."""
    dao.travel(epoch_left(dao))
    return int(dao.pool.functions.epoch().call())


def synced(dao: Dao, db: str) -> dict[str, dict[str, Any]]:
    """Index up to the head, check the mirror against the pool's views there, and return the
    members rows by address."""
    stats = run_indexer(dao.url, dao.record_path, db)
    assert stats.checkpoint == dao.head()
    assert pool_matches(dao.pool, db) == []
    with engine_for(db).connect() as connection:
        return {m["address"]: dict(m) for m in connection.execute(select(Member.__table__)).mappings()}


def rows(db: str, model: Any) -> list[dict[str, Any]]:
    """A table's rows in chain order."""
    table = model.__table__
    with engine_for(db).connect() as connection:
        query = select(table).order_by(table.c.block_number, table.c.log_index)
        return [dict(r) for r in connection.execute(query).mappings()]


def test_points_mature_as_epochs_end_and_the_mirror_follows(
    dao: Dao, new_database: Callable[[], str]
) -> None:
    db = new_database()
    a = dao.accounts
    pool = dao.pool

    # Epoch 1: points pending; nothing matured, so the members' share of every inflow goes to ESS.
    first = int(pool.functions.epoch().call())
    relation(dao, 5, 6, 20, "e1-a")
    relation(dao, 1, 2, 15, "e1-b")
    contribute(dao, 5)
    members = synced(dao, db)
    end = int(pool.functions.epochEndsAt(first).call())
    assert (members[a[5]]["pending_epoch"], members[a[5]]["matures_at"]) == (first, end)
    assert all(m["matured_points"] == 0 for m in members.values())
    assert all(i["to_members"] == 0 and i["members_to_ess"] > 0 for i in rows(db, Inflow))

    # The epoch ends with no booking: the rows stay as the last events left them, the views
    # count those points matured, and so does the mirror read at the new head.
    second = next_epoch(dao)
    members = synced(dao, db)
    assert members[a[5]]["pending_points"] > 0 and second == first + 1

    # Epoch 2: inflows reach the matured points, the second one beyond the epoch's reward cap;
    # a member whose pending points matured earns new ones (settled at the epoch's end first).
    contribute(dao, 2)
    contribute(dao, 500)
    relation(dao, 6, 1, 12, "e2-a")
    members = synced(dao, db)
    small, large = rows(db, Inflow)[-3:-1]
    assert small["to_members"] > 0 and small["members_to_ess"] == 0
    assert large["to_members"] > 0 and large["members_to_ess"] > 0  # the cap
    assert members[a[6]]["matured_points"] > 0 and members[a[6]]["pending_epoch"] == second
    dao.send(pool, "claim", sender=a[5])

    # Epoch 3 has bookings (the roll-over records where epoch 2's points matured); in epoch 4
    # members claim points of epoch 2 (matured two epochs ago) and of epoch 3 (the last booking's).
    next_epoch(dao)
    relation(dao, 5, 1, 30, "e3-a")
    contribute(dao, 40)
    next_epoch(dao)
    dao.send(pool, "claim", sender=a[6])
    dao.send(pool, "claim", sender=a[1])
    members = synced(dao, db)
    claims = rows(db, Claim)
    assert [c["member"] for c in claims] == [a[5], a[6], a[1]]
    assert all(c["amount"] > 0 for c in claims)
    assert members[a[1]]["pending_points"] == 0 and members[a[1]]["pending_epoch"] is None

    # Governance shortens epochs (the running one keeps its end), lowers the cap and excludes
    # member 5 right after it earned pending points: both its matured and pending ones go.
    gov = Governance(dao)
    spec = gov.proposal(
        [
            (pool, "setEpochLength", (30,)),
            (pool, "setEpochRewardCap", (3000,)),
            (dao.membership, "exclude", (a[5], "inactif")),
        ],
        "Raccourcir les époques, exclure",
        a[1],
    )
    proposal = gov.propose(spec, a[1])
    dao.travel(2)
    for voter in (a[1], a[2], a[3]):
        dao.send(dao.governor, "castVote", proposal, 1, sender=voter)
    dao.travel(301)
    gov.step("queue", spec, a[1])
    dao.travel(61)
    relation(dao, 5, 2, 25, "before-exclusion")
    running = int(pool.functions.epoch().call())
    running_end = int(pool.functions.epochEndsAt(running).call())
    gov.step("execute", spec, a[2])
    members = synced(dao, db)
    (freeze,) = rows(db, RewardFreeze)
    assert freeze["member"] == a[5] and freeze["matured_removed"] > 0 and freeze["pending_removed"] > 0
    assert members[a[5]]["matured_points"] == members[a[5]]["pending_points"] == 0
    assert int(pool.functions.epochEndsAt(running).call()) == running_end
    clock = [p for p in rows(db, ParameterChange) if p["parameter"] == "epoch_length"][-1]
    assert clock["new_value"] == {"length": 30, "origin_epoch": running + 1, "origin": running_end}
    assert clock["old_value"]["length"] == 60

    # Epochs of the new length: pending points mature at their ends; the excluded member
    # claims what it had earned.
    relation(dao, 6, 2, 11, "short-a")
    members = synced(dao, db)
    assert members[a[6]]["matures_at"] == running_end + 30 * (members[a[6]]["pending_epoch"] - running)
    next_epoch(dao)
    contribute(dao, 9)
    dao.send(pool, "claim", sender=a[5])
    relation(dao, 2, 6, 14, "short-b")
    synced(dao, db)
    assert rows(db, Claim)[-1]["amount"] == freeze["accrued"] > 0


def test_a_reorg_across_an_epoch_boundary(dao: Dao, new_database: Callable[[], str]) -> None:
    """The blocks that rolled the pool over to a new epoch are replaced by blocks of the old
    epoch: the mirror undoes the roll-over (and the maturity it brought) and equals both a fresh
    index and the pool's views; later epochs then go on as usual."""
    db = new_database()
    a = dao.accounts
    next_epoch(dao)  # a whole epoch ahead: the replacement blocks below still fit in it
    relation(dao, 5, 6, 20, "r1")
    relation(dao, 1, 5, 13, "r2")
    synced(dao, db)
    fork = dao.head()
    fork_time = dao.now()
    boundary = next_epoch(dao)
    contribute(dao, 30)  # rolls over: epoch `boundary - 1`'s points mature and earn
    relation(dao, 6, 1, 17, "r3")
    dao.send(dao.pool, "claim", sender=a[5])
    members = synced(dao, db)
    assert members[a[5]]["claimed"] > 0
    depth = dao.head() - fork

    rpc(dao.url, "anvil_rollback", [depth])
    assert dao.head() == fork
    rpc(dao.url, "evm_setNextBlockTimestamp", [fork_time + 1])
    relation(dao, 6, 5, 19, "r3-replaced")  # still in the old epoch: its points pend with theirs
    contribute(dao, 3)
    assert int(dao.pool.functions.epoch().call(block_identifier=fork + 1)) == boundary - 1
    stats = run_indexer(dao.url, dao.record_path, db)
    assert stats.reorgs == 1
    members = synced(dao, db)
    assert members[a[5]]["claimed"] == 0 and members[a[5]]["matured_points"] == 0
    fresh = new_database()
    run_indexer(dao.url, dao.record_path, fresh)
    assert diff(dump(db), dump(fresh)) == []

    next_epoch(dao)
    contribute(dao, 30)
    dao.send(dao.pool, "claim", sender=a[6])
    synced(dao, db)
