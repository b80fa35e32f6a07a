"""The Governor, its timelock and what they read of the membership, replayed from their events
alone (contracts/CmirGovernor.sol over OpenZeppelin 5.4's Governor, GovernorCountingSimple,
GovernorVotesQuorumFraction, GovernorTimelockControl and GovernorSettings; Membership's votes),
then checked against the views at the audited block, read in batches.

What the replay gives: every proposal (ProposalCreated, ProposalQueued, ProposalExecuted,
ProposalCanceled, ProposalCanceledByGuardian), its votes (VoteCast, VoteCastWithParams) and
their tally, the checkpointed settings (quorum numerator and floor, approval grace period, keyed
by the block time of their change as the Governor's clock is), the latest governed settings, the
members at any time (MemberJoined, MemberExcluded: ``getPastTotalSupply``), the attesters.
What the views give: each proposal's ``state``, ``proposalVotes``, snapshot, deadline,
proposer, ETA, ``proposalExpiresAt``, and for a snapshot in the past ``quorum`` and
``getPastTotalSupply``; the settings now. Where the replay and a view disagree, a problem.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cmir.audit.chain import Event
from cmir.audit.resources.records import ZERO
from cmir.audit.resources.roster import Rules
from cmir.audit.scope import Scope

#: IGovernor.ProposalState, by index, as the API names them.
STATES = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed")
#: GovernorVotesQuorumFraction.quorumDenominator.
QUORUM_DENOMINATOR = 100
VOTE_EVENTS = ("VoteCast", "VoteCastWithParams")
PROPOSAL_EVENTS = (
    "ProposalCreated",
    "ProposalQueued",
    "ProposalExecuted",
    "ProposalCanceled",
    "ProposalCanceledByGuardian",
)


class History:
    """A checkpointed value (OpenZeppelin's Checkpoints.Trace208): `at(t)` is the last value
    pushed at a key <= t (``upperLookupRecent``), None before the first."""

    def __init__(self) -> None:
        self.keys: list[int] = []
        self.values: list[int] = []

    def push(self, key: int, value: int) -> None:
        """A new value from `key` on (a later push at the same key replaces it)."""
        if self.keys and self.keys[-1] == key:
            self.values[-1] = value
        else:
            self.keys.append(key)
            self.values.append(value)

    def at(self, key: int) -> int | None:
        """The value in force at `key`."""
        index = bisect_right(self.keys, key)
        return self.values[index - 1] if index else None

    @property
    def latest(self) -> int | None:
        """The value now."""
        return self.values[-1] if self.values else None


@dataclass
class ChainVote:
    """A vote as its event says it."""

    proposal_id: int
    voter: str
    support: int
    weight: int
    reason: str
    params: bytes | None
    event: Event


@dataclass
class ChainProposal:
    """A proposal as its events say it, and the Governor's views of it at the block."""

    id: int
    created: Event
    proposer: str
    targets: list[str]
    values: list[int]
    calldatas: list[bytes]
    description: str
    snapshot: int
    deadline: int
    queued: Event | None = None
    eta: int = 0
    executed: Event | None = None
    canceled: Event | None = None
    by_guardian: Event | None = None
    votes: list[ChainVote] = field(default_factory=list)
    tally: list[int] = field(default_factory=lambda: [0, 0, 0])  # against, for, abstain (replayed)
    # The views at the block (and what follows from them):
    state: str = ""
    votes_view: list[int] = field(default_factory=lambda: [0, 0, 0])
    expires_at: int = 0
    members: int = 0
    numerator: int = 0
    floor: int = 0
    quorum: int = 0


@dataclass
class Governance:
    """The replay and the views at the audited block."""

    block_time: int
    proposals: dict[int, ChainProposal] = field(default_factory=dict)  # in creation order
    votes: list[ChainVote] = field(default_factory=list)
    numerator: History = field(default_factory=History)
    floor: History = field(default_factory=History)
    grace: History = field(default_factory=History)
    settings: dict[str, Any] = field(default_factory=dict)  # replayed latest values, by the API's name
    joined: list[int] = field(default_factory=list)  # joinedAt of every member, sorted
    excluded: list[int] = field(default_factory=list)  # excludedAt of the excluded, sorted
    votes_from: dict[str, int] = field(default_factory=dict)  # active members' end of probation
    attesters: dict[str, bool] = field(default_factory=dict)
    views: dict[str, Any] = field(default_factory=dict)  # the settings' views, by the API's name
    payouts: dict[int, tuple[str | None, int]] = field(default_factory=dict)  # payoutOf: wallet, version
    problems: list[str] = field(default_factory=list)  # the proposals' replay against their views
    vote_problems: list[str] = field(default_factory=list)
    setting_problems: list[str] = field(default_factory=list)

    def members_at(self, timepoint: int) -> int:
        """Membership.getPastTotalSupply(timepoint), replayed."""
        return bisect_right(self.joined, timepoint) - bisect_right(self.excluded, timepoint)

    @property
    def in_probation(self) -> int:
        """Active members whose vote does not count yet at the block (votesFrom after it)."""
        return sum(1 for start in self.votes_from.values() if start > self.block_time)


def quorum_of(members: int, numerator: int, floor: int) -> int:
    """CmirGovernor.quorum: the larger of the fraction of the members and the floor, the floor
    being at most every member."""
    return max(members * numerator // QUORUM_DENOMINATOR, min(floor, members))


def _setting(
    name: str, argument: str, convert: Callable[[Any], Any] = int
) -> Callable[[Governance, Event], None]:
    def record(g: Governance, event: Event) -> None:
        g.settings[name] = convert(event.args[argument])

    return record


def _guardian(value: Any) -> str | None:
    return None if str(value) == ZERO else str(value)


#: Settings events: (contract, event) -> what it sets (the latest value, as the API names it).
SETTINGS: dict[tuple[str, str], Callable[[Governance, Event], None]] = {
    ("governor", "VotingDelaySet"): _setting("voting_delay", "newVotingDelay"),
    ("governor", "VotingPeriodSet"): _setting("voting_period", "newVotingPeriod"),
    ("governor", "ProposalThresholdSet"): _setting("proposal_threshold", "newProposalThreshold"),
    ("governor", "GuardianChanged"): _setting("guardian", "newGuardian", _guardian),
    ("timelock", "MinDelayChange"): _setting("timelock_min_delay", "newDuration"),
    ("membership", "MembershipFeeChanged"): _setting("membership_fee", "newFee"),
}


def replay(scope: Scope) -> Governance:
    """The Governor's proposals, votes and settings from the events up to the block."""
    g = Governance(scope.ledger.block_time)
    for event in scope.of("governor", *PROPOSAL_EVENTS):
        _proposal_event(g, event)
    for event in scope.of("governor", *VOTE_EVENTS):
        args = event.args
        vote = ChainVote(
            int(args["proposalId"]),
            str(args["voter"]),
            int(args["support"]),
            int(args["weight"]),
            str(args["reason"]),
            bytes(args["params"]) if "params" in args else None,
            event,
        )
        g.votes.append(vote)
        proposal = g.proposals.get(vote.proposal_id)
        if proposal is None:
            g.vote_problems.append(f"vote of {vote.voter} for proposal {vote.proposal_id}, never created")
            continue
        proposal.votes.append(vote)
        if 0 <= vote.support <= 2:
            proposal.tally[vote.support] += vote.weight
    for event in scope.of("governor", "QuorumNumeratorUpdated"):
        g.numerator.push(_time(event), int(event.args["newQuorumNumerator"]))
    for event in scope.of("governor", "QuorumFloorChanged"):
        g.floor.push(_time(event), int(event.args["newFloor"]))
    for event in scope.of("governor", "ApprovalGracePeriodChanged"):
        g.grace.push(_time(event), int(event.args["newGrace"]))
    for (contract, name), record in SETTINGS.items():
        for event in scope.of(contract, name):
            record(g, event)
    for event in scope.of("membership", "MembershipRulesChanged"):
        g.settings.update(Rules.of(event.args["newRules"]).settings())
    for event in scope.of("membership", "MemberJoined", "MemberExcluded"):
        member = str(event.args["member"])
        if event.name == "MemberJoined":
            g.joined.append(int(event.args["joinedAt"]))
            g.votes_from[member] = int(event.args["votesFrom"])
        else:
            g.excluded.append(int(event.args["excludedAt"]))
            g.votes_from.pop(member, None)
    g.joined.sort()
    g.excluded.sort()
    for event in scope.of("membership", "AttesterChanged"):
        g.attesters[str(event.args["attester"])] = bool(event.args["allowed"])
    return g


def _time(event: Event) -> int:
    """The Governor's clock when `event` was emitted (its block's timestamp)."""
    return int(event.timestamp or 0)


def _proposal_event(g: Governance, event: Event) -> None:
    args = event.args
    proposal_id = int(args["proposalId"])
    if event.name == "ProposalCreated":
        g.proposals[proposal_id] = ChainProposal(
            id=proposal_id,
            created=event,
            proposer=str(args["proposer"]),
            targets=[str(t) for t in args["targets"]],
            values=[int(v) for v in args["values"]],
            calldatas=[bytes(c) for c in args["calldatas"]],
            description=str(args["description"]),
            snapshot=int(args["voteStart"]),
            deadline=int(args["voteEnd"]),
        )
        return
    proposal = g.proposals.get(proposal_id)
    if proposal is None:
        g.problems.append(f"{event.name} of proposal {proposal_id}, never created (tx {event.tx_hash})")
    elif event.name == "ProposalQueued":
        proposal.queued, proposal.eta = event, int(args["etaSeconds"])
    elif event.name == "ProposalExecuted":
        proposal.executed = event
    elif event.name == "ProposalCanceled":
        proposal.canceled = event
    else:
        proposal.by_guardian = event


#: Views of each proposal, read at the block.
PROPOSAL_VIEWS = (
    "state",
    "proposalVotes",
    "proposalSnapshot",
    "proposalDeadline",
    "proposalProposer",
    "proposalEta",
    "proposalExpiresAt",
)
#: The settings' views: the API's name -> (contract role, function).
SETTING_VIEWS = {
    "voting_delay": ("governor", "votingDelay"),
    "voting_period": ("governor", "votingPeriod"),
    "proposal_threshold": ("governor", "proposalThreshold"),
    "quorum_numerator": ("governor", "quorumNumerator"),  # the overload without argument: now
    "quorum_floor": ("governor", "quorumFloor"),
    "approval_grace_period": ("governor", "approvalGracePeriod"),
    "guardian": ("governor", "guardian"),
    "timelock_min_delay": ("timelock", "getMinDelay"),
    "rules": ("membership", "rules"),
    "membership_fee": ("membership", "membershipFee"),
    "active_members": ("membership", "activeMemberCount"),
}


def read_views(scope: Scope, g: Governance, projects: list[int]) -> None:
    """The views at the block into `g` (the settings', each proposal's, each attester's and
    `projects`' payout wallets), in batches; each disagreement with the replay is a problem."""
    now = g.block_time
    proposals = list(g.proposals.values())
    past = [p for p in proposals if p.snapshot < now]  # getPastTotalSupply reverts at or after now
    attesters = sorted(g.attesters)
    # quorumNumerator is overloaded; the record's ABI keeps one of the two: at a timepoint, "now"
    # is the latest value too.
    latest = () if not scope.contracts["governor"].functions["quorumNumerator"]["inputs"] else (now,)
    calls: list[tuple[str, str, tuple[Any, ...]]] = [
        (role, fn, latest if fn == "quorumNumerator" else ()) for role, fn in SETTING_VIEWS.values()
    ]
    calls += [("governor", name, (p.id,)) for p in proposals for name in PROPOSAL_VIEWS]
    calls += [("governor", "quorum", (p.snapshot,)) for p in past]
    calls += [("membership", "getPastTotalSupply", (p.snapshot,)) for p in past]
    calls += [("membership", "isAttester", (a,)) for a in attesters]
    calls += [("registry", "payoutOf", (project,)) for project in projects]
    answers = iter(scope.views(calls, "governance views"))
    for name in SETTING_VIEWS:
        g.views[name] = next(answers)
    g.views.update(Rules.of(g.views.pop("rules")).settings(), guardian=_guardian(g.views["guardian"]))
    for p in proposals:
        state, votes, snapshot, deadline, proposer, eta, expires = (next(answers) for _ in PROPOSAL_VIEWS)
        p.state = STATES[int(state)] if 0 <= int(state) < len(STATES) else str(state)
        p.votes_view = [int(v) for v in votes]
        p.expires_at = int(expires)
        _check_proposal(g, p, int(snapshot), int(deadline), str(proposer), int(eta))
    for p in past:
        p.quorum = int(next(answers))
    for p in past:
        p.members = int(next(answers))
    for attester in attesters:
        allowed = bool(next(answers))
        if allowed != g.attesters[attester]:
            g.setting_problems.append(
                f"isAttester({attester}) is {allowed}, AttesterChanged says {g.attesters[attester]}"
            )
    for project in projects:
        wallet, _active, version = next(answers)
        g.payouts[project] = (None, 0) if str(wallet) == ZERO else (str(wallet), int(version))
    _quorums(g, proposals, now)
    _check_settings(g)


def _check_proposal(
    g: Governance, p: ChainProposal, snapshot: int, deadline: int, proposer: str, eta: int
) -> None:
    """The views of proposal `p` against its events."""
    name = f"proposal {p.id}"
    for what, view, event in (
        ("proposalSnapshot", snapshot, p.snapshot),
        ("proposalDeadline", deadline, p.deadline),
        ("proposalProposer", proposer, p.proposer),
        ("proposalEta", eta, p.eta),
    ):
        if view != event:
            g.problems.append(f"{name}: {what} is {view}, its events say {event}")
    if p.votes_view != p.tally:
        g.problems.append(
            f"{name}: proposalVotes (against, for, abstain) is {p.votes_view}, its VoteCast events add up "
            f"to {p.tally}"
        )
    grace = g.grace.at(p.snapshot)
    if grace is not None and p.expires_at != (p.eta or p.deadline) + grace:
        g.problems.append(
            f"{name}: proposalExpiresAt is {p.expires_at}, (ETA or deadline) + grace replayed is "
            f"{(p.eta or p.deadline) + grace}"
        )


def _quorums(g: Governance, proposals: list[ChainProposal], now: int) -> None:
    """Each proposal's members, quorum numerator and floor at its snapshot and the quorum; for a
    snapshot not yet past (the views revert) the members now, as the API counts them."""
    for p in proposals:
        p.numerator = g.numerator.at(p.snapshot) or 0
        p.floor = g.floor.at(p.snapshot) or 0
        replayed = g.members_at(p.snapshot)
        if p.snapshot >= now:
            p.members = int(g.views["active_members"])
            p.quorum = quorum_of(p.members, p.numerator, p.floor)
        else:
            if p.members != replayed:
                g.problems.append(
                    f"proposal {p.id}: getPastTotalSupply({p.snapshot}) is {p.members}, MemberJoined and "
                    f"MemberExcluded give {replayed}"
                )
            expected = quorum_of(p.members, p.numerator, p.floor)
            if p.quorum != expected:
                g.problems.append(
                    f"proposal {p.id}: quorum({p.snapshot}) is {p.quorum}, the numerator {p.numerator} and "
                    f"floor {p.floor} replayed give {expected}"
                )
        expected_state = replay_state(p, now)
        if expected_state != p.state:
            g.problems.append(
                f"proposal {p.id}: state is {p.state}, its events and views give {expected_state}"
            )


def replay_state(p: ChainProposal, now: int) -> str:
    """CmirGovernor.state at block time `now` from the events, the tally and the quorum (a
    timelock operation executed or cancelled behind the Governor's back is not followed: the
    Governor is the timelock's only proposer, canceller and executor)."""
    if p.executed is not None:
        return "executed"
    if p.canceled is not None:
        return "canceled"
    if p.snapshot >= now:
        return "pending"
    if p.deadline >= now:
        return "active"
    against, for_votes, abstain = p.votes_view
    if p.quorum > for_votes + abstain or for_votes <= against:
        return "defeated"
    if now > p.expires_at:
        return "expired"
    return "queued" if p.eta else "succeeded"


def _check_settings(g: Governance) -> None:
    """The settings' views against the latest of their events and the members replayed."""
    replayed = {
        **g.settings,
        "quorum_numerator": g.numerator.latest,
        "quorum_floor": g.floor.latest,
        "approval_grace_period": g.grace.latest,
        "active_members": len(g.votes_from),
    }
    for name, value in replayed.items():
        view = g.views.get(name)
        if value is not None and value != view:
            g.setting_problems.append(f"{name} is {view} by its view, {value} by its events")
