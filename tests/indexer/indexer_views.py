"""Test helpers: the mirror's figures against the contracts' own views, at the indexed block.

The views count a member's pending points of an ended epoch as matured (and the last booking's
pending total in ``totals()``), so the mirror's rows — as of each one's last event — are seen
at the indexed block's time through `cmir.store.epochs` before they are compared."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cmir.store import (
    Attestation,
    Attester,
    Checkpoint,
    DaoState,
    EssProject,
    IndexedBlock,
    Invitation,
    Member,
    Proposal,
    Vote,
)
from cmir.store.epochs import Clock, latest_clock, member_now
from cmir.store.invitations import credits
from cmir.store.proposals import proposal_state, quorum_at
from tests.indexer.indexer_mirror import engine_for

ZERO = "0x0000000000000000000000000000000000000000"

#: ``totals()`` fields and the ``dao_state`` columns holding them (points: see `pool_matches`).
TOTALS = (
    "total_received", "members_received", "ess_received", "collective_received", "rewards_claimed",
    "ess_disbursed", "collective_spent",
)  # fmt: skip


def pool_matches(pool: Any, db_url: str) -> list[str]:
    """Differences between the mirror in `db_url` and `pool` (a web3 contract) at the mirror's
    checkpoint: totals, settings, the epoch clock, and every member's points, pending epoch,
    maturity time and claimable rewards. Empty when they agree."""
    problems: list[str] = []
    with engine_for(db_url).connect() as connection:
        block = connection.execute(select(Checkpoint.block_number)).scalar_one()
        at = select(IndexedBlock.timestamp).where(IndexedBlock.number == block)
        now = connection.execute(at).scalar_one()
        state = dict(connection.execute(select(DaoState.__table__)).mappings().one())
        members = [dict(m) for m in connection.execute(select(Member.__table__)).mappings()]
        chain_id = int(state["chain_id"])
        seen = {m["address"]: member_now(connection, m, state, now) for m in members}
        clock = latest_clock(connection, chain_id)

    def view(name: str, *args: Any) -> Any:
        return getattr(pool.functions, name)(*args).call(block_identifier=block)

    if state["accumulator_mismatches"]:
        problems.append(f"{state['accumulator_mismatches']} accumulator mismatches")
    if clock is None or clock != Clock.from_state(state) or clock != Clock(*view("epochClock")):
        problems.append(f"clock {clock} / {Clock.from_state(state)} != chain {view('epochClock')}")
        return problems
    matured, pending = state["matured_points"], state["pending_points"]
    epoch = clock.epoch_at(now)
    if state["points_epoch"] < epoch:
        matured, pending = matured + pending, 0
    mirrored = (*(state[f] for f in TOTALS), matured, pending, state["reward_per_point"], epoch)
    if mirrored != tuple(view("totals")):
        problems.append(f"totals {mirrored} != chain {tuple(view('totals'))}")
    settings = (state["epoch_reward_cap_bps"], state["parties_min_share_bps"])
    if settings != (view("epochRewardCapBps"), view("partiesMinShareBps")):
        problems.append(f"cap and parties' share {settings} differ from the chain's")
    for address, member in seen.items():
        row = next(m for m in members if m["address"] == address)
        stored = row["matured_points"] + row["pending_points"]
        mine = (member.matured, member.pending, member.pending_epoch or 0, member.matures_at or 0)
        chain = tuple(view("memberPoints", address))
        if mine != chain or stored != view("pointsOf", address):
            problems.append(f"{address}: points {mine} (stored {stored}) != chain {chain}")
        due = view("claimableOf", address)
        if member.claimable != due:
            problems.append(f"{address}: claimable {member.claimable} != chain {due}")
    return problems


def _checkpoint(connection: Any) -> tuple[int, int]:
    """(block, time) of the mirror's checkpoint."""
    block = connection.execute(select(Checkpoint.block_number)).scalar_one()
    now = connection.execute(select(IndexedBlock.timestamp).where(IndexedBlock.number == block)).scalar_one()
    return int(block), int(now)


def membership_matches(dao: Any, db_url: str) -> list[str]:
    """Differences between the mirror's members, invitations, rules and attesters and the
    membership contract's views at the checkpoint: ``memberOf`` (probation end included),
    ``invitationsAvailable`` (replayed from the mirrored anchor and rules), ``invitationOf`` for
    every (invitee, sponsor) pair seen, ``rules``, ``isAttester`` and ``attestationOf``."""
    problems: list[str] = []
    membership = dao.membership
    with engine_for(db_url).connect() as connection:
        block, now = _checkpoint(connection)
        state = dict(connection.execute(select(DaoState.__table__)).mappings().one())
        members = {m["address"]: dict(m) for m in connection.execute(select(Member.__table__)).mappings()}
        invitations = [dict(i) for i in connection.execute(select(Invitation.__table__)).mappings()]
        attesters = [dict(a) for a in connection.execute(select(Attester.__table__)).mappings()]
        attestations = [
            dict(a)
            for a in connection.execute(
                select(Attestation.__table__).order_by(Attestation.block_number, Attestation.log_index)
            ).mappings()
        ]

    def view(name: str, *args: Any) -> Any:
        return getattr(membership.functions, name)(*args).call(block_identifier=block)

    rules = (
        state["probation"],
        state["invitation_refill_period"],
        state["invitation_cap"],
        state["invitation_ttl"],
    )
    if rules != tuple(view("rules")):
        problems.append(f"rules {rules} != chain {view('rules')}")
    for address, row in members.items():
        sponsor, joined_at, kind, sent, excluded_at, votes_from = view("memberOf", address)
        mine = (row["sponsor"] or ZERO, row["joined_at"] or 0, row["kind"] or 0, row["invitations_sent"])
        if mine != (sponsor, joined_at, kind, sent) or (row["excluded_at"] or 0, row["votes_from"] or 0) != (
            excluded_at,
            votes_from,
        ):
            problems.append(f"{address}: record {row} != chain {view('memberOf', address)}")
        if row["status"] == "active" and row["invitation_anchor"] is not None:
            period, cap = int(state["invitation_refill_period"]), int(state["invitation_cap"])
            available = credits(int(row["invitation_anchor"]), period, cap, now)
        else:
            available = (0, 0)
        if available != tuple(view("invitationsAvailable", address)):
            problems.append(
                f"{address}: invitations {available} != chain {view('invitationsAvailable', address)}"
            )
    pending = {(i["invitee"], i["sponsor"]): i for i in invitations if i["status"] == "pending"}
    if len(pending) != sum(1 for i in invitations if i["status"] == "pending"):
        problems.append("two pending invitations for one (invitee, sponsor)")
    for invitee, sponsor in {(i["invitee"], i["sponsor"]) for i in invitations}:
        record = tuple(view("invitationOf", invitee, sponsor))
        found = pending.get((invitee, sponsor))
        ours = (ZERO, 0, 0) if found is None else (sponsor, found["kind"], found["expires_at"])
        if ours != record:
            problems.append(f"invitation of {invitee} by {sponsor}: {ours} != chain {record}")
    for attester in attesters:
        if attester["allowed"] != view("isAttester", attester["address"]):
            problems.append(f"attester {attester['address']}: {attester['allowed']} differs")
    latest = {a["account"]: a["attester"] for a in attestations}
    for account, attester in latest.items():
        if view("attestationOf", account) != attester:
            problems.append(f"attestation of {account}: {attester} != chain {view('attestationOf', account)}")
    return problems


def governance_matches(dao: Any, db_url: str) -> list[str]:
    """Differences between the mirror's governance and the contracts' views at the checkpoint:
    the guardian, quorum floor and approval grace period; every proposal's state (Expired
    included), expiry, quorum and tallies; every vote's weight (0 in probation); the projects'
    wallets and versions (``payoutOf``); the steward's budget (``collectiveBudget``)."""
    problems: list[str] = []
    governor, pool, registry, membership = dao.governor, dao.pool, dao.registry, dao.membership
    with engine_for(db_url).connect() as connection:
        block, now = _checkpoint(connection)
        state = dict(connection.execute(select(DaoState.__table__)).mappings().one())
        chain_id = int(state["chain_id"])
        proposals = [dict(p) for p in connection.execute(select(Proposal.__table__)).mappings()]
        states = {
            int(p["proposal_id"]): proposal_state(connection, chain_id, int(p["proposal_id"]), now)
            for p in proposals
        }
        quorums = {
            int(p["proposal_id"]): quorum_at(connection, chain_id, int(p["vote_start"])) for p in proposals
        }
        votes = [dict(v) for v in connection.execute(select(Vote.__table__)).mappings()]
        projects = [dict(p) for p in connection.execute(select(EssProject.__table__)).mappings()]

    def view(contract: Any, name: str, *args: Any) -> Any:
        return getattr(contract.functions, name)(*args).call(block_identifier=block)

    settings = (state["guardian"] or ZERO, state["quorum_floor"], state["approval_grace_period"])
    chain = (view(governor, "guardian"), view(governor, "quorumFloor"), view(governor, "approvalGracePeriod"))
    if settings != chain:
        problems.append(f"governor settings {settings} != chain {chain}")
    for p in proposals:
        pid = int(p["proposal_id"])
        if int(states[pid]) != view(governor, "state", pid):
            problems.append(
                f"proposal {pid}: state {states[pid].name} != chain {view(governor, 'state', pid)}"
            )
        if p["expires_at"] != view(governor, "proposalExpiresAt", pid):
            expires = view(governor, "proposalExpiresAt", pid)
            problems.append(f"proposal {pid}: expires {p['expires_at']} != chain {expires}")
        if quorums[pid] != view(governor, "quorum", p["vote_start"]):
            problems.append(f"proposal {pid}: quorum {quorums[pid]} != chain")
        tally = (p["against_votes"], p["for_votes"], p["abstain_votes"])
        if tally != tuple(view(governor, "proposalVotes", pid)):
            problems.append(f"proposal {pid}: tally {tally} != chain")
    starts = {int(p["proposal_id"]): int(p["vote_start"]) for p in proposals}
    for v in votes:
        weight = view(membership, "getPastVotes", v["voter"], starts[int(v["proposal_id"])])
        if v["weight"] != weight:
            problems.append(f"vote of {v['voter']} on {v['proposal_id']}: weight {v['weight']} != {weight}")
    for project in projects:
        payout = (project["payout_wallet"], project["active"], project["wallet_version"])
        if payout != tuple(view(registry, "payoutOf", project["project_id"])):
            problems.append(f"project {project['project_id']}: {payout} != chain")
    start, period = int(state["budget_period_start"] or 0), int(state["collective_budget_period"] or 0)
    running = now < start + period
    budget = (
        state["collective_budget"],
        state["collective_budget_period"],
        start if running else 0,
        state["budget_spent"] if running else 0,
    )
    if budget != tuple(view(pool, "collectiveBudget")):
        problems.append(f"budget {budget} != chain {view(pool, 'collectiveBudget')}")
    return problems
