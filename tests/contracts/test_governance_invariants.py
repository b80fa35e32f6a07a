"""Property test: random sequences of governance actions on the real deployed contracts keep the
invariants of issue 11 (one member, one vote that cannot be captured, blocked or bypassed).

A Hypothesis `RuleBasedStateMachine` drives the session's deployment (local settings: probation
60 s, one invitation per 60 s up to 10, invitations live 1 h, voting delay 1 s, voting period
5 min, timelock 60 s, approval grace 1 h, quorum floor 3, the conftest guardian and attester) on
anvil through: invitations by any member (in probation or not) of any kind, several in a row;
attestations, and attesters named or dropped by the timelock; acceptances naming the right or a
wrong sponsor or kind, at once, in the invitation's last second or after it expired;
revocations by the sponsor, governance or anyone; admissions and exclusions by the timelock;
projects registered by ESS structures (inactive) or governance (active) and their payout wallets
changed; relations and contributions that fill the ESS bucket; proposals (a funding at the
project's wallet and version, at a stale one or of more than the bucket holds, an activation at
the current or a stale version, activation and funding together, a deactivation, a guardian
change alone or bundled, an exclusion, an admission, the grace period, voting delay and period)
bound to their proposer, unbound, bound to someone else, copies of another's, the same again, or
a cancelled one re-worded; votes For / Against / Abstain (or invalid) by anyone: members counted
or in probation, excluded ones, outsiders, the guardian; queueing and execution by anyone, on
time, in the last second of the grace period or one second late; cancellation by the proposer or
anyone else; the guardian's cancellations (pending, active, defeated, succeeded, queued) and its
attempts at every other power (as the steward's, an attester's, a member's); a project's wallet
changed, its project switched off, a voter excluded, or the guardian cancelling while a proposal
is under way; and time travel by seconds to weeks, or to the exact second around a snapshot,
deadline, ETA, expiry, end of probation, invitation refill or invitation expiry. Every block is
one second after the previous one.

An independent record (governance_model.GovernanceModel, with redistribution_model.PoolModel
for the pool's books) predicts every outcome from what the test did: the exact custom error (and
arguments) of every revert, or the whole list of events of every contract (governor, timelock,
membership, registry, pool, token). After every step the views are compared with the record
(members, votes now and at every proposal's snapshot, the quorum and its base, invitations held
and live, attestations, projects, the pool's totals and balances, each proposal's state, tally,
snapshot, deadline, ETA, expiry, proposer, timelock operation; proposals that ended are read
again every tenth step), and the invariants are checked from the record:

- no vote counts before its member's probation ends: each VoteCast weight is 1 exactly when the
  voter's probation ended at or before the proposal's snapshot and it was not excluded at the
  snapshot (the record's join and exclusion times), getPastVotes at each snapshot says the same
  for everyone, and proposalVotes are the sums of the weights recorded; nobody votes twice (a
  second vote reverts, hasVoted matches);
- no payment to a wallet not on record at the snapshot: every EssProjectFunded pays the wallet the
  project had at the proposal's snapshot, and that wallet did not change between the snapshot and
  the execution (the record's wallet history);
- no execution after expiry: every execution happens at or before the expiry the record computes
  (ETA, or deadline, plus the grace period in force at the snapshot), and every approval past it
  reads Expired, for good (queue and execute refuse it);
- the guardian only cancels: it never cancels the proposal replacing it, none of its calls (but
  executing an approved proposal, which anyone may) emits a pool or token event, its other
  attempts (paying a project, spending the collective fund, executing or cancelling on the
  timelock, naming the guardian, switching a project on, proposing, excluding) revert, and it
  never holds tokens;
- only the timelock moves ESS money: what leaves the ESS bucket in a step is exactly what funding
  proposals executed through the Governor paid in it, and the pool's token balance is
  essAvailable + collectiveAvailable + membersAvailable exactly (and the pool model's books, to
  the unit: the members' rounding dust stays inside membersAvailable);
- invitations: no member ever holds more than invitationCap unused invitations (and holds what the
  record says), no member invites during probation, nobody joins as an EssStructure without
  governance or an attestation by an attester still named when it joins.

Each Hypothesis example starts from the freshly deployed system through an anvil snapshot.
Sizes: CMIR_GOVERNANCE_EXAMPLES (default 40) sequences of CMIR_GOVERNANCE_STEPS (default 80)
steps, derandomized: the same sequences on every run of the same code. The run's summary
(terminal) counts each rule, each situation the invariants are about, each proposal kind's
final state and each expected revert.
"""

from __future__ import annotations

import copy
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import pytest
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from cmir.chain.deploy import Deployment, NetworkSettings
from tests.contracts.governance_model import (
    ABSTAIN,
    ACTIVE,
    AGAINST,
    CANCELED,
    CANCELLER_ROLE,
    DEFEATED,
    EXECUTED,
    EXECUTOR_ROLE,
    EXPIRED,
    FOR,
    KIND_ESS,
    PENDING,
    QUEUED,
    STATE_NAMES,
    SUCCEEDED,
    ZERO,
    ZERO32,
    Abi,
    Action,
    Events,
    GovernanceModel,
    Node,
    Outcome,
    ProposalRecord,
    Revert,
    calldata,
    decode_static,
)
from tests.contracts.raw_rpc import Rpc
from tests.contracts.redistribution_model import PoolModel

T = TypeVar("T")

EXAMPLES = int(os.environ.get("CMIR_GOVERNANCE_EXAMPLES", "40"))
STEPS = int(os.environ.get("CMIR_GOVERNANCE_STEPS", "80"))

EUR = 10**6
UINT256_MAX = 2**256 - 1
WALLET_FUNDS = 10**24


def _named(label: str, count: int) -> list[str]:
    return [keccak(text=f"cmir-governance-invariants-{label}-{i}")[-20:].hex() for i in range(count)]


# Accounts beyond Ape's test accounts (impersonated on anvil): people who may join, a second
# guardian and attester, and the projects' payout wallets (never members).
EXTRA_PEOPLE = ["0x" + a for a in _named("person", 4)]
SECOND_GUARDIAN = "0x" + _named("guardian", 1)[0]
SECOND_ATTESTER = "0x" + _named("attester", 1)[0]
PAYOUT_WALLETS = ["0x" + a for a in _named("payout", 4)]
METADATA_URI = "ipfs://cmir-project"
EXECUTE_SELECTOR = calldata("execute(address[],uint256[],bytes[],bytes32)", (), (), (), ZERO32)[:4]
REASONS = ["Capture manifeste : 30 comptes invités en une semaine", "Portefeuille inconnu", "Doublon"]

# ---------------------------------------------------------------------- run statistics


@dataclass
class Stats:
    """What the property run did, printed at the end of the session."""

    sequences: int = 0
    steps: int = 0
    seconds: float = 0.0
    rules: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    exercised: Counter[str] = field(default_factory=Counter)
    proposals: int = 0
    max_members: int = 0
    fates: Counter[str] = field(default_factory=Counter)


STATS = Stats()


def _summary_lines() -> list[str]:
    s = STATS
    if s.sequences == 0:
        return []
    return [
        f"{s.sequences} sequences, {s.steps} steps ({s.steps / s.sequences:.1f} per sequence), "
        f"{s.proposals} proposals, at most {s.max_members} members, in {s.seconds:.0f} s",
        "steps per rule: " + ", ".join(f"{k} {v}" for k, v in sorted(s.rules.items())),
        "situations: " + ", ".join(f"{k} {v}" for k, v in sorted(s.exercised.items())),
        "proposals by kind and final state: " + ", ".join(f"{k} {v}" for k, v in sorted(s.fates.items())),
        "expected reverts: " + ", ".join(f"{k} {v}" for k, v in sorted(s.errors.items())),
    ]


class _SummaryPlugin:
    """Writes the run's statistics at the end of the pytest session."""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        lines = _summary_lines()
        if lines:
            terminalreporter.section("CMIR governance property run (test_governance_invariants)")
            for line in lines:
                terminalreporter.write_line(line)


# ---------------------------------------------------------------------- strategies

PICK = st.integers(min_value=0, max_value=2**16)
KINDS = st.integers(min_value=0, max_value=2)
SUPPORT = st.sampled_from([FOR, FOR, FOR, AGAINST, ABSTAIN, ABSTAIN, 3])
TRAVEL = st.sampled_from(["seconds", "seconds", "minutes", "minutes", "hours", "days", "weeks"])
PROPOSAL_KINDS = st.sampled_from(
    [
        "fund",
        "fund",
        "fund",
        "fund_stale",
        "fund_over",
        "activate",
        "activate",
        "activate_stale",
        "activate_fund",
        "deactivate",
        "guardian",
        "guardian_combo",
        "exclude",
        "admit",
        "grace",
        "delay",
        "period",
    ]
)
PROPOSAL_VARIANTS = st.sampled_from(["bound"] * 6 + ["unbound", "other", "copy", "again", "revise", "revise"])
FOLLOW_UP = st.sampled_from(["none"] * 6 + ["cancel", "cancel_other", "guardian_cancel"])

# The rule that drives a proposal through its life (three methods carry it, see `advance`).
ADVANCE = rule(
    pick=PICK,
    support=SUPPORT,
    moves=st.integers(1, 6),
    timing=st.sampled_from(["on_time", "on_time", "on_time", "last_second", "late"]),
    kind=PROPOSAL_KINDS,
    amount=PICK,
    disturb=st.sampled_from(["none"] * 4 + ["wallet", "wallet", "guardian", "exclude_voter", "deactivate"]),
    disturb_at=st.integers(0, 5),
)


@dataclass
class Context:
    """What the machine works on, set by the test before running it."""

    node: Node
    chain: Any
    people: list[str]
    founders: list[str]
    steward: str
    attester: str
    base: GovernanceModel
    min_fee: int


class GovernanceMachine(RuleBasedStateMachine):
    """Random governance on the deployed system, checked against the record after every step."""

    CTX: ClassVar[Context]

    def __init__(self) -> None:
        super().__init__()
        ctx = self.CTX
        self.snapshot = ctx.chain.snapshot()
        self.node = ctx.node
        self.abi = ctx.node.abi
        self.people = ctx.people
        self.model = copy.deepcopy(ctx.base)
        self.latest = self.node.latest()
        self.order: list[int] = []
        self.step = ""
        self.funded = 0
        self.reverted = ""
        self.previous: dict[str, Any] | None = None
        self.seen_states: dict[int, int] = {}
        self.ended: set[int] = set()
        self.snapshots_read: set[int] = set()
        self.steps_run = 0
        self.description_counter = 0
        STATS.sequences += 1

    def teardown(self) -> None:
        """Back to the freshly deployed system."""
        self.CTX.chain.restore(self.snapshot)
        STATS.proposals += len(self.model.proposals)
        for proposal in self.model.proposals.values():
            STATS.fates[f"{proposal.kind} {STATE_NAMES[self.model.state(proposal, self.latest)]}"] += 1
        STATS.max_members = max(STATS.max_members, len(self.model.members))

    # -------------------------------------------------------------- helpers

    def _begin(self, name: str) -> None:
        self.steps_run += 1
        STATS.steps += 1
        STATS.rules[name] += 1
        self.step = name
        self.funded = 0

    def _see(self, situation: str) -> None:
        STATS.exercised[situation] += 1

    def _pick(self, items: Sequence[T], index: int) -> T:
        return items[index % len(items)]

    def _person(self, index: int) -> str:
        return self.people[index % len(self.people)]

    def _address(self, label: str) -> str:
        return self.model.address(label)

    def _send(self, sender: str, target: str, data: bytes) -> Outcome:
        outcome = self.node.transact(sender, self._address(target), data)
        assert outcome.timestamp == self.latest + 1, (
            f"{self.step}: mined at {outcome.timestamp}, expected {self.latest + 1}"
        )
        self.latest = outcome.timestamp
        if sender in (self.CTX.base.guardian, SECOND_GUARDIAN) and not data.startswith(EXECUTE_SELECTOR):
            # The guardian never moves money: none of its calls (but executing an approved
            # proposal, which anyone may) touches the pool or the token.
            assert "pool" not in outcome.events and "token" not in outcome.events, (
                f"the guardian moved money: {outcome.events}"
            )
            self._see("guardian call checked: no money moved")
        return outcome

    def _check(self, outcome: Outcome, predict: Callable[[int], Events]) -> Events | None:
        """The chain did what the record predicts at the transaction's time: the same custom
        error, or the same events of every contract. Returns the events (None on a revert, whose
        error's name is then in `reverted`)."""
        self.reverted = ""
        try:
            expected = predict(outcome.timestamp)
        except Revert as revert:
            data = self.abi.error(revert.name, *revert.args_)
            assert outcome.revert is not None, (
                f"{self.step}: expected {revert.name}{revert.args_}, but the call succeeded "
                f"emitting {outcome.events}"
            )
            assert outcome.revert == data, (
                f"{self.step}: expected {self.abi.describe(data)}, got {self.abi.describe(outcome.revert)}"
            )
            STATS.errors[revert.name] += 1
            self.reverted = revert.name
            return None
        assert outcome.revert is None, (
            f"{self.step}: unexpected revert {self.abi.describe(outcome.revert)}; expected {expected}"
        )
        expected = {label: events for label, events in expected.items() if events}
        assert outcome.events == expected, f"{self.step}: emitted {outcome.events}, expected {expected}"
        return expected

    def _call(self, sender: str, target: str, data: bytes, predict: Callable[[int], Events]) -> Events | None:
        return self._check(self._send(sender, target, data), predict)

    def _travel_to(self, timestamp: int, label: str) -> None:
        """Mine an empty block at `timestamp` (if later than the latest block)."""
        if timestamp <= self.latest:
            return
        self.node.mine_at(timestamp)
        self.latest = timestamp
        self._see(f"travel: {label}")

    def _next_tx_at(self, timestamp: int, label: str) -> None:
        """Arrange for the next transaction to be mined at `timestamp` (if still ahead)."""
        self._travel_to(timestamp - 1, label)

    def _proposals(self) -> list[ProposalRecord]:
        return [self.model.proposals[i] for i in self.order]

    def _prefer(self, pick: int, wanted: Callable[[ProposalRecord], bool]) -> ProposalRecord | None:
        """A proposal for which `wanted` holds if any, else any proposal (None if none)."""
        proposals = self._proposals()
        if not proposals:
            return None
        fitting = [p for p in proposals if wanted(p)]
        return self._pick(fitting or proposals, pick)

    def _state_next(self, proposal: ProposalRecord) -> int:
        """The proposal's state for a transaction sent now (mined one second later)."""
        return self.model.state(proposal, self.latest + 1)

    # -------------------------------------------------------------- the start

    @initialize(
        joiners=st.lists(
            st.tuples(st.integers(3, 11), st.sampled_from(["admit", "invite"]), KINDS, PICK),
            max_size=5,
            unique_by=lambda joiner: joiner[0],
        ),
        serve=st.sampled_from(["none", "probation", "probation", "long"]),
        contribution=st.sampled_from([0, 500 * EUR, 5_000 * EUR, 20_000 * EUR]),
        member_project=st.booleans(),
        proposals=st.lists(st.tuples(PROPOSAL_KINDS, PICK, PICK), max_size=2),
    )
    def start(
        self,
        joiners: list[tuple[int, str, int, int]],
        serve: str,
        contribution: int,
        member_project: bool,
        proposals: list[tuple[str, int, int]],
    ) -> None:
        """A few people join (admitted by the timelock, or invited by a founder, ESS structures
        attested first), the ESS bucket may receive a contribution, governance registers a
        project (active), the ESS founder may register one (inactive), probation may pass, and
        founders may make the first proposals."""
        self._begin("start")
        ctx = self.CTX
        for index, how, kind, sponsor_pick in joiners:
            account = self.people[index]
            sponsor = self._pick(ctx.founders, sponsor_pick)
            if how == "admit":
                self._admit(self.model.timelock, account, kind, sponsor if sponsor_pick % 2 else ZERO)
                continue
            self._invite(sponsor, account, kind)
            if kind == KIND_ESS:
                self._attest(ctx.attester, account)
            self._accept(account, sponsor, kind)
        if contribution:
            self._contribute(self.people[6], contribution)
        self._register(self.model.timelock, PAYOUT_WALLETS[0])
        if member_project:
            self._register(ctx.founders[2], PAYOUT_WALLETS[1])
        if serve == "probation":
            self._travel_to(self.latest + self.model.probation + 1, "past probation")
        elif serve == "long":
            self._travel_to(self.latest + 30 * 86_400, "a month")
        # The newcomers try to invite: refused in probation, refused with no invitation accrued
        # yet just after it, possible a month later.
        for index, _, _, _ in joiners[:2]:
            newcomer = self.people[index]
            if not self.model.is_active(newcomer):
                continue
            target = self._pick([p for p in self.people if p not in self.model.members] or self.people, index)
            if self._invite(newcomer, target, 1) is not None:
                self._see("newcomer invited once its first invitation accrued")
            elif self.reverted == "MembershipInProbation":
                self._see("invitation in probation refused")
            elif self.reverted == "MembershipNoInvitationLeft":
                self._see("invitation refused: none left")
        for index, (proposal_kind, pick, amount) in enumerate(proposals):
            founder = ctx.founders[index % 2]
            actions = self._actions(proposal_kind, pick, amount)
            self._propose(founder, actions, self._description(proposal_kind, founder), proposal_kind)

    # -------------------------------------------------------------- membership

    @rule(
        sponsor=PICK,
        invitees=st.lists(PICK, min_size=1, max_size=4),
        kind=KINDS,
        anyone=st.sampled_from([False, False, True]),
        accept=st.sampled_from(["no", "yes", "yes", "unattested"]),
    )
    def invite(self, sponsor: int, invitees: list[int], kind: int, anyone: bool, accept: str) -> None:
        """A member (in probation or not, or anyone) invites one or several people (members or
        not) as any kind, in a row; each invitee may accept at once (an ESS structure is attested
        first, or not)."""
        self._begin("invite")
        m = self.model
        if anyone or not m.active_members():
            sender = self._person(sponsor)
        else:
            sender = self._pick(m.active_members(), sponsor)
        for invitee in invitees:
            outsiders = [p for p in self.people if p not in m.members]
            target = self._pick(outsiders, invitee) if outsiders and not anyone else self._person(invitee)
            held = m.invitations_available(sender, self.latest + 1)[0]
            before = m.invitations.get((target, sender))
            events = self._invite(sender, target, kind)
            if events is None:
                if self.reverted == "MembershipInProbation":
                    self._see("invitation in probation refused")
                elif self.reverted == "MembershipNoInvitationLeft":
                    self._see("invitation refused: none left")
                continue
            # No member invites during probation (the record's join times).
            assert self.latest >= m.members[sender].votes_from, f"{sender} invited during its probation"
            if before is not None:
                self._see("expired invitation renewed")
            if held == m.invitation_cap:
                self._see("invitation sent from a full allowance")
            if accept != "no":
                if kind == KIND_ESS and accept == "yes":
                    self._attest(self.CTX.attester, target)
                self._accept(target, sender, kind)

    def _invite(self, sender: str, invitee: str, kind: int) -> Events | None:
        m = self.model
        data = calldata("invite(address,uint8)", invitee, kind)
        return self._call(sender, "membership", data, lambda now: m.invite(sender, invitee, kind, now))

    def _accept(self, invitee: str, sponsor: str, kind: int) -> None:
        m = self.model
        attested = m.live_attestation(invitee)
        invitation = m.invitations.get((invitee, sponsor))
        events = self._call(
            invitee,
            "membership",
            calldata("acceptInvitation(address,uint8)", sponsor, kind),
            lambda now: m.accept(invitee, sponsor, kind, now),
        )
        if events is None:
            situation = {
                "MembershipInvitationKindMismatch": "acceptance naming a wrong kind refused",
                "MembershipInvitationExpired": "acceptance of an expired invitation refused",
                "MembershipSponsorNotActive": "acceptance of an excluded sponsor's invitation refused",
                "MembershipEssStructureNotAttested": (
                    "ESS acceptance with a dropped attester refused"
                    if invitee in m.attestations
                    else "ESS acceptance without attestation refused"
                ),
            }.get(self.reverted)
            if self.reverted == "MembershipNoInvitation" and any(i == invitee for i, _ in m.invitations):
                situation = "acceptance naming a wrong sponsor refused"
            if situation:
                self._see(situation)
            return
        # Nobody joins as an ESS structure without a live attestation (or governance).
        if kind == KIND_ESS:
            assert attested is not None and m.attesters.get(attested), f"{invitee} joined as ESS unattested"
            self._see("ESS structure joined by invitation and attestation")
        self._see("invitation accepted")
        if invitation is not None and self.latest == invitation[1] - 1:
            self._see("invitation accepted in its last second")

    @rule(
        pick=PICK,
        mode=st.sampled_from(["right", "right", "right", "wrong_sponsor", "wrong_kind", "anyone"]),
        other=PICK,
        timing=st.sampled_from(["now", "now", "now", "last_second", "expired"]),
    )
    def accept(self, pick: int, mode: str, other: int, timing: str) -> None:
        """An invitee accepts naming its sponsor and kind, a wrong sponsor or kind, or anyone
        accepts anything; now, in the invitation's last second, or once it expired."""
        self._begin("accept")
        m = self.model
        pairs = sorted(m.invitations)
        if mode == "anyone" or not pairs:
            self._accept(self._person(pick), self._person(other), other % 3)
            return
        invitee, sponsor = self._pick(pairs, pick)
        kind, expires_at = m.invitations[(invitee, sponsor)]
        if mode == "wrong_sponsor":
            sponsor = self._pick([p for p in self.people if p != sponsor], other)
        elif mode == "wrong_kind":
            kind = (kind + 1 + other % 2) % 3
        if timing != "now":
            self._next_tx_at(expires_at - (1 if timing == "last_second" else 0), f"invitation's {timing}")
        self._accept(invitee, sponsor, kind)

    @rule(pick=PICK, by=st.sampled_from(["sponsor", "sponsor", "governance", "other"]), other=PICK)
    def revoke(self, pick: int, by: str, other: int) -> None:
        """The sponsor or governance withdraws an invitation (it gives the sponsor's invitation
        back), or someone else tries to."""
        self._begin("revoke")
        m = self.model
        pairs = sorted(m.invitation_pairs)
        if not pairs:
            return
        invitee, sponsor = self._pick(pairs, pick)
        sender = {"sponsor": sponsor, "governance": m.timelock, "other": self._person(other)}[by]
        events = self._call(
            sender,
            "membership",
            calldata("revokeInvitation(address,address)", invitee, sponsor),
            lambda now: m.revoke(sender, invitee, sponsor, now),
        )
        if events is not None:
            self._see(f"invitation revoked by {'governance' if sender == m.timelock else 'its sponsor'}")

    def _attest(self, attester: str, account: str) -> None:
        m = self.model
        self._call(
            attester,
            "membership",
            calldata("attestEssStructure(address)", account),
            lambda now: m.attest(attester, account),
        )

    @rule(account=PICK, who=st.sampled_from(["first", "first", "second", "anyone"]), other=PICK)
    def attest(self, account: int, who: str, other: int) -> None:
        """An attester (still named or not) or anyone attests that someone is an ESS structure."""
        self._begin("attest")
        sender = {"first": self.CTX.attester, "second": SECOND_ATTESTER, "anyone": self._person(other)}[who]
        self._attest(sender, self._person(account))

    @rule(
        second=st.booleans(),
        allowed=st.booleans(),
        as_governance=st.sampled_from([True, True, True, False]),
        other=PICK,
    )
    def set_attester(self, second: bool, allowed: bool, as_governance: bool, other: int) -> None:
        """Governance (the timelock) names or drops an attester; anyone else is refused."""
        self._begin("set_attester")
        m = self.model
        attester = SECOND_ATTESTER if second else self.CTX.attester
        sender = m.timelock if as_governance else self._person(other)
        events = self._call(
            sender,
            "membership",
            calldata("setAttester(address,bool)", attester, allowed),
            lambda now: m.set_attester(sender, attester, allowed),
        )
        if events is not None and not allowed:
            self._see("attester dropped")

    def _admit(self, sender: str, account: str, kind: int, sponsor: str) -> None:
        m = self.model
        events = self._call(
            sender,
            "membership",
            calldata("admit(address,uint8,address)", account, kind, sponsor),
            lambda now: m.admit(sender, account, kind, sponsor, now),
        )
        if events is not None:
            self._see("admitted by governance" + (" as an ESS structure" if kind == KIND_ESS else ""))

    @rule(account=PICK, kind=KINDS, sponsor=PICK, as_governance=st.sampled_from([True, True, True, False]))
    def admit(self, account: int, kind: int, sponsor: int, as_governance: bool) -> None:
        """The timelock admits someone (any kind, sponsored or not), or someone else tries."""
        self._begin("admit")
        m = self.model
        outsiders = [p for p in self.people if p not in m.members]
        target = self._pick(outsiders, account) if outsiders and account % 4 else self._person(account)
        sponsor_address = ZERO if sponsor % 3 == 0 else self._person(sponsor)
        self._admit(m.timelock if as_governance else self._person(sponsor), target, kind, sponsor_address)

    @rule(
        who=PICK,
        as_governance=st.sampled_from([True, True, True, False]),
        anyone=st.sampled_from([False, False, False, True]),
    )
    def exclude(self, who: int, as_governance: bool, anyone: bool) -> None:
        """The timelock excludes a member (its vote ends, its invitations lapse), or someone else
        tries to."""
        self._begin("exclude")
        m = self.model
        # Mostly not a founder: proposals need voters past probation.
        candidates = [a for a in m.active_members() if a not in self.CTX.founders]
        target = self._person(who) if anyone or not candidates else self._pick(candidates, who)
        sender = m.timelock if as_governance else self._person(who + 1)
        self._exclude(sender, target)

    def _exclude(self, sender: str, target: str) -> None:
        m = self.model
        events = self._call(
            sender,
            "membership",
            calldata("exclude(address,string)", target, "property test"),
            lambda now: m.exclude(sender, target, "property test", now),
        )
        if events is not None:
            self._see("exclusion")

    # -------------------------------------------------------------- ESS projects

    def _register(self, sender: str, wallet: str) -> None:
        m = self.model
        digest = keccak(text=METADATA_URI)
        data = calldata("registerProject(address,string,bytes32)", wallet, METADATA_URI, digest)
        events = self._call(
            sender, "registry", data, lambda now: m.register(sender, wallet, METADATA_URI, digest, now)
        )
        if events is not None:
            self._see(
                "project registered by "
                + ("governance (active)" if sender == m.timelock else "a member (inactive)")
            )

    @rule(who=st.sampled_from(["ess", "ess", "governance", "anyone"]), pick=PICK, wallet=PICK)
    def register_project(self, who: str, pick: int, wallet: int) -> None:
        """An ESS-structure member (in probation or not) registers a project, inactive until
        governance activates it; governance registers one, active; anyone else is refused."""
        self._begin("register_project")
        m = self.model
        ess = [a for a in m.active_members() if m.members[a].kind == KIND_ESS]
        if who == "governance":
            sender = m.timelock
        elif who == "ess" and ess:
            sender = self._pick(ess, pick)
        else:
            sender = self._person(pick)
        self._register(sender, self._pick(PAYOUT_WALLETS, wallet))

    @rule(project=PICK, wallet=PICK, by=st.sampled_from(["owner", "owner", "owner", "other"]), other=PICK)
    def update_project(self, project: int, wallet: int, by: str, other: int) -> None:
        """A project's owner changes its payout wallet (a new version, switched off: pending
        activations and fundings are void) or only its metadata; anyone else is refused."""
        self._begin("update_project")
        m = self.model
        if not m.projects:
            return
        project_id = 1 + project % len(m.projects)
        record = m.projects[project_id - 1]
        sender = record.owner if by == "owner" else self._person(other)
        new_wallet = self._pick(PAYOUT_WALLETS, wallet)
        uri = f"{METADATA_URI}/v{self.latest}"
        digest = keccak(text=uri)
        data = calldata("updateProject(uint256,address,string,bytes32)", project_id, new_wallet, uri, digest)
        was_active, old_wallet = record.active, record.wallet
        pending = [
            p
            for p in self._proposals()
            if self._state_next(p) in (PENDING, ACTIVE, SUCCEEDED, QUEUED)
            and any(a.target in ("pool", "registry") and a.args[0] == project_id for a in p.actions)
        ]
        events = self._call(
            sender,
            "registry",
            data,
            lambda now: m.update_project(sender, project_id, new_wallet, uri, digest, now),
        )
        if events is None:
            return
        if new_wallet == old_wallet:
            self._see("project metadata updated")
            return
        self._see("payout wallet changed" + (" (active project switched off)" if was_active else ""))
        if pending:
            self._see("payout wallet changed under a live proposal about it")

    # -------------------------------------------------------------- the pool

    def _contribute(self, sender: str, amount: int) -> None:
        m = self.model
        memo = "pour l'ESS"

        def predict(now: int) -> Events:
            split = m.pool.receive(amount, now)
            return {
                "pool": [("Contributed", sender, amount, split.as_tuple(), m.pool.reward_per_point, memo)],
                "token": [("Transfer", sender, self._address("pool"), amount)],
            }

        self._call(sender, "pool", calldata("contribute(uint256,string)", amount, memo), predict)

    @rule(payer=PICK, counterparty=PICK, amount=st.integers(0, 2_000 * EUR), relation=st.booleans())
    def inflow(self, payer: int, counterparty: int, amount: int, relation: bool) -> None:
        """Two members pay for a relation (probationers too), or anyone contributes: the ESS
        bucket fills."""
        self._begin("inflow")
        m = self.model
        active = m.active_members()
        if not relation or len(active) < 2:
            self._contribute(self._person(payer), 10 * EUR + amount)
            return
        first = self._pick(active, payer)
        second = self._pick([a for a in active if a != first], counterparty)
        fee = self.CTX.min_fee + amount
        ref = keccak(text=f"relation-{self.latest}")

        def predict(now: int) -> Events:
            epoch = m.pool.epoch(now)
            split, points = m.pool.pay_relation(first, second, fee, now)
            event = (
                "RelationPaid",
                first,
                second,
                ref,
                fee,
                split.as_tuple(),
                points.as_tuple(),
                m.pool.reward_per_point,
                epoch,
            )
            return {"pool": [event], "token": [("Transfer", first, self._address("pool"), fee)]}

        self._call(first, "pool", calldata("payRelation(address,uint256,bytes32)", second, fee, ref), predict)

    # -------------------------------------------------------------- proposals

    def _actions(self, kind: str, pick: int, amount: int) -> tuple[Action, ...]:
        """The calls of a proposal of `kind` about the project, member or setting `pick` names."""
        m = self.model
        # Mostly a project a funding can pay (active), or an activation can switch on (inactive).
        wanted = [i for i, p in enumerate(m.projects, start=1) if p.active == kind.startswith("fund")]
        if wanted and pick % 4:
            project_id = self._pick(wanted, pick // 4)
        else:
            project_id = 1 + pick % max(1, len(m.projects))
        project = m.projects[project_id - 1] if m.projects else None
        wallet, version = (project.wallet, project.version) if project else (PAYOUT_WALLETS[0], 1)
        if kind in ("fund_stale", "activate_stale") and project is not None:
            # A wallet the project had before (or one it never had).
            older = [(w, v) for _, w, v in project.history if v != project.version]
            others = [w for w in PAYOUT_WALLETS if w != project.wallet]
            wallet, version = older[-1] if older else (self._pick(others, pick), version)
        available = m.pool.ess_available
        if kind == "fund_over":
            value = available + 1 + amount % 1000
        else:
            value = 1 + amount % max(1, available // 3)
        fund = Action(
            "pool", "fundEssProject(uint256,address,uint64,uint256)", (project_id, wallet, version, value)
        )
        activate = Action("registry", "activateProject(uint256,uint64)", (project_id, version))
        match kind:
            case "fund" | "fund_stale" | "fund_over":
                return (fund,)
            case "activate" | "activate_stale":
                return (activate,)
            case "activate_fund":
                return (activate, fund)
            case "deactivate":
                return (Action("registry", "deactivateProject(uint256)", (project_id,)),)
            case "guardian":
                choice = [SECOND_GUARDIAN, self.CTX.base.guardian, ZERO][pick % 3]
                return (Action("governor", "setGuardian(address)", (choice,)),)
            case "guardian_combo":
                return (
                    Action("governor", "setGuardian(address)", (SECOND_GUARDIAN,)),
                    Action("registry", "deactivateProject(uint256)", (project_id,)),
                )
            case "exclude":
                target = self._pick([p for p in self.people if p not in self.CTX.founders[:2]], pick)
                return (Action("membership", "exclude(address,string)", (target, "vote d'exclusion")),)
            case "admit":
                target = self._person(pick)
                sponsor = ZERO if amount % 2 else self._pick(self.CTX.founders, amount)
                return (Action("membership", "admit(address,uint8,address)", (target, amount % 3, sponsor)),)
            case "grace":
                grace = [3_600, 7_200, 86_400, 600][pick % 4]
                return (Action("governor", "setApprovalGracePeriod(uint256)", (grace,)),)
            case "delay":
                delay = [0, 1, 60, 3_600, 86_400, 31 * 86_400][pick % 6]
                return (Action("governor", "setVotingDelay(uint48)", (delay,)),)
            case "period":
                period = [60, 300, 3_600, 86_400, 59][pick % 5]
                return (Action("governor", "setVotingPeriod(uint32)", (period,)),)
        raise AssertionError(kind)

    def _description(self, kind: str, proposer: str | None, revision: int = 0) -> str:
        self.description_counter += 1
        text = f"Proposition {self.description_counter} ({kind})"
        if revision:
            text += f"\n\n(révision {revision})"
        return text if proposer is None else f"{text}\n\n#proposer={proposer}"

    def _propose(
        self, sender: str, actions: tuple[Action, ...], description: str, kind: str
    ) -> ProposalRecord | None:
        m = self.model
        targets, values, datas = m.encoded(actions)
        data = calldata("propose(address[],uint256[],bytes[],string)", targets, values, datas, description)
        member = m.members.get(sender)
        events = self._call(
            sender, "governor", data, lambda now: m.propose(sender, actions, description, kind, now)
        )
        if events is None:
            if self.reverted == "GovernorInsufficientProposerVotes" and member is not None:
                self._see(
                    "proposal by a member in probation refused"
                    if member.excluded_at == 0
                    else "proposal by an excluded member refused"
                )
            return None
        proposal_id = m.proposal_id(actions, description)
        self.order.append(proposal_id)
        self._see("proposal created")
        return m.proposals[proposal_id]

    @rule(
        proposer=PICK,
        kind=PROPOSAL_KINDS,
        variant=PROPOSAL_VARIANTS,
        pick=PICK,
        amount=PICK,
        follow_up=FOLLOW_UP,
        other=PICK,
    )
    def propose(
        self, proposer: int, kind: str, variant: str, pick: int, amount: int, follow_up: str, other: int
    ) -> None:
        """A member (past probation or not; or anyone) proposes a funding at the project's wallet
        and version (or a stale one, or too much), an activation, a deactivation, a guardian
        change, an exclusion, an admission or a setting; bound to itself, unbound, bound to
        someone else, a copy of another's proposal, the same one again, or a re-worded cancelled
        one. The proposer may cancel it while pending; someone else or the guardian may try."""
        self._begin("propose")
        m = self.model
        members = [a for a in m.active_members() if m.members[a].votes_from < self.latest]
        sender = self._pick(members, proposer) if members and proposer % 5 else self._person(proposer)
        proposals = self._proposals()
        if variant in ("copy", "again") and proposals:
            original = self._pick(proposals, pick)
            if variant == "again":
                sender = original.proposer
            else:
                sender = self._pick([p for p in self.people if p != original.proposer], other)
            made = self._propose(sender, original.actions, original.description, original.kind)
            assert made is None, "a proposal was made twice"
            if self.reverted == "GovernorRestrictedProposer":
                self._see("copy of another member's proposal refused")
            elif self.reverted == "GovernorUnexpectedProposalState":
                self._see("the same proposal proposed again refused")
            return
        if variant == "revise":
            cancelled = [p for p in proposals if p.canceled_at]
            if cancelled:
                original = self._pick(cancelled, pick)
                revision = 1 + sum(1 for p in proposals if p.actions == original.actions)
                description = self._description(original.kind, original.proposer, revision)
                made = self._propose(original.proposer, original.actions, description, original.kind)
                if made is not None:
                    self._see("cancelled proposal proposed again (révision)")
                return
        actions = self._actions(kind, pick, amount)
        if variant == "unbound":
            description = self._description(kind, None)
        elif variant == "other":
            bound_to = self._pick([p for p in self.people if p != sender], other)
            description = self._description(kind, bound_to)
        else:
            description = self._description(kind, sender)
        made = self._propose(sender, actions, description, kind)
        if made is None:
            if self.reverted == "GovernorRestrictedProposer":
                self._see(
                    f"proposal {'bound to another member' if variant == 'other' else 'unbound'} refused"
                )
            elif self.reverted == "CmirGovernorGuardianChangeNotAlone":
                self._see("guardian change bundled with another action refused")
            return
        if follow_up == "cancel":
            self._cancel(made.proposer, made)
        elif follow_up == "cancel_other":
            self._cancel(self._pick([p for p in self.people if p != made.proposer], other), made)
        elif follow_up == "guardian_cancel":
            self._guardian_cancel(m.guardian if m.guardian != ZERO else SECOND_GUARDIAN, made, other)

    def _cancel(self, sender: str, proposal: ProposalRecord) -> None:
        m = self.model
        targets, values, datas = m.encoded(proposal.actions)
        data = calldata(
            "cancel(address[],uint256[],bytes[],bytes32)",
            targets,
            values,
            datas,
            keccak(text=proposal.description),
        )
        state = self._state_next(proposal)
        events = self._call(sender, "governor", data, lambda now: m.cancel(sender, proposal.proposal_id, now))
        if events is not None:
            self._see("proposer cancelled its pending proposal")
        elif sender != proposal.proposer:
            self._see("cancellation by another member refused")
        else:
            self._see(f"proposer cancellation refused ({STATE_NAMES[state]})")

    @rule(pick=PICK, by_proposer=st.booleans(), other=PICK)
    def cancel(self, pick: int, by_proposer: bool, other: int) -> None:
        """The proposer (only while pending) or anyone else cancels a proposal."""
        self._begin("cancel")
        proposal = self._prefer(pick, lambda p: self._state_next(p) == PENDING)
        if proposal is None:
            return
        self._cancel(proposal.proposer if by_proposer else self._person(other), proposal)

    @rule(
        pick=PICK,
        prefer=st.booleans(),
        ballots=st.lists(
            st.tuples(
                PICK, SUPPORT, st.booleans(), st.sampled_from(["member", "member", "anyone", "newcomer"])
            ),
            min_size=1,
            max_size=6,
        ),
    )
    def vote(self, pick: int, prefer: bool, ballots: list[tuple[int, int, bool, str]]) -> None:
        """Members (counted or in probation, excluded, outsiders, the guardian) vote For,
        Against or Abstain (or an invalid choice), with or without a reason, one block each."""
        self._begin("vote")
        proposal = (
            self._prefer(pick, lambda p: self._state_next(p) == ACTIVE)
            if prefer
            else self._prefer(pick, lambda p: True)
        )
        if proposal is None:
            return
        for voter_pick, support, with_reason, who in ballots:
            m = self.model
            newcomers = [a for a, r in m.members.items() if r.votes_from > proposal.snapshot]
            if who == "newcomer" and newcomers:
                # A member whose probation ends after the snapshot: it votes once it may vote
                # elsewhere (during this vote, if that comes before the deadline).
                voter = self._pick(newcomers, voter_pick)
                if m.members[voter].votes_from <= proposal.deadline:
                    self._next_tx_at(m.members[voter].votes_from, "a newcomer's probation over")
            elif who == "member" and m.members:
                # Mostly one that has not voted yet (a second vote is tried too).
                fresh = [a for a in sorted(m.members) if a not in proposal.votes]
                voter = self._pick(fresh if fresh and voter_pick % 4 else sorted(m.members), voter_pick)
            elif voter_pick % 7 == 0:
                voter = m.guardian if m.guardian != ZERO else SECOND_GUARDIAN
            else:
                voter = self._person(voter_pick)
            self._vote(voter, proposal, support, REASONS[voter_pick % 3] if with_reason else "")

    def _vote(self, voter: str, proposal: ProposalRecord, support: int, reason: str) -> None:
        m = self.model
        pid = proposal.proposal_id
        if reason:
            data = calldata("castVoteWithReason(uint256,uint8,string)", pid, support, reason)
        else:
            data = calldata("castVote(uint256,uint8)", pid, support)
        already = voter in proposal.votes
        events = self._call(voter, "governor", data, lambda now: m.vote(voter, pid, support, reason, now))
        if events is None:
            if already and self.model.state(proposal, self.latest) == ACTIVE:
                self._see("second vote refused")
            elif self.model.state(proposal, self.latest) != ACTIVE:
                self._see(f"vote refused ({STATE_NAMES[self.model.state(proposal, self.latest)]})")
            return
        # No vote counts before its member's probation ends (the chain's VoteCast weight against
        # the record's join and exclusion times).
        weight = events["governor"][0][4]
        member = m.members.get(voter)
        snapshot = proposal.snapshot
        counted = (
            member is not None
            and member.votes_from <= snapshot
            and (member.excluded_at == 0 or snapshot < member.excluded_at)
        )
        assert weight == (1 if counted else 0), f"{voter} voted with weight {weight} on {pid}"
        if member is None:
            self._see("vote by a non-member (weight 0)")
        elif member.votes_from > snapshot:
            self._see("vote by a member in probation at the snapshot (weight 0)")
            if member.votes_from <= self.latest:
                self._see("vote by a member whose probation ended after the snapshot (weight 0)")
        elif member.excluded_at and member.excluded_at <= snapshot:
            self._see("vote by a member excluded before the snapshot (weight 0)")
        elif member.excluded_at:
            self._see("vote by a member excluded after the snapshot (weight 1)")
        else:
            self._see("vote counted (weight 1)")

    @rule(pick=PICK, prefer=st.booleans(), sender=PICK)
    def queue(self, pick: int, prefer: bool, sender: int) -> None:
        """Anyone queues a proposal (it must have succeeded and not expired)."""
        self._begin("queue")
        proposal = (
            self._prefer(pick, lambda p: self._state_next(p) == SUCCEEDED)
            if prefer
            else self._prefer(pick, lambda p: True)
        )
        if proposal is not None:
            self._queue(self._person(sender), proposal)

    def _queue(self, sender: str, proposal: ProposalRecord) -> None:
        m = self.model
        targets, values, datas = m.encoded(proposal.actions)
        data = calldata(
            "queue(address[],uint256[],bytes[],bytes32)",
            targets,
            values,
            datas,
            keccak(text=proposal.description),
        )
        state = self._state_next(proposal)
        last_second = proposal.deadline + m.grace_at(proposal.snapshot)
        events = self._call(sender, "governor", data, lambda now: m.queue(proposal.proposal_id, now))
        if events is not None:
            self._see("proposal queued")
            if self.latest == last_second:
                self._see("queued in the last second before expiry")
        elif state == EXPIRED:
            self._see("queueing an expired approval refused")

    @rule(pick=PICK, prefer=st.booleans(), sender=PICK, guardian=st.sampled_from([False, False, False, True]))
    def execute(self, pick: int, prefer: bool, sender: int, guardian: bool) -> None:
        """Anyone (the guardian too: executing is no power) executes a proposal through the
        Governor: only a queued approval past its ETA and before its expiry runs."""
        self._begin("execute")
        proposal = (
            self._prefer(
                pick,
                lambda p: (
                    self._state_next(p) == QUEUED and p.eta <= self.latest + 1 and p.failed_executions < 2
                ),
            )
            if prefer
            else self._prefer(pick, lambda p: True)
        )
        if proposal is None:
            return
        self._execute(
            self.model.guardian if guardian and self.model.guardian != ZERO else self._person(sender),
            proposal,
        )

    def _execute(self, sender: str, proposal: ProposalRecord) -> None:
        m = self.model
        pid = proposal.proposal_id
        targets, values, datas = m.encoded(proposal.actions)
        data = calldata(
            "execute(address[],uint256[],bytes[],bytes32)",
            targets,
            values,
            datas,
            keccak(text=proposal.description),
        )
        state = self._state_next(proposal)
        outcome = self._send(sender, "governor", data)
        after: list[GovernanceModel] = []

        def predict(now: int) -> Events:
            record, events = m.execute(pid, now)
            after.append(record)
            return events

        events = self._check(outcome, predict)
        if events is None:
            if state == EXPIRED:
                self._see("execution of an expired approval refused")
            elif self.reverted == "TimelockUnexpectedOperationState":
                self._see(
                    "execution before the ETA refused"
                    if state == QUEUED
                    else "execution of an unqueued approval refused"
                )
            elif state == QUEUED:
                proposal = self.model.proposals[pid]
                proposal.failed_executions += 1
                if proposal.failed_executions == 1:
                    self._see(f"execution failed: {self.reverted}")
                    if self.reverted in ("RedistributionPayoutMismatch", "EssProjectRegistryWalletChanged"):
                        self._see("approval voided by a wallet change")
                else:
                    self._see("failed execution retried")
            return
        new = after[0]
        executed_at = self.latest
        # No execution after expiry (the record's ETA and grace at the snapshot).
        assert executed_at <= m.expires_at(proposal), f"{pid} executed at {executed_at} after its expiry"
        if executed_at == m.expires_at(proposal):
            self._see("execution in the last second before expiry")
        # No payment to a wallet not on record at the snapshot.
        for event in events.get("pool", []):
            if event[0] != "EssProjectFunded":
                continue
            project = m.projects[event[1] - 1]
            on_record = project.wallet_at(proposal.snapshot)
            assert on_record is not None and event[2] == on_record[0], (
                f"{pid} paid {event[2]}; the wallet at the snapshot was {on_record}"
            )
            changes = [since for since, _, _ in project.history if proposal.snapshot < since <= executed_at]
            assert not changes, f"{pid} paid project {event[1]} whose wallet changed at {changes}"
            self.funded += event[3]
            self._see("ESS funding paid")
        for action in proposal.actions:
            self._see(f"executed: {action.signature.split('(')[0]}")
        self.model = new

    @rule(
        pick=PICK,
        who=st.sampled_from(["guardian", "guardian", "guardian", "former", "member"]),
        reason=PICK,
        replacement=st.sampled_from([False, False, True]),
    )
    def guardian_cancel(self, pick: int, who: str, reason: int, replacement: bool) -> None:
        """The guardian cancels a proposal not executed (pending, active, succeeded, queued,
        defeated), never one replacing it (tried on purpose a third of the time); a former
        guardian or a member cannot."""
        self._begin("guardian_cancel")
        m = self.model
        replacing = [p for p in self._proposals() if m.replaces_guardian(p.actions)]
        if replacement and replacing:
            proposal: ProposalRecord | None = self._pick(replacing, pick)
        else:
            proposal = self._prefer(
                pick, lambda p: self._state_next(p) in (PENDING, ACTIVE, SUCCEEDED, QUEUED)
            )
        if proposal is None:
            return
        candidates = {
            "guardian": m.guardian if m.guardian != ZERO else SECOND_GUARDIAN,
            "former": SECOND_GUARDIAN if m.guardian != SECOND_GUARDIAN else self.CTX.base.guardian,
            "member": self._person(pick),
        }
        self._guardian_cancel(candidates[who], proposal, reason)

    def _guardian_cancel(self, sender: str, proposal: ProposalRecord, reason_pick: int) -> None:
        m = self.model
        reason = REASONS[reason_pick % len(REASONS)]
        targets, values, datas = m.encoded(proposal.actions)
        data = calldata(
            "guardianCancel(address[],uint256[],bytes[],bytes32,string)",
            targets,
            values,
            datas,
            keccak(text=proposal.description),
            reason,
        )
        state = self._state_next(proposal)
        events = self._call(
            sender,
            "governor",
            data,
            lambda now: m.guardian_cancel(sender, proposal.actions, proposal.description, reason, now),
        )
        if events is not None:
            # The guardian never cancels the proposal replacing it.
            assert not m.replaces_guardian(proposal.actions), "the guardian cancelled its replacement"
            self._see(f"guardian cancelled a {STATE_NAMES[state]} proposal")
        elif sender != m.guardian:
            self._see("cancellation by a non-guardian refused")
        elif m.replaces_guardian(proposal.actions):
            self._see("guardian cancelling its replacement refused")
        else:
            self._see(f"guardian cancellation refused ({STATE_NAMES[state]})")

    @rule(
        who=st.sampled_from(["guardian", "guardian", "steward", "attester", "member"]),
        action=st.sampled_from(
            [
                "fund",
                "spend",
                "timelock_execute",
                "timelock_cancel",
                "set_guardian",
                "activate",
                "propose",
                "exclude",
            ]
        ),
        pick=PICK,
    )
    def overreach(self, who: str, action: str, pick: int) -> None:
        """The guardian (or the steward, an attester, a member) tries every power but cancelling:
        paying a project, spending the collective fund, executing or cancelling on the timelock,
        naming the guardian, switching a project on, proposing, excluding. All revert."""
        self._begin("overreach")
        m = self.model
        actor = {
            "guardian": m.guardian if m.guardian != ZERO else SECOND_GUARDIAN,
            "steward": self.CTX.steward,
            "attester": self.CTX.attester,
            "member": self._pick(m.active_members(), pick) if m.active_members() else self._person(pick),
        }[who]
        project = m.projects[pick % len(m.projects)] if m.projects else None
        project_id = 1 + pick % len(m.projects) if m.projects else 1
        wallet, version = (project.wallet, project.version) if project else (PAYOUT_WALLETS[0], 1)
        proposal = self._prefer(pick, lambda p: self._state_next(p) == QUEUED)
        label = f"{who} tried {action}"
        if action == "fund":
            data = calldata("fundEssProject(uint256,address,uint64,uint256)", project_id, wallet, version, 1)
            self._call(actor, "pool", data, lambda now: m.fund(actor, project_id, wallet, version, 1))
        elif action == "spend":
            if actor == self.CTX.steward:
                return
            data = calldata("spendCollective(address,uint256,string)", actor, 1, "x")
            self._call(actor, "pool", data, lambda now: _raise(Revert("RedistributionNotSteward", actor)))
        elif action in ("timelock_execute", "timelock_cancel"):
            if proposal is None:
                return
            targets, values, datas = m.encoded(proposal.actions)
            if action == "timelock_execute":
                data = calldata(
                    "executeBatch(address[],uint256[],bytes[],bytes32,bytes32)",
                    targets,
                    values,
                    datas,
                    ZERO32,
                    m.salt(proposal.description),
                )
                role = EXECUTOR_ROLE
            else:
                data = calldata("cancel(bytes32)", m.operation_id(proposal))
                role = CANCELLER_ROLE
            self._call(
                actor,
                "timelock",
                data,
                lambda now: _raise(Revert("AccessControlUnauthorizedAccount", actor, role)),
            )
        elif action == "set_guardian":
            data = calldata("setGuardian(address)", actor)
            self._call(actor, "governor", data, lambda now: _raise(Revert("GovernorOnlyExecutor", actor)))
        elif action == "activate":
            data = calldata("activateProject(uint256,uint64)", project_id, version)
            self._call(actor, "registry", data, lambda now: m.activate(actor, project_id, version))
        elif action == "propose":
            actions = self._actions("fund", pick, pick)
            if who == "member":
                return
            self._propose(actor, actions, self._description("fund", actor), "fund")
        else:
            target = self._pick(m.active_members(), pick) if m.active_members() else self._person(pick)
            self._exclude(actor, target)
        self._see(label)

    # -------------------------------------------------------------- the clock

    @rule(scale=TRAVEL, raw=PICK)
    def travel(self, scale: str, raw: int) -> None:
        """Time passes by seconds, minutes, hours, days or weeks (crossing probations, refill
        periods, invitation lives, voting delays and periods, the timelock delay, grace periods)."""
        self._begin("travel")
        low, high = {
            "seconds": (1, 59),
            "minutes": (60, 3_599),
            "hours": (3_600, 86_399),
            "days": (86_400, 6 * 86_400),
            "weeks": (7 * 86_400, 35 * 86_400),
        }[scale]
        self._travel_to(self.latest + low + raw % (high - low + 1), scale)

    def _milestones(self) -> list[tuple[int, str]]:
        """Every second at which something changes, still ahead."""
        m = self.model
        points: list[tuple[int, str]] = []
        for p in self._proposals():
            if p.executed_at or p.canceled_at:
                continue
            points += [
                (p.snapshot + 1, "voting opens"),
                (p.deadline, "last second of voting"),
                (p.deadline + 1, "voting closed"),
            ]
            if p.eta:
                points.append((p.eta, "ETA"))
            expiry = m.expires_at(p)
            points += [(expiry, "last second before expiry"), (expiry + 1, "expiry")]
        for member in m.members.values():
            points += [
                (member.votes_from - 1, "last second of probation"),
                (member.votes_from, "probation over"),
            ]
            if member.next_credit_at is not None:
                points.append((member.next_credit_at, "an invitation accrues"))
        for _, expires_at in m.invitations.values():
            points += [(expires_at - 1, "last second of an invitation"), (expires_at, "invitation expired")]
        return sorted(point for point in points if point[0] > self.latest + 1)

    @rule(pick=PICK)
    def travel_to_milestone(self, pick: int) -> None:
        """Time passes so that the next transaction falls exactly at a snapshot, deadline, ETA,
        expiry, end of probation, invitation refill or invitation expiry (or a second before)."""
        self._begin("travel_to_milestone")
        milestones = self._milestones()
        if milestones:
            timestamp, label = self._pick(milestones[:12], pick)
            self._next_tx_at(timestamp, label)

    # Three rules drive proposals through their life (Hypothesis's swarm testing switches rules
    # off per sequence: with three, most sequences keep one).
    @ADVANCE
    def advance(self, **kwargs: Any) -> None:
        """See `_advance`."""
        self._begin("advance")
        self._advance(**kwargs)

    @ADVANCE
    def advance_again(self, **kwargs: Any) -> None:
        """See `_advance`."""
        self._begin("advance")
        self._advance(**kwargs)

    @ADVANCE
    def advance_more(self, **kwargs: Any) -> None:
        """See `_advance`."""
        self._begin("advance")
        self._advance(**kwargs)

    def _advance(
        self,
        pick: int,
        support: int,
        moves: int,
        timing: str,
        kind: str,
        amount: int,
        disturb: str,
        disturb_at: int,
    ) -> None:
        """A proposal takes its next steps: voting opens, members past probation vote (mostly
        For) and one in probation too, voting closes, it is queued, its ETA comes, it is executed;
        an approval is acted on in time, in the last second of its grace period, or one second
        too late. On the way, its project's owner may change the payout wallet, the guardian
        cancel it, the timelock exclude one of its voters or switch its project off. With none
        under way, a member past probation proposes one."""
        live = (PENDING, ACTIVE, SUCCEEDED, QUEUED)
        if not any(self._state_next(p) in live for p in self._proposals()):
            m = self.model
            proposers = [a for a in m.active_members() if m.weight_at(a, self.latest)]
            if proposers:
                proposer = self._pick(proposers, pick)
                # Half of these pay a project: fundings are what the invariants guard most.
                kind = "fund" if amount % 2 else kind
                actions = self._actions(kind, pick, amount)
                self._propose(proposer, actions, self._description(kind, proposer), kind)
        proposal = self._prefer(pick, lambda p: self._state_next(p) in live)
        if proposal is None:
            return
        end = moves
        for move in range(12):
            if move >= end:
                return
            m = self.model
            proposal = m.proposals[proposal.proposal_id]
            if move == disturb_at and disturb != "none":
                self._disturb(proposal, disturb, pick)
                # See the disturbed proposal through: its approval is voided, or it never runs.
                end = max(end, move + 5)
                continue
            state = self._state_next(proposal)
            expiry = m.expires_at(proposal)
            if state == PENDING:
                self._next_tx_at(proposal.snapshot + 1, "voting opens")
            elif state == ACTIVE:
                voters = [
                    a
                    for a in m.active_members()
                    if m.weight_at(a, proposal.snapshot) and a not in proposal.votes
                ]
                # Three votes: a quorum at the floor (For, For, then For, Against or Abstain).
                for index, voter in enumerate(voters[:3]):
                    self._vote(voter, proposal, FOR if index < 2 else support % 3, "")
                newcomers = [
                    a
                    for a, r in m.members.items()
                    if r.votes_from > proposal.snapshot and a not in proposal.votes
                ]
                if newcomers and pick % 2:
                    self._vote(self._pick(newcomers, pick), proposal, FOR, REASONS[0])
                self._next_tx_at(proposal.deadline + 1, "voting closed")
            elif state in (SUCCEEDED, QUEUED) and timing != "on_time":
                if state == QUEUED and proposal.eta > self.latest + 1:
                    self._next_tx_at(proposal.eta, "ETA")
                    continue
                self._next_tx_at(
                    expiry + (1 if timing == "late" else 0), f"approval's {timing.replace('_', ' ')}"
                )
                if state == SUCCEEDED:
                    self._queue(self._person(pick + move), proposal)
                else:
                    self._execute(self._person(pick + move), proposal)
            elif state == SUCCEEDED:
                self._queue(self._person(pick + move), proposal)
            elif state == QUEUED and proposal.eta > self.latest + 1:
                self._next_tx_at(proposal.eta, "ETA")
            elif state == QUEUED and proposal.failed_executions:
                # A failed execution is not retried forever: past its expiry it is refused.
                self._next_tx_at(expiry + 1, "a failed approval's expiry")
                self._execute(self._person(pick + move), proposal)
                return
            elif state == QUEUED:
                self._execute(self._person(pick + move), proposal)
            else:
                return

    def _disturb(self, proposal: ProposalRecord, disturb: str, pick: int) -> None:
        """Something happens to a proposal under way (see `_advance`)."""
        m = self.model
        projects = [a.args[0] for a in proposal.actions if a.target in ("pool", "registry")]
        if disturb == "guardian":
            self._guardian_cancel(m.guardian if m.guardian != ZERO else SECOND_GUARDIAN, proposal, pick)
        elif disturb == "exclude_voter":
            voters = [v for v in proposal.votes if m.is_active(v) and v not in self.CTX.founders]
            if voters:
                self._exclude(m.timelock, self._pick(voters, pick))
                self._see("a voter excluded after voting")
        elif projects and 1 <= projects[0] <= len(m.projects):
            project_id = projects[0]
            record = m.projects[project_id - 1]
            if disturb == "wallet":
                wallet = self._pick([w for w in PAYOUT_WALLETS if w != record.wallet], pick)
                uri = f"{METADATA_URI}/v{self.latest}"
                digest = keccak(text=uri)
                data = calldata(
                    "updateProject(uint256,address,string,bytes32)", project_id, wallet, uri, digest
                )
                owner = record.owner
                events = self._call(
                    owner,
                    "registry",
                    data,
                    lambda now: m.update_project(owner, project_id, wallet, uri, digest, now),
                )
                if events is not None:
                    self._see(
                        f"payout wallet changed under its {STATE_NAMES[self._state_next(proposal)]} proposal"
                    )
            elif record.active:
                self._call(
                    m.timelock,
                    "registry",
                    calldata("deactivateProject(uint256)", project_id),
                    lambda now: m.deactivate(m.timelock, project_id),
                )
                self._see(
                    f"project switched off under its {STATE_NAMES[self._state_next(proposal)]} proposal"
                )

    # -------------------------------------------------------------- invariants

    def _checked_proposals(self, everything: bool) -> list[ProposalRecord]:
        """The proposals to read: all of them, or those not yet seen ended on chain (ended ones
        are read again every tenth step: they must stay as they ended)."""
        return [p for p in self._proposals() if everything or p.proposal_id not in self.ended]

    def _read(self, everything: bool = False) -> dict[str, Any]:
        """Every view the invariants compare, in one batched round trip."""
        m = self.model
        calls: list[tuple[str, str, bytes, list[str]]] = [
            ("pool_balance", "token", calldata("balanceOf(address)", self._address("pool")), ["uint256"]),
            ("totals", "pool", calldata("totals()"), ["uint256"] * 11),
            ("ess_available", "pool", calldata("essAvailable()"), ["uint256"]),
            ("collective_available", "pool", calldata("collectiveAvailable()"), ["uint256"]),
            ("members_available", "pool", calldata("membersAvailable()"), ["uint256"]),
            ("active_count", "membership", calldata("activeMemberCount()"), ["uint256"]),
            ("guardian", "governor", calldata("guardian()"), ["address"]),
            ("voting_delay", "governor", calldata("votingDelay()"), ["uint256"]),
            ("voting_period", "governor", calldata("votingPeriod()"), ["uint256"]),
            ("grace", "governor", calldata("approvalGracePeriod()"), ["uint256"]),
            ("project_count", "registry", calldata("projectCount()"), ["uint256"]),
        ]
        for account in self.people:
            calls += [
                (
                    f"member:{account}",
                    "membership",
                    calldata("memberOf(address)", account),
                    ["(address,uint48,uint8,uint16,uint48,uint48)"],
                ),
                (f"votes:{account}", "membership", calldata("getVotes(address)", account), ["uint256"]),
                (
                    f"available:{account}",
                    "membership",
                    calldata("invitationsAvailable(address)", account),
                    ["uint256", "uint256"],
                ),
                (
                    f"attestation:{account}",
                    "membership",
                    calldata("attestationOf(address)", account),
                    ["address"],
                ),
            ]
        for attester in (self.CTX.attester, SECOND_ATTESTER):
            calls.append(
                (f"attester:{attester}", "membership", calldata("isAttester(address)", attester), ["bool"])
            )
        for invitee, sponsor in sorted(m.invitation_pairs):
            calls.append(
                (
                    f"invitation:{invitee}:{sponsor}",
                    "membership",
                    calldata("invitationOf(address,address)", invitee, sponsor),
                    ["(address,uint8,uint48)"],
                )
            )
        for project_id in range(1, len(m.projects) + 1):
            calls.append(
                (
                    f"project:{project_id}",
                    "registry",
                    calldata("payoutOf(uint256)", project_id),
                    ["address", "bool", "uint64"],
                )
            )
        for wallet in [*PAYOUT_WALLETS, self.CTX.base.guardian, SECOND_GUARDIAN]:
            calls.append((f"balance:{wallet}", "token", calldata("balanceOf(address)", wallet), ["uint256"]))
        for p in self._checked_proposals(everything):
            pid = p.proposal_id
            calls += [
                (f"state:{pid}", "governor", calldata("state(uint256)", pid), ["uint8"]),
                (f"tally:{pid}", "governor", calldata("proposalVotes(uint256)", pid), ["uint256"] * 3),
                (
                    f"times:{pid}:snapshot",
                    "governor",
                    calldata("proposalSnapshot(uint256)", pid),
                    ["uint256"],
                ),
                (
                    f"times:{pid}:deadline",
                    "governor",
                    calldata("proposalDeadline(uint256)", pid),
                    ["uint256"],
                ),
                (f"times:{pid}:eta", "governor", calldata("proposalEta(uint256)", pid), ["uint256"]),
                (
                    f"times:{pid}:expires",
                    "governor",
                    calldata("proposalExpiresAt(uint256)", pid),
                    ["uint256"],
                ),
                (f"proposer:{pid}", "governor", calldata("proposalProposer(uint256)", pid), ["address"]),
                (
                    f"operation:{pid}",
                    "timelock",
                    calldata("getTimestamp(bytes32)", m.operation_id(p)),
                    ["uint256"],
                ),
            ]
            # A snapshot's past is fixed: read it once it passed, and again with everything.
            if p.snapshot < self.latest and (everything or pid not in self.snapshots_read):
                calls.append(
                    (f"quorum:{pid}", "governor", calldata("quorum(uint256)", p.snapshot), ["uint256"])
                )
                calls.append(
                    (
                        f"supply:{pid}",
                        "membership",
                        calldata("getPastTotalSupply(uint256)", p.snapshot),
                        ["uint256"],
                    )
                )
                calls += [
                    (
                        f"past:{pid}:{a}",
                        "membership",
                        calldata("getPastVotes(address,uint256)", a, p.snapshot),
                        ["uint256"],
                    )
                    for a in self.people
                ]
            for voter in p.votes:
                calls.append(
                    (
                        f"voted:{pid}:{voter}",
                        "governor",
                        calldata("hasVoted(uint256,address)", pid, voter),
                        ["bool"],
                    )
                )
        results = self.node.rpc.batch(
            [("eth_getBlockByNumber", ["latest", False])]
            + [
                ("eth_call", [{"to": self._address(t), "data": "0x" + d.hex()}, "latest"])
                for _, t, d, _ in calls
            ]
        )
        reading: dict[str, Any] = {"now": int(results[0]["timestamp"], 16)}
        for (label, _, _, types), raw in zip(calls, results[1:], strict=True):
            reading[label] = decode_static(types, raw)
        return reading

    def _invariants(self, everything: bool = False) -> None:
        m = self.model
        r = self._read(everything)
        now = r["now"]
        assert now == self.latest, f"the latest block is at {now}, the test expected {self.latest}"
        previous, self.previous = self.previous, r

        # Members, votes and invitations: as the record says, never more than the cap.
        assert r["active_count"] == len(m.active_members())
        for account in self.people:
            member = m.members.get(account)
            if member is None:
                assert r[f"member:{account}"] == (ZERO, 0, 0, 0, 0, 0), f"{account} is no member"
            else:
                expected = (
                    member.sponsor,
                    member.joined_at,
                    member.kind,
                    member.sent,
                    member.excluded_at,
                    member.votes_from,
                )
                assert r[f"member:{account}"] == expected, f"record of {account}"
            assert r[f"votes:{account}"] == m.weight_at(account, now), f"votes of {account} at {now}"
            available = r[f"available:{account}"]
            assert available == m.invitations_available(account, now), f"invitations of {account}"
            assert available[0] <= m.invitation_cap, f"{account} holds {available[0]} invitations"
            assert r[f"attestation:{account}"] == m.attestations.get(account, ZERO)
        for attester in (self.CTX.attester, SECOND_ATTESTER):
            assert r[f"attester:{attester}"] == m.attesters.get(attester, False)
        for invitee, sponsor in m.invitation_pairs:
            invitation = m.invitations.get((invitee, sponsor))
            expected_invitation = (
                (ZERO, 0, 0) if invitation is None else (sponsor, invitation[0], invitation[1])
            )
            assert r[f"invitation:{invitee}:{sponsor}"] == expected_invitation, (
                f"invitation of {invitee} by {sponsor}"
            )

        # Projects.
        assert r["project_count"] == len(m.projects)
        for project_id, project in enumerate(m.projects, start=1):
            assert r[f"project:{project_id}"] == (project.wallet, project.active, project.version)

        # The pool: its books are the pool model's; its balance is the three buckets exactly.
        assert r["totals"] == m.pool.totals(now), f"totals {r['totals']} != {m.pool.totals(now)}"
        assert r["ess_available"] == m.pool.ess_available
        assert r["collective_available"] == m.pool.collective_available
        assert r["members_available"] == m.pool.members_available
        assert r["pool_balance"] == r["ess_available"] + r["collective_available"] + r["members_available"]
        assert r["pool_balance"] == m.pool.balance
        assert r["totals"][5] == sum(amount for _, _, amount in m.fundings) == m.pool.ess_disbursed
        for wallet in PAYOUT_WALLETS:
            assert r[f"balance:{wallet}"] == m.token_balances.get(wallet, 0), f"paid to {wallet}"
        for guardian in (self.CTX.base.guardian, SECOND_GUARDIAN):
            assert r[f"balance:{guardian}"] == 0, "the guardian holds tokens"
        if previous is not None:
            # Only the timelock moves ESS money: what left the bucket this step is what funding
            # proposals executed through the Governor paid (EssProjectFunded).
            disbursed = r["totals"][5] - previous["totals"][5]
            assert disbursed == self.funded, (
                f"{self.step}: {disbursed} left the ESS bucket, {self.funded} funded"
            )

        # The Governor.
        assert r["guardian"] == m.guardian
        assert (r["voting_delay"], r["voting_period"]) == (m.voting_delay, m.voting_period)
        assert r["grace"] == m.grace_history[-1][1]
        for p in self._checked_proposals(everything):
            pid = p.proposal_id
            state = m.state(p, now)
            on_chain = STATE_NAMES[r[f"state:{pid}"]]
            assert r[f"state:{pid}"] == state, (
                f"proposal {p.kind} {pid}: {on_chain} on chain, {STATE_NAMES[state]} on record"
            )
            assert r[f"tally:{pid}"] == p.tally(), f"votes of {pid}"
            assert r[f"times:{pid}:snapshot"] == p.snapshot and r[f"times:{pid}:deadline"] == p.deadline
            assert r[f"times:{pid}:eta"] == p.eta
            assert r[f"times:{pid}:expires"] == m.expires_at(p)
            assert r[f"proposer:{pid}"] == p.proposer
            if f"quorum:{pid}" in r:
                # Every vote at the snapshot: 1 only past probation and before exclusion; the
                # quorum's base counts every member, probation included.
                self.snapshots_read.add(pid)
                assert r[f"quorum:{pid}"] == m.quorum_at(p.snapshot), f"quorum of {pid}"
                assert r[f"supply:{pid}"] == m.members_at(p.snapshot)
                for account in self.people:
                    assert r[f"past:{pid}:{account}"] == m.weight_at(account, p.snapshot), (
                        f"{account} at {p.snapshot}"
                    )
            for voter in p.votes:
                assert r[f"voted:{pid}:{voter}"], f"{voter} voted on {pid}"
            operation = r[f"operation:{pid}"]
            if p.executed_at:
                assert operation == 1
            elif p.eta and not p.canceled_at:
                assert operation == p.eta
            else:
                assert operation == 0
            # Every approval past its expiry reads Expired, for good.
            approved = p.eta or (now > p.deadline and m.approved(p))
            if approved and not p.executed_at and not p.canceled_at and now > m.expires_at(p):
                assert state == EXPIRED
            if state in (CANCELED, DEFEATED, EXPIRED, EXECUTED):
                self.ended.add(pid)
            seen = self.seen_states.get(pid)
            if seen != state:
                self.seen_states[pid] = state
                if state == EXPIRED:
                    self._see("approval expired " + ("once queued" if p.eta else "unqueued"))
                elif state == DEFEATED:
                    quorum_reached = m.quorum_at(p.snapshot) <= p.tally()[1] + p.tally()[2]
                    self._see("proposal defeated (" + ("majority" if quorum_reached else "no quorum") + ")")
                elif state == SUCCEEDED:
                    self._see("proposal succeeded")
                elif state == CANCELED and p.canceled_by_guardian:
                    self._see("proposal cancelled by the guardian")
                elif state == EXECUTED:
                    self._see("proposal executed")
        # The guardian never cancelled the proposal replacing it.
        for p in self._proposals():
            if p.canceled_by_guardian:
                assert not m.replaces_guardian(p.actions)

    @invariant()
    def invariants_hold(self) -> None:
        """Every invariant, and every view against the record."""
        self._invariants(everything=self.steps_run % 10 == 0)


def _raise(error: Exception) -> Events:
    raise error


# ---------------------------------------------------------------------- the test


def _prepare(
    system: Deployment,
    accounts: Any,
    chain: Any,
    settings: NetworkSettings,
    guardian: Any,
    attester: Any,
    steward: Any,
) -> Context:
    """Fund and unlock every actor, make every block one second after the previous one, start
    at an epoch boundary (so every run sees the same epochs), and record the deployed system."""
    url = chain.provider.web3.provider.endpoint_uri
    contracts = {
        "governor": system.governor,
        "timelock": system.timelock,
        "membership": system.membership,
        "registry": system.registry,
        "pool": system.pool,
        "token": system.token,
    }
    abi = Abi({label: (str(c.address), c.contract_type) for label, c in contracts.items()})
    node = Node(Rpc(url), abi)
    addresses = {label: str(c.address).lower() for label, c in contracts.items()}
    founders = [str(accounts[i].address).lower() for i in (1, 2, 3)]
    people = founders + [str(accounts[i].address).lower() for i in range(5, 10)] + EXTRA_PEOPLE
    guardian_address, attester_address = str(guardian.address).lower(), str(attester.address).lower()
    steward_address = str(steward.address).lower()
    actors = [
        *people,
        guardian_address,
        SECOND_GUARDIAN,
        attester_address,
        SECOND_ATTESTER,
        steward_address,
        addresses["timelock"],
    ]
    node.rpc.request("anvil_setBlockTimestampInterval", [1])
    for address in actors:
        node.rpc.request("anvil_impersonateAccount", [to_checksum_address(address)])
        node.rpc.request("anvil_setBalance", [address, hex(10**24)])
    for address in people:
        node.transact(address, addresses["token"], calldata("mint(address,uint256)", address, WALLET_FUNDS))
        node.transact(
            address, addresses["token"], calldata("approve(address,uint256)", addresses["pool"], UINT256_MAX)
        )

    def view(label: str, signature: str, types: list[str], *args: Any) -> Any:
        raw = node.rpc.request(
            "eth_call", [{"to": addresses[label], "data": "0x" + calldata(signature, *args).hex()}, "latest"]
        )
        return decode_static(types, raw)

    # The system as deployed: nothing received, no project, the guardian and attester named.
    assert view("pool", "totals()", ["uint256"] * 11)[:7] == (0,) * 7
    assert view("registry", "projectCount()", ["uint256"]) == 0
    assert view("governor", "guardian()", ["address"]) == guardian_address
    assert view("membership", "isAttester(address)", ["bool"], attester_address)
    assert view("membership", "rules()", ["(uint48,uint48,uint16,uint48)"]) == settings.membership_rules()
    first = node.rpc.request(
        "eth_getLogs",
        [{"address": addresses["pool"], "fromBlock": hex(system.deployment_block), "toBlock": "latest"}],
    )[0]
    origin = int(node.rpc.request("eth_getBlockByNumber", [first["blockNumber"], False])["timestamp"], 16)
    pool = PoolModel.from_settings(settings, origin)
    model = GovernanceModel(
        addresses=addresses,
        probation=settings.probation,
        refill_period=settings.invitation_refill_period,
        invitation_cap=settings.invitation_cap,
        invitation_ttl=settings.invitation_ttl,
        timelock_delay=settings.timelock_delay,
        voting_delay=settings.voting_delay,
        voting_period=settings.voting_period,
        quorum_percent=settings.quorum_percent,
        quorum_floor=settings.quorum_floor,
        pool=pool,
        guardian=guardian_address,
        grace_history=[(0, settings.approval_grace_period)],
        attesters={attester_address: True},
    )
    for account, kind in zip(founders, (0, 1, 2), strict=True):
        sponsor, joined_at, recorded_kind, _, excluded_at, votes_from = view(
            "membership", "memberOf(address)", ["(address,uint48,uint8,uint16,uint48,uint48)"], account
        )
        assert (sponsor, recorded_kind, excluded_at, votes_from) == (ZERO, kind, 0, joined_at)
        model.add_founder(account, kind, joined_at)
    # Start one second before an epoch begins: the first step's transaction opens it.
    latest = node.latest()
    length = settings.epoch_length
    node.mine_at(origin + ((latest + 2 - origin) // length + 1) * length - 1)
    return Context(
        node=node,
        chain=chain,
        people=people,
        founders=founders,
        steward=steward_address,
        attester=attester_address,
        base=model,
        min_fee=settings.min_relation_fee,
    )


@pytest.mark.skipif(EXAMPLES <= 0 or STEPS <= 0, reason="CMIR_GOVERNANCE_EXAMPLES/STEPS set to 0")
def test_governance_invariants_hold_over_random_sequences(
    system: Deployment,
    accounts: Any,
    chain: Any,
    settings: NetworkSettings,
    guardian: Any,
    attester: Any,
    steward: Any,
    request: pytest.FixtureRequest,
) -> None:
    """Random sequences of governance actions never break an invariant of issue 11."""
    if not request.config.pluginmanager.has_plugin("cmir-governance-summary"):
        request.config.pluginmanager.register(_SummaryPlugin(), "cmir-governance-summary")
    GovernanceMachine.CTX = _prepare(system, accounts, chain, settings, guardian, attester, steward)
    started = time.monotonic()
    try:
        run_state_machine_as_test(GovernanceMachine, settings=_hypothesis_settings(), _min_steps=STEPS)
    finally:
        STATS.seconds += time.monotonic() - started
        GovernanceMachine.CTX.node.rpc.request("anvil_removeBlockTimestampInterval", [])


def _hypothesis_settings() -> Any:
    """Sizes from the environment; derandomized (the same sequences every run); no deadline."""
    return hypothesis_settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
    )
