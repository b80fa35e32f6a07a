"""The membership contract replayed from its events alone (contracts/Membership.sol): each
member's record (``memberOf``) and invitation allowance (``invitationsAvailable``), each
invitation and how it ended (``invitationOf``), the attesters (``isAttester``) and their
attestations (``attestationOf``). The resources compare this replay with the views at the block
(a disagreement is a chain-side problem) and the API with both."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cmir.audit.chain import Event
from cmir.audit.resources.records import ZERO

UINT16_MAX = 2**16 - 1
EVENTS = (
    "MembershipRulesChanged",
    "MemberJoined",
    "MemberExcluded",
    "MemberInvited",
    "InvitationRevoked",
    "AttesterChanged",
    "EssStructureAttested",
)


@dataclass(frozen=True)
class Rules:
    """The admission rules in force (``rules()``)."""

    probation: int
    period: int
    cap: int
    ttl: int

    @classmethod
    def of(cls, rules: Mapping[str, Any]) -> Rules:
        """The contract's ``Rules`` struct (``rules()``, ``MembershipRulesChanged.newRules``)."""
        return cls(
            int(rules["probation"]),
            int(rules["invitationRefillPeriod"]),
            int(rules["invitationCap"]),
            int(rules["invitationTtl"]),
        )

    def settings(self) -> dict[str, int]:
        """The rules as ``/governance/settings`` names them."""
        return {
            "probation": self.probation,
            "invitation_refill_period": self.period,
            "invitation_cap": self.cap,
            "invitation_ttl": self.ttl,
        }


def credits(anchor: int, rules: Rules, now: int) -> tuple[int, int]:
    """Invitations available at `now` from `anchor` and when the next accrues, 0 at the cap
    (``Membership._credits``)."""
    if now < anchor:
        return 0, anchor + rules.period
    available = (now - anchor) // rules.period
    if available >= rules.cap:
        return rules.cap, 0
    return available, anchor + (available + 1) * rules.period


@dataclass
class Member:
    """A member as its events made it."""

    address: str
    joined: Event  # MemberJoined
    excluded: Event | None = None  # MemberExcluded
    invitations_sent: int = 0
    anchor: int = 0  # the allowance's private anchor (Record.invitationAnchor)

    @property
    def kind(self) -> int:
        """Its kind's index."""
        return int(self.joined.args["kind"])

    @property
    def sponsor(self) -> str | None:
        """Its sponsor (None for founders and admissions without one)."""
        sponsor = str(self.joined.args["sponsor"])
        return None if sponsor == ZERO else sponsor

    @property
    def joined_at(self) -> int:
        """``joinedAt``."""
        return int(self.joined.args["joinedAt"])

    @property
    def votes_from(self) -> int:
        """``votesFrom``: the end of its probation."""
        return int(self.joined.args["votesFrom"])

    @property
    def excluded_at(self) -> int | None:
        """``excludedAt`` (None while active)."""
        return None if self.excluded is None else int(self.excluded.args["excludedAt"])

    @property
    def active(self) -> bool:
        """Not excluded."""
        return self.excluded is None

    @property
    def status(self) -> str:
        """``active`` or ``excluded``, as the API names it."""
        return "active" if self.active else "excluded"

    def view(self) -> dict[str, object]:
        """What ``memberOf`` must return."""
        return {
            "sponsor": self.sponsor or ZERO,
            "joinedAt": self.joined_at,
            "kind": self.kind,
            "invitationsSent": self.invitations_sent,
            "excludedAt": self.excluded_at or 0,
            "votesFrom": self.votes_from,
        }


@dataclass
class Invitation:
    """One MemberInvited and how it ended: accepted, revoked, or renewed (the same sponsor
    invited the same invitee again once it had expired); None while the chain keeps it."""

    event: Event
    closed: str | None = None
    closed_by: Event | None = None
    revoked_by: str | None = None

    @property
    def invitee(self) -> str:
        """The invited account."""
        return str(self.event.args["invitee"])

    @property
    def sponsor(self) -> str:
        """The inviting member."""
        return str(self.event.args["sponsor"])

    @property
    def expires_at(self) -> int:
        """When it can no longer be accepted."""
        return int(self.event.args["expiresAt"])

    def status(self, now: int, members: dict[str, Member]) -> str:
        """Its status at `now` as the API defines it: closed ones by how they closed; an open one
        expired from `expires_at`, lapsed once its invitee joined otherwise or its sponsor was
        excluded, live otherwise."""
        if self.closed is not None:
            return self.closed
        if now >= self.expires_at:
            return "expired"
        sponsor = members.get(self.sponsor)
        if self.invitee in members or (sponsor is not None and not sponsor.active):
            return "lapsed"
        return "live"


@dataclass
class Attester:
    """An account governance named an attester, or no longer."""

    address: str
    allowed: bool
    changed: Event  # the last AttesterChanged
    attestations: int = 0


@dataclass
class Roster:
    """The membership contract's state replayed up to the audited block."""

    members: dict[str, Member] = field(default_factory=dict)  # in joining order
    invitations: list[Invitation] = field(default_factory=list)  # in chain order
    open: dict[tuple[str, str], Invitation] = field(default_factory=dict)  # (invitee, sponsor)
    attesters: dict[str, Attester] = field(default_factory=dict)
    attestations: list[Event] = field(default_factory=list)
    rules: Rules | None = None
    active: int = 0
    problems: list[str] = field(default_factory=list)

    def _problem(self, event: Event, text: str) -> None:
        self.problems.append(f"{event.name} in tx {event.tx_hash} (log {event.log_index}): {text}")

    def read(self, event: Event) -> None:
        """Apply one event of the membership contract."""
        a, now = event.args, int(event.timestamp or 0)
        if event.name == "MembershipRulesChanged":
            self.rules = Rules.of(a["newRules"])
        elif event.name == "MemberJoined":
            self._join(event)
        elif event.name == "MemberExcluded":
            member = self.members.get(a["member"])
            if member is None:
                self._problem(event, "excludes an account that never joined")
                return
            member.excluded = event
            self.active -= 1
        elif event.name == "MemberInvited":
            self._invite(event, now)
        elif event.name == "InvitationRevoked":
            self._revoke(event)
        elif event.name == "AttesterChanged":
            attester = self.attesters.get(a["attester"])
            if attester is None:
                self.attesters[a["attester"]] = Attester(a["attester"], bool(a["allowed"]), event)
            else:
                attester.allowed, attester.changed = bool(a["allowed"]), event
        elif event.name == "EssStructureAttested":
            self.attestations.append(event)
            attester = self.attesters.get(a["attester"])
            if attester is None or not attester.allowed:
                self._problem(event, f"{a['attester']} attested without being an attester")
            else:
                attester.attestations += 1

    def _join(self, event: Event) -> None:
        a = event.args
        who, sponsor, now = a["member"], a["sponsor"], int(a["joinedAt"])
        if who in self.members:
            self._problem(event, f"{who} joined twice")
            return
        member = Member(who, event)
        founder = not a["byGovernance"] and sponsor == ZERO
        if self.rules is not None:
            full = self.rules.cap * self.rules.period
            member.anchor = (now - full if now > full else 0) if founder else int(a["votesFrom"])
        self.members[who] = member
        self.active += 1
        if not a["byGovernance"] and not founder:
            # An accepted invitation: the chain deletes it.
            invitation = self.open.pop((who, sponsor), None)
            if invitation is None:
                self._problem(event, f"{who} joined without an invitation from {sponsor}")
            else:
                invitation.closed, invitation.closed_by = "accepted", event

    def _invite(self, event: Event, now: int) -> None:
        a = event.args
        sponsor = self.members.get(a["sponsor"])
        if sponsor is None or self.rules is None:
            self._problem(event, "an invitation from an account that is not a member")
            return
        if sponsor.invitations_sent < UINT16_MAX:
            sponsor.invitations_sent += 1
        rules = self.rules
        available, _ = credits(sponsor.anchor, rules, now)
        if available == 0:
            self._problem(event, f"{sponsor.address} had no invitation left")
        sponsor.anchor = (
            now - (rules.cap - 1) * rules.period if available >= rules.cap else sponsor.anchor + rules.period
        )
        if int(a["expiresAt"]) != now + rules.ttl:
            self._problem(
                event, f"expiresAt {a['expiresAt']} != block time {now} + invitationTtl {rules.ttl}"
            )
        pair = (a["invitee"], a["sponsor"])
        previous = self.open.get(pair)
        if previous is not None:  # an expired one, renewed (the chain keeps one per pair)
            previous.closed, previous.closed_by = "renewed", event
        invitation = Invitation(event)
        self.invitations.append(invitation)
        self.open[pair] = invitation

    def _revoke(self, event: Event) -> None:
        a = event.args
        invitation = self.open.pop((a["invitee"], a["sponsor"]), None)
        if invitation is None:
            self._problem(event, "revokes no invitation")
        else:
            invitation.closed, invitation.closed_by = "revoked", event
            invitation.revoked_by = a["revokedBy"]
        sponsor = self.members.get(a["sponsor"])
        if sponsor is not None and self.rules is not None:
            # The sponsor gets the invitation back: its allowance accrues one period earlier.
            period = self.rules.period
            sponsor.anchor = sponsor.anchor - period if sponsor.anchor > period else 0
            if sponsor.invitations_sent > 0:
                sponsor.invitations_sent -= 1

    def available(self, member: Member, now: int) -> tuple[int, int]:
        """What ``invitationsAvailable(member)`` must return at `now`."""
        if not member.active or self.rules is None:
            return 0, 0
        return credits(member.anchor, self.rules, now)

    def latest_attester(self) -> dict[str, str]:
        """``attestationOf``: each attested account's latest attester."""
        return {str(e.args["account"]): str(e.args["attester"]) for e in self.attestations}


def replay(events: list[Event]) -> Roster:
    """The roster from the membership contract's events, in chain order."""
    roster = Roster()
    for event in events:
        roster.read(event)
    return roster
