"""Mirror equality and idempotency: after a scenario touching every event type, the projections
equal the contracts' own views, and indexing again (or rebuilding) changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cmir.indexer.sync import Indexer
from cmir.store import (
    Attestation,
    Attester,
    DaoState,
    EssProject,
    EssProjectChange,
    Inflow,
    Invitation,
    Member,
    ParameterChange,
    Proposal,
    ProposalPayout,
    RawEvent,
    Relation,
    RewardFreeze,
)
from cmir.store.proposals import proposal_state
from tests.indexer.indexer_chain import Dao, deploy_dao
from tests.indexer.indexer_mirror import diff, dump, engine_for, run_indexer, settings_for
from tests.indexer.indexer_scenario import (
    ATTESTED_ONLY,
    ATTESTER,
    GRACE,
    GUARDIAN,
    GUARDIAN_REASON,
    RULES,
    Outcome,
    run,
)
from tests.indexer.indexer_views import governance_matches, membership_matches, pool_matches


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
    at = {"block_identifier": stats.checkpoint}
    a = dao.accounts

    # Every log of the indexed contracts is in the raw log, once.
    addresses = [c.address for c in (membership, registry, pool, governor, dao.timelock)]
    logs = dao.w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": addresses})
    raw = rows(db, RawEvent)
    assert len(raw) == len(logs) == stats.events
    names = {r["event"] for r in raw}
    for expected in (
        "MemberInvited", "InvitationRevoked", "MemberJoined", "MemberExcluded", "MembershipRulesChanged",
        "AttesterChanged", "EssStructureAttested", "MembershipFeeChanged", "PoolBound", "RelationPaid",
        "Contributed", "MembershipFeeReceived", "SurplusAccounted", "RewardsClaimed", "MemberRewardsFrozen",
        "EssProjectFunded", "CollectiveSpent", "CollectiveBudgetChanged", "SharesChanged",
        "PointWeightsChanged", "MinRelationFeeChanged", "StewardChanged", "EpochLengthChanged",
        "EpochRewardCapChanged", "PartiesMinShareChanged", "EssProjectRegistered", "EssProjectUpdated",
        "EssProjectStatusChanged", "ProposalCreated", "VoteCast", "VoteCastWithParams", "ProposalQueued",
        "ProposalExecuted", "ProposalCanceled", "ProposalCanceledByGuardian", "GuardianChanged",
        "QuorumFloorChanged", "ApprovalGracePeriodChanged", "CallScheduled", "CallExecuted",
    ):  # fmt: skip
        assert expected in names, expected

    # The pool: totals, points (matured, pending, per member), claimable rewards, the clock.
    assert pool_matches(pool, db) == []
    # Membership (probation, invitations per sponsor, the refilling allowance, rules, attesters)
    # and governance (settings, states with expiry, quorum with its floor, vote weights, wallet
    # versions, the steward's budget), each against the contracts' views.
    assert membership_matches(dao, db) == []
    assert governance_matches(dao, db) == []
    (state,) = rows(db, DaoState)
    assert state["ess_received"] - state["ess_disbursed"] == pool.functions.essAvailable().call(**at)
    assert state["collective_received"] - state[
        "collective_spent"
    ] == pool.functions.collectiveAvailable().call(**at)
    assert state["members_received"] - state["rewards_claimed"] == pool.functions.membersAvailable().call(
        **at
    )
    assert (state["members_bps"], state["ess_bps"], state["collective_bps"]) == tuple(
        pool.functions.shares().call(**at)
    )
    weights = (
        state["payer_bps"],
        state["counterparty_bps"],
        state["payer_sponsor_bps"],
        state["counterparty_sponsor_bps"],
    )
    assert weights == tuple(pool.functions.pointWeights().call(**at))
    assert state["min_relation_fee"] == pool.functions.minRelationFee().call(**at)
    assert state["steward"] == pool.functions.steward().call(**at)
    assert state["membership_fee"] == membership.functions.membershipFee().call(**at)
    assert state["active_members"] == membership.functions.activeMemberCount().call(**at)
    assert state["quorum_numerator"] == governor.functions.quorumNumerator().call(**at)
    # the settings P1 changed, so each was mirrored from its event, not the deployment's
    assert (state["probation"], state["invitation_refill_period"], state["invitation_cap"]) == RULES[:3]
    assert (state["guardian"], state["quorum_floor"], state["approval_grace_period"]) == (GUARDIAN, 2, GRACE)
    assert (state["collective_budget"], state["budget_spent"]) == (5 * 10**6, 3 * 10**6)

    # Members: every account that ever appeared; probation ends and vote weights are checked
    # above against memberOf and getPastVotes.
    members = {m["address"]: m for m in rows(db, Member)}
    assert len(members) == 8  # 3 founders; 5, 6, 7 and 8 invited; 0 admitted
    now = dao.now()
    newcomer = members[outcome.in_probation]
    assert newcomer["votes_from"] == newcomer["joined_at"] + RULES[0] > now  # still in probation
    assert [members[f]["votes_from"] == members[f]["joined_at"] for f in a[1:4]] == [True] * 3
    assert any(m["claimed"] > 0 for m in members.values())
    # The excluded member lost its matured and its pending points, and kept what it earned.
    (freeze,) = rows(db, RewardFreeze)
    assert freeze["member"] == a[6]
    assert freeze["matured_removed"] > 0 and freeze["pending_removed"] > 0 and freeze["accrued"] > 0
    assert members[a[6]]["claimed"] == freeze["accrued"]
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
    assert clocks[-1]["new_value"]["origin"] == pool.functions.epochClock().call(**at)[0]

    # Invitations, one per (invitee, sponsor): revoked by the sponsor and by governance, accepted,
    # one expired (still on chain, checked against invitationOf above).
    invitations = rows(db, Invitation)
    statuses = sorted((i["status"], i["invitee"], i["sponsor"]) for i in invitations)
    assert statuses == sorted(
        [
            ("accepted", a[5], a[1]),
            ("accepted", a[6], a[2]),
            ("accepted", a[8], a[3]),
            ("accepted", a[7], a[3]),
            ("revoked", a[7], a[1]),
            ("revoked", a[0], a[1]),
            ("pending", a[7], a[2]),
        ]
    )
    revoked = {i["invitee"]: i["revoked_by"] for i in invitations if i["status"] == "revoked"}
    assert revoked == {a[7]: a[1], a[0]: dao.timelock.address}
    (expired,) = [i for i in invitations if i["status"] == "pending"]
    assert (expired["invitee"], expired["sponsor"]) == outcome.expired_invitation
    assert expired["expires_at"] < now
    # The attester and what it attested; the ESS structure it attested joined.
    (attester,) = rows(db, Attester)
    assert (attester["address"], attester["allowed"], attester["attestations"]) == (ATTESTER, True, 2)
    assert {x["account"] for x in rows(db, Attestation)} == {a[8], ATTESTED_ONLY}

    # ESS projects: wallet versions, why the inactive ones are, and checked metadata.
    projects = {p["project_id"]: p for p in rows(db, EssProject)}
    assert len(projects) == registry.functions.projectCount().call(**at)
    for project_id, project in projects.items():
        owner, active, version, wallet, metadata_hash, uri = registry.functions.projectOf(project_id).call(
            **at
        )
        assert (project["owner"], project["active"], project["payout_wallet"]) == (owner, active, wallet)
        assert project["wallet_version"] == version
        assert (project["metadata_hash"], project["metadata_uri"]) == ("0x" + metadata_hash.hex(), uri)
        assert project["metadata_status"] == outcome.metadata_status[project_id], project
    reasons = {
        p["project_id"]: (p["active"], p["wallet_version"], p["inactive_reason"]) for p in projects.values()
    }
    assert reasons == {
        outcome.projects["funded"]: (True, 2, None),
        outcome.projects["deactivated"]: (False, 1, "deactivated"),
        outcome.projects["awaiting"]: (False, 1, "registered"),
        outcome.projects["wallet_changed"]: (False, 2, "wallet_changed"),
    }
    assert projects[1]["metadata_doc"]["name"] == "Épicerie du Canal — 2e site"
    assert projects[1]["funded_total"] == 5 * 10**6
    history = [c for c in rows(db, EssProjectChange) if c["project_id"] == 4]
    assert [
        (c["kind"], c["active"], c["wallet_version"])
        for c in sorted(history, key=lambda c: c["block_number"])
    ] == [
        ("registered", False, 1),
        ("status", True, None),
        ("status", False, None),
        ("updated", None, 2),
    ]

    # Proposals: state (expired and guardian-cancelled ones included), tallies, times, decoded
    # actions, the payouts they name, the guardian's reason.
    proposals = {p["proposal_id"]: p for p in rows(db, Proposal)}
    assert len(proposals) == len(outcome.proposals) == 8
    with engine_for(db).connect() as connection:
        for label, proposal_id in outcome.proposals.items():
            row = proposals[proposal_id]
            state_now = proposal_state(connection, 31337, proposal_id, now)
            assert state_now.name.lower() == outcome.states[label], label
            assert int(state_now) == governor.functions.state(proposal_id).call(**at), label
            assert row["vote_start"] == governor.functions.proposalSnapshot(proposal_id).call(**at)
            assert row["vote_end"] == governor.functions.proposalDeadline(proposal_id).call(**at)
            assert (row["eta"] or 0) == governor.functions.proposalEta(proposal_id).call(**at)
            assert row["proposer"] == governor.functions.proposalProposer(proposal_id).call(**at)
            assert row["expires_at"] == governor.functions.proposalExpiresAt(proposal_id).call(**at)
    # P1's own grace is the deployment's; proposals with a later snapshot have P1's
    assert proposals[outcome.proposals["executed"]]["approval_grace"] == 3600
    assert proposals[outcome.proposals["expired"]]["approval_grace"] == GRACE
    vetoed = proposals[outcome.proposals["vetoed"]]
    assert (vetoed["canceled_by_guardian"], vetoed["cancel_reason"]) == (GUARDIAN, GUARDIAN_REASON)
    assert vetoed["canceled_tx"] is not None
    canceled = proposals[outcome.proposals["canceled"]]
    assert (canceled["canceled_by_guardian"], canceled["cancel_reason"]) == (None, None)
    executed = proposals[outcome.proposals["executed"]]
    assert [a["function"] for a in executed["actions"]][:5] == [
        "activateProject", "activateProject", "activateProject", "fundEssProject", "deactivateProject",
    ]  # fmt: skip
    assert executed["actions"][3]["args"] == {
        "projectId": 1,
        "payoutWallet": a[8],
        "walletVersion": 2,
        "amount": 5 * 10**6,
    }
    assert executed["timelock_operation"] is not None
    payouts = {(p["proposal_id"], p["action_index"]): p for p in rows(db, ProposalPayout)}
    pid = outcome.proposals["executed"]
    assert {
        k[1]: (p["function"], p["project_id"], p["wallet_version"]) for k, p in payouts.items() if k[0] == pid
    } == {
        0: ("activateProject", 1, 2),
        1: ("activateProject", 2, 1),
        2: ("activateProject", 4, 1),
        3: ("fundEssProject", 1, 2),
    }
    voided = payouts[(outcome.proposals["succeeded"], 0)]
    assert (voided["project_id"], voided["payout_wallet"], voided["wallet_version"], voided["amount"]) == (
        4,
        a[3],
        1,
        3 * 10**6,
    )
    assert voided["wallet_version"] != projects[4]["wallet_version"]  # the wallet change voided it


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
    from cmir.indexer.events import decode_logs

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
