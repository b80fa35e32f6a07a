"""Mirror equality and idempotency: after a scenario touching every event type, the projections
equal the contracts' own views, and indexing again (or rebuilding) changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import deploy_dao
from indexer_chain import Dao
from indexer_mirror import diff, dump, engine_for, run_indexer, settings_for
from indexer_scenario import Outcome, run
from indexer_views import pool_matches
from sqlalchemy import select

from indexer.db import (
    DaoState,
    EssProject,
    Inflow,
    Invitation,
    Member,
    ParameterChange,
    Proposal,
    RawEvent,
    Relation,
    RewardFreeze,
)
from indexer.proposals import proposal_state, quorum_at
from indexer.sync import Indexer

ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Dao, Outcome, Path]]:
    """One chain for the module: deployed, then the whole scenario played."""
    tmp = tmp_path_factory.mktemp("scenario")
    metadata_dir = tmp / "metadata"
    metadata_dir.mkdir()
    anvil, dao = deploy_dao(tmp)
    try:
        outcome = run(dao, metadata_dir)
        yield dao, outcome, metadata_dir
    finally:
        anvil.stop()


def index(dao: Dao, db_url: str, metadata_dir: Path, **overrides: Any) -> Any:
    """Index the scenario's chain into `db_url`."""
    return run_indexer(dao.url, dao.record_path, db_url, metadata_file_root=metadata_dir, **overrides)


def rows(db_url: str, model: Any) -> list[dict[str, Any]]:
    """Every row of a model's table, as dicts."""
    with engine_for(db_url).connect() as connection:
        return [dict(r) for r in connection.execute(select(model.__table__)).mappings()]


def test_projections_equal_the_contract_views(
    scenario: tuple[Dao, Outcome, Path], new_database: Callable[[], str]
) -> None:
    dao, outcome, metadata_dir = scenario
    db = new_database()
    stats = index(dao, db, metadata_dir)
    assert stats.checkpoint == dao.head()
    assert stats.unknown_logs == 0
    pool, membership, governor, registry = dao.pool, dao.membership, dao.governor, dao.registry

    # Every log of the indexed contracts is in the raw log, once.
    addresses = [c.address for c in (membership, registry, pool, governor, dao.timelock)]
    logs = dao.w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": addresses})
    raw = rows(db, RawEvent)
    assert len(raw) == len(logs) == stats.events
    names = {r["event"] for r in raw}
    for expected in (
        "MemberInvited", "InvitationRevoked", "MemberJoined", "MemberExcluded", "InvitationAllowanceChanged",
        "MembershipFeeChanged", "PoolBound", "RelationPaid", "Contributed", "MembershipFeeReceived",
        "SurplusAccounted", "RewardsClaimed", "MemberRewardsFrozen", "EssProjectFunded", "CollectiveSpent",
        "SharesChanged", "PointWeightsChanged", "MinRelationFeeChanged", "StewardChanged",
        "EpochLengthChanged", "EpochRewardCapChanged", "PartiesMinShareChanged",
        "EssProjectRegistered", "EssProjectUpdated", "EssProjectStatusChanged", "ProposalCreated", "VoteCast",
        "VoteCastWithParams", "ProposalQueued", "ProposalExecuted", "ProposalCanceled", "CallScheduled",
        "CallExecuted",
    ):  # fmt: skip
        assert expected in names, expected

    # The pool: totals, points (matured, pending, per member), claimable rewards, the clock.
    assert pool_matches(pool, db) == []
    (state,) = rows(db, DaoState)
    assert state["ess_received"] - state["ess_disbursed"] == pool.functions.essAvailable().call()
    assert (
        state["collective_received"] - state["collective_spent"]
        == pool.functions.collectiveAvailable().call()
    )
    assert state["members_received"] - state["rewards_claimed"] == pool.functions.membersAvailable().call()
    assert (state["members_bps"], state["ess_bps"], state["collective_bps"]) == tuple(
        pool.functions.shares().call()
    )
    weights = (
        state["payer_bps"],
        state["counterparty_bps"],
        state["payer_sponsor_bps"],
        state["counterparty_sponsor_bps"],
    )
    assert weights == tuple(pool.functions.pointWeights().call())
    assert state["min_relation_fee"] == pool.functions.minRelationFee().call()
    assert state["steward"] == pool.functions.steward().call()
    assert state["membership_fee"] == membership.functions.membershipFee().call()
    assert state["invitation_allowance"] == membership.functions.invitationAllowance().call()
    assert state["active_members"] == membership.functions.activeMemberCount().call()
    assert state["quorum_numerator"] == governor.functions.quorumNumerator().call()

    # Members: record, points and claimable, for every account that ever appeared.
    members = {m["address"]: m for m in rows(db, Member)}
    assert len(members) == 7  # 3 founders; 5, 6 and 8 invited; 0 admitted over a pending invitation
    for address in dao.accounts:
        sponsor, joined_at, kind, sent, excluded_at = membership.functions.memberOf(address).call()
        row = members.get(address)
        if joined_at == 0:
            assert row is None or row["joined_at"] is None
            continue
        assert row is not None, address
        assert (row["sponsor"] or ZERO, row["joined_at"], row["kind"], row["invitations_sent"]) == (
            sponsor,
            joined_at,
            kind,
            sent,
        )
        assert (row["excluded_at"] or 0) == excluded_at
        assert row["status"] == ("excluded" if excluded_at else "active")
    assert any(m["claimed"] > 0 for m in members.values())
    # The excluded member lost its matured and its pending points, and kept what it earned.
    (freeze,) = rows(db, RewardFreeze)
    assert freeze["member"] == dao.accounts[6]
    assert freeze["matured_removed"] > 0 and freeze["pending_removed"] > 0 and freeze["accrued"] > 0
    assert members[dao.accounts[6]]["claimed"] == freeze["accrued"]
    # Relations and inflows carry their epoch and what of the members' share went to ESS.
    epochs = {r["epoch"] for r in rows(db, Relation)}
    assert len(epochs) >= 2
    inflows = rows(db, Inflow)
    # Before any point matured (the first epoch, shares 50/30/20 %), the members' share went
    # to ESS whole; afterwards matured points received some.
    assert all(i["members_to_ess"] == 0 for i in inflows if i["kind"] == "surplus")
    early = [i for i in inflows if i["matured_points_after"] == 0]
    assert early
    for inflow in early:
        amount = inflow["amount"]
        assert inflow["to_members"] == 0
        assert inflow["members_to_ess"] == amount - -(-amount * 3000 // 10_000) - amount * 2000 // 10_000
    assert any(i["to_members"] > 0 for i in inflows)
    clocks = [p for p in rows(db, ParameterChange) if p["parameter"] == "epoch_length"]
    assert [c["new_value"]["length"] for c in sorted(clocks, key=lambda c: c["block_number"])] == [60, 90]
    assert clocks[-1]["new_value"]["origin"] == pool.functions.epochClock().call()[0]

    # Invitations: the pending ones are the contract's.
    pending = {i["invitee"]: i for i in rows(db, Invitation) if i["status"] == "pending"}
    for address in dao.accounts:
        inviter, kind = membership.functions.invitationOf(address).call()
        if inviter == ZERO:
            assert address not in pending
        else:
            assert (pending[address]["sponsor"], pending[address]["kind"]) == (inviter, kind)
    statuses = sorted(i["status"] for i in rows(db, Invitation))
    assert statuses == ["accepted", "accepted", "accepted", "revoked", "revoked"]

    # ESS projects, with checked metadata.
    projects = {p["project_id"]: p for p in rows(db, EssProject)}
    assert len(projects) == registry.functions.projectCount().call()
    for project_id, project in projects.items():
        owner, active, wallet, metadata_hash, uri = registry.functions.projectOf(project_id).call()
        assert (project["owner"], project["active"], project["payout_wallet"]) == (owner, active, wallet)
        assert (project["metadata_hash"], project["metadata_uri"]) == ("0x" + metadata_hash.hex(), uri)
        assert project["metadata_status"] == outcome.metadata_status[project_id], project
    assert projects[1]["metadata_doc"]["name"] == "Épicerie du Canal — 2e site"
    assert projects[1]["funded_total"] == 5 * 10**6

    # Proposals: state, tallies, times, decoded actions.
    now = dao.now()
    proposals = {p["proposal_id"]: p for p in rows(db, Proposal)}
    assert len(proposals) == 5
    with engine_for(db).connect() as connection:
        for label, proposal_id in outcome.proposals.items():
            row = proposals[proposal_id]
            state_now = proposal_state(connection, 31337, proposal_id, now)
            assert int(state_now) == governor.functions.state(proposal_id).call(), label
            against, for_, abstain = governor.functions.proposalVotes(proposal_id).call()
            assert (row["against_votes"], row["for_votes"], row["abstain_votes"]) == (against, for_, abstain)
            assert row["vote_start"] == governor.functions.proposalSnapshot(proposal_id).call()
            assert row["vote_end"] == governor.functions.proposalDeadline(proposal_id).call()
            assert (row["eta"] or 0) == governor.functions.proposalEta(proposal_id).call()
            assert row["proposer"] == governor.functions.proposalProposer(proposal_id).call()
            assert (
                quorum_at(connection, 31337, row["vote_start"])
                == governor.functions.quorum(row["vote_start"]).call()
            )
    executed = proposals[outcome.proposals["executed"]]
    assert [a["function"] for a in executed["actions"]] == [
        "setProjectActive", "setProjectActive", "fundEssProject", "setShares", "setPointWeights",
        "setMinRelationFee", "setSteward", "setEpochRewardCap", "setPartiesMinShare", "setEpochLength",
        "setInvitationAllowance", "setMembershipFee", "admit", "exclude",
    ]  # fmt: skip
    assert executed["actions"][2]["args"] == {"projectId": 1, "amount": 5 * 10**6}
    assert executed["timelock_operation"] is not None


def test_indexing_twice_changes_nothing(
    scenario: tuple[Dao, Outcome, Path], new_database: Callable[[], str]
) -> None:
    dao, _, metadata_dir = scenario
    db = new_database()
    index(dao, db, metadata_dir)
    first = dump(db)
    again = index(dao, db, metadata_dir)
    assert again.events == 0
    assert diff(first, dump(db)) == []
    # Forcing an already indexed range through the writer again adds nothing either.
    indexer = Indexer(
        settings_for(dao.url, dao.record_path, db, metadata_file_root=metadata_dir), engine=engine_for(db)
    )
    indexer.prepare()
    batch = indexer.source.fetch(1, dao.head())
    from indexer.events import decode_logs

    events, _ = decode_logs(
        indexer.abi, 31337, batch.logs, {n: h.timestamp for n, h in batch.headers.items()}
    )
    assert indexer.store.write_batch(batch.first, batch.last, batch.headers, events, keep_undo=True) == 0
    assert diff(first, dump(db)) == []
    # A fresh index in one go, with other range sizes, gives the same tables.
    other = new_database()
    index(dao, other, metadata_dir, initial_block_range=1000, max_block_range=1000)
    assert diff(first, dump(other)) == []


def test_rebuild_recomputes_the_same_projections(
    scenario: tuple[Dao, Outcome, Path], new_database: Callable[[], str]
) -> None:
    dao, _, metadata_dir = scenario
    db = new_database()
    index(dao, db, metadata_dir)
    before = dump(db)
    indexer = Indexer(
        settings_for(dao.url, dao.record_path, db, metadata_file_root=metadata_dir), engine=engine_for(db)
    )
    assert indexer.store.rebuild() == len(before["raw_events"])
    indexer.run()  # fetches the metadata again
    assert diff(before, dump(db)) == []
