"""Admission to Membership, made slow and visible: the probation before a newcomer votes and
invites, the invitation allowance that refills over time up to a cap, invitations per (invitee,
sponsor) that expire and that governance may revoke, ESS structures attested by a governed
attester, and the bounded admission rules. The chain clock is stopped (the `clock` fixture) in
every test that depends on time: each one moves it to the second it checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from cmir.chain.deploy import MEMBER_KINDS as KIND
from cmir.chain.deploy import ZERO_ADDRESS
from tests.contracts.chain_clock import ChainClock
from tests.contracts.membership_checks import fresh_address, joined_events, member_record, token_id
from tests.contracts.strict_checks import emitted, log, reverts

HOUR = 3_600
DAY = 86_400
YEAR = 365 * DAY


@dataclass(frozen=True)
class Rules:
    """The admission rules in force (Membership.rules())."""

    probation: int
    refill: int
    cap: int
    ttl: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        """The Solidity struct as a tuple."""
        return (self.probation, self.refill, self.cap, self.ttl)


@pytest.fixture
def rules(membership: Any) -> Rules:
    """The deployment's admission rules (local settings: a minute of probation, one invitation a
    minute up to ten, an invitation lives an hour)."""
    probation, refill, cap, ttl = membership.rules()
    return Rules(int(probation), int(refill), int(cap), int(ttl))


@pytest.fixture
def second_invitee(accounts: Any) -> Any:
    """Another account that is not a member yet."""
    return accounts[7]


def set_rules(membership: Any, governance: Any, rules: Rules, **changes: int) -> Rules:
    """Governance changes some of the admission rules; returns the new rules."""
    new = Rules(**{**rules.__dict__, **changes})
    membership.setRules(new.as_tuple(), sender=governance)
    return new


# --------------------------------------------------------------------------- probation


def test_an_invited_member_votes_only_from_the_end_of_its_probation(
    clock: ChainClock, membership: Any, admin: Any, invitee: Any, rules: Rules
) -> None:
    membership.invite(invitee, KIND["Abeille"], sender=admin)

    receipt = membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)

    joined_at = receipt.timestamp
    votes_from = joined_at + rules.probation
    assert emitted(receipt) == joined_events(
        membership, invitee, admin, KIND["Abeille"], joined_at, 0, False, votes_from
    )
    assert membership.memberOf(invitee).votesFrom == votes_from
    assert membership.getVotes(invitee) == 0
    clock.travel_to(votes_from - 1)
    assert membership.getVotes(invitee) == 0
    clock.travel_to(votes_from)
    assert membership.getVotes(invitee) == 1
    clock.travel(1)
    assert membership.getPastVotes(invitee, joined_at) == 0
    assert membership.getPastVotes(invitee, votes_from - 1) == 0
    assert membership.getPastVotes(invitee, votes_from) == 1


def test_a_member_admitted_by_governance_serves_the_same_probation(
    clock: ChainClock, membership: Any, governance: Any, member: Any, invitee: Any, rules: Rules
) -> None:
    receipt = membership.admit(invitee, KIND["Pilote"], member, sender=governance)

    joined_at = receipt.timestamp
    votes_from = joined_at + rules.probation
    assert emitted(receipt) == joined_events(
        membership, invitee, member, KIND["Pilote"], joined_at, 0, True, votes_from
    )
    clock.travel_to(votes_from - 1)
    assert membership.getVotes(invitee) == 0
    with reverts(membership.MembershipInProbation, member=invitee, votesFrom=votes_from):
        membership.invite(fresh_address("newcomer"), KIND["Abeille"], sender=invitee)
    clock.travel_to(votes_from)
    assert membership.getVotes(invitee) == 1
    clock.travel(1)
    assert membership.getPastVotes(invitee, votes_from - 1) == 0
    assert membership.getPastVotes(invitee, votes_from) == 1


def test_founders_vote_and_invite_from_the_start(
    membership: Any, admin: Any, member: Any, ess_member: Any, rules: Rules
) -> None:
    for founder in (admin, member, ess_member):
        record = membership.memberOf(founder)
        assert record.votesFrom == record.joinedAt
        assert membership.getPastVotes(founder, record.joinedAt) == 1
        assert membership.invitationsAvailable(founder) == (rules.cap, 0)


def test_a_probation_change_applies_to_later_joiners_only(
    clock: ChainClock,
    membership: Any,
    governance: Any,
    join: Callable[..., None],
    admin: Any,
    invitee: Any,
    second_invitee: Any,
    rules: Rules,
) -> None:
    join(admin, invitee)
    first_votes_from = clock.now + rules.probation
    set_rules(membership, governance, rules, probation=DAY)
    membership.invite(second_invitee, KIND["Abeille"], sender=admin)

    receipt = membership.acceptInvitation(admin, KIND["Abeille"], sender=second_invitee)

    at = receipt.timestamp
    assert emitted(receipt) == joined_events(
        membership, second_invitee, admin, KIND["Abeille"], at, 0, False, at + DAY
    )
    assert membership.memberOf(invitee).votesFrom == first_votes_from  # not lengthened
    set_rules(membership, governance, rules, probation=0)
    assert membership.memberOf(second_invitee).votesFrom == at + DAY  # nor shortened
    clock.travel_to(first_votes_from)
    assert (membership.getVotes(invitee), membership.getVotes(second_invitee)) == (1, 0)
    clock.travel_to(at + DAY)
    assert (membership.getVotes(invitee), membership.getVotes(second_invitee)) == (1, 1)


def test_without_probation_a_newcomer_votes_from_joining_without_a_votes_event(
    clock: ChainClock, membership: Any, governance: Any, admin: Any, invitee: Any, rules: Rules
) -> None:
    set_rules(membership, governance, rules, probation=0)
    membership.invite(invitee, KIND["Abeille"], sender=admin)

    receipt = membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)

    at = receipt.timestamp
    assert emitted(receipt) == joined_events(membership, invitee, admin, KIND["Abeille"], at, 0, False, at)
    assert membership.getVotes(invitee) == 1


def test_a_member_in_probation_cannot_invite(
    clock: ChainClock, membership: Any, join: Callable[..., None], admin: Any, invitee: Any, rules: Rules
) -> None:
    join(admin, invitee)
    votes_from = clock.now + rules.probation
    newcomer = fresh_address("newcomer")

    with reverts(membership.MembershipInProbation, member=invitee, votesFrom=votes_from):
        membership.invite(newcomer, KIND["Abeille"], sender=invitee)
    clock.travel_to(votes_from - 1)
    with reverts(membership.MembershipInProbation, member=invitee, votesFrom=votes_from):
        membership.invite(newcomer, KIND["Abeille"], sender=invitee)
    clock.travel_to(votes_from)
    # Past probation, it has yet to earn its first invitation.
    with reverts(membership.MembershipNoInvitationLeft, sponsor=invitee, nextAt=votes_from + rules.refill):
        membership.invite(newcomer, KIND["Abeille"], sender=invitee)


def test_a_member_excluded_during_probation_never_votes(
    clock: ChainClock,
    membership: Any,
    pool: Any,
    governance: Any,
    join: Callable[..., None],
    admin: Any,
    invitee: Any,
    rules: Rules,
) -> None:
    join(admin, invitee)
    joined_at = clock.now
    count = membership.activeMemberCount()
    excluded_at = clock.travel(rules.probation // 2)

    receipt = membership.exclude(invitee, "sybil", sender=governance)

    # Its vote never counted: no DelegateVotesChanged.
    assert emitted(receipt) == [
        log(membership.MemberExcluded, member=invitee, excludedAt=excluded_at, reason="sybil"),
        log(membership.Transfer, **{"from": invitee, "to": ZERO_ADDRESS, "tokenId": token_id(invitee)}),
        log(
            pool.MemberRewardsFrozen,
            member=invitee,
            maturedRemoved=0,
            pendingRemoved=0,
            accrued=0,
            rewardPerPoint=pool.totals().rewardPerPoint,
        ),
    ]
    votes_from = joined_at + rules.probation
    clock.travel_to(votes_from + 1)
    assert membership.getVotes(invitee) == 0
    assert membership.getPastVotes(invitee, votes_from) == 0
    assert membership.memberOf(invitee) == member_record(
        admin, joined_at, KIND["Abeille"], 0, excluded_at, votes_from
    )
    assert membership.getPastTotalSupply(excluded_at - 1) == count
    assert membership.getPastTotalSupply(excluded_at) == count - 1


def test_past_total_supply_counts_members_in_probation(
    clock: ChainClock,
    membership: Any,
    join: Callable[..., None],
    admin: Any,
    member: Any,
    ess_member: Any,
    invitee: Any,
    second_invitee: Any,
) -> None:
    count = membership.activeMemberCount()
    join(admin, invitee)
    join(member, second_invitee)
    joined_at = clock.now
    clock.travel(1)

    # The quorum's base counts them (joining fast raises the bar); their votes do not count yet.
    assert membership.getPastTotalSupply(joined_at) == count + 2
    voters = [admin, member, ess_member, invitee, second_invitee]
    assert sum(membership.getPastVotes(account, joined_at) for account in voters) == count


# --------------------------------------------------------------------------- the refilling allowance


def test_a_new_member_earns_one_invitation_per_refill_period_after_probation(
    clock: ChainClock, membership: Any, join: Callable[..., None], admin: Any, invitee: Any, rules: Rules
) -> None:
    join(admin, invitee)
    votes_from = clock.now + rules.probation

    assert membership.invitationsAvailable(invitee) == (0, votes_from + rules.refill)
    clock.travel_to(votes_from)
    assert membership.invitationsAvailable(invitee) == (0, votes_from + rules.refill)
    clock.travel_to(votes_from + rules.refill - 1)
    assert membership.invitationsAvailable(invitee) == (0, votes_from + rules.refill)
    clock.travel_to(votes_from + rules.refill)
    assert membership.invitationsAvailable(invitee) == (1, votes_from + 2 * rules.refill)
    clock.travel_to(votes_from + 2 * rules.refill + rules.refill // 2)
    assert membership.invitationsAvailable(invitee) == (2, votes_from + 3 * rules.refill)


def test_invite_reverts_when_no_invitation_is_left(
    clock: ChainClock,
    membership: Any,
    join: Callable[..., None],
    serve_probation: Callable[..., None],
    admin: Any,
    invitee: Any,
    rules: Rules,
) -> None:
    join(admin, invitee)
    serve_probation(invitee, invitations=1)
    earned_at = int(membership.memberOf(invitee).votesFrom) + rules.refill

    receipt = membership.invite(fresh_address("first"), KIND["Abeille"], sender=invitee)

    assert emitted(receipt) == [
        log(
            membership.MemberInvited,
            sponsor=invitee,
            invitee=fresh_address("first"),
            kind=KIND["Abeille"],
            expiresAt=receipt.timestamp + rules.ttl,
        )
    ]
    assert membership.invitationsAvailable(invitee) == (0, earned_at + rules.refill)
    with reverts(membership.MembershipNoInvitationLeft, sponsor=invitee, nextAt=earned_at + rules.refill):
        membership.invite(fresh_address("second"), KIND["Abeille"], sender=invitee)
    clock.travel_to(earned_at + rules.refill)
    membership.invite(fresh_address("second"), KIND["Abeille"], sender=invitee)
    assert membership.memberOf(invitee).invitationsSent == 2


def test_the_allowance_stops_at_the_cap(
    clock: ChainClock, membership: Any, join: Callable[..., None], admin: Any, invitee: Any, rules: Rules
) -> None:
    join(admin, invitee)
    full_at = clock.now + rules.probation + rules.cap * rules.refill
    clock.travel_to(full_at - 1)
    assert membership.invitationsAvailable(invitee) == (rules.cap - 1, full_at)
    clock.travel_to(full_at)
    assert membership.invitationsAvailable(invitee) == (rules.cap, 0)
    clock.travel(10 * rules.cap * rules.refill)  # unused time is not banked beyond the cap
    assert membership.invitationsAvailable(invitee) == (rules.cap, 0)

    for index in range(rules.cap):
        membership.invite(fresh_address(f"invitee-{index}"), KIND["Abeille"], sender=invitee)

    assert membership.invitationsAvailable(invitee) == (0, clock.now + rules.refill)
    with reverts(membership.MembershipNoInvitationLeft, sponsor=invitee, nextAt=clock.now + rules.refill):
        membership.invite(fresh_address("one-too-many"), KIND["Abeille"], sender=invitee)


def test_an_invitation_sent_from_a_full_allowance_refills_one_period_later(
    clock: ChainClock, membership: Any, admin: Any, rules: Rules
) -> None:
    assert membership.invitationsAvailable(admin) == (rules.cap, 0)

    membership.invite(fresh_address("newcomer"), KIND["Abeille"], sender=admin)

    sent_at = clock.now
    assert membership.invitationsAvailable(admin) == (rules.cap - 1, sent_at + rules.refill)
    clock.travel_to(sent_at + rules.refill)
    assert membership.invitationsAvailable(admin) == (rules.cap, 0)


def test_founders_start_with_a_full_allowance(
    clock: ChainClock, membership: Any, admin: Any, member: Any, ess_member: Any, rules: Rules
) -> None:
    for founder in (admin, member, ess_member):
        assert membership.invitationsAvailable(founder) == (rules.cap, 0)

    for index in range(rules.cap):
        membership.invite(fresh_address(f"invitee-{index}"), KIND["Abeille"], sender=admin)

    assert membership.memberOf(admin).invitationsSent == rules.cap
    with reverts(membership.MembershipNoInvitationLeft, sponsor=admin, nextAt=clock.now + rules.refill):
        membership.invite(fresh_address("one-too-many"), KIND["Abeille"], sender=admin)
    assert membership.invitationsAvailable(member) == (rules.cap, 0)  # each founder its own


def test_revoking_gives_the_invitation_back_to_a_new_member(
    clock: ChainClock,
    membership: Any,
    join: Callable[..., None],
    serve_probation: Callable[..., None],
    admin: Any,
    invitee: Any,
    second_invitee: Any,
    rules: Rules,
) -> None:
    join(admin, invitee)
    serve_probation(invitee, invitations=1)
    available = membership.invitationsAvailable(invitee)
    assert available[0] == 1
    membership.invite(second_invitee, KIND["Abeille"], sender=invitee)
    assert membership.invitationsAvailable(invitee)[0] == 0

    membership.revokeInvitation(second_invitee, invitee, sender=invitee)

    assert membership.invitationsAvailable(invitee) == available
    assert membership.memberOf(invitee).invitationsSent == 0
    membership.invite(fresh_address("instead"), KIND["Abeille"], sender=invitee)


def test_a_lower_cap_applies_to_every_member_at_once(
    clock: ChainClock, membership: Any, governance: Any, admin: Any, rules: Rules
) -> None:
    set_rules(membership, governance, rules, cap=2)

    assert membership.invitationsAvailable(admin) == (2, 0)
    membership.invite(fresh_address("first"), KIND["Abeille"], sender=admin)
    membership.invite(fresh_address("second"), KIND["Abeille"], sender=admin)
    with reverts(membership.MembershipNoInvitationLeft, sponsor=admin, nextAt=clock.now + rules.refill):
        membership.invite(fresh_address("third"), KIND["Abeille"], sender=admin)


def test_an_excluded_member_has_no_invitation(
    membership: Any, governance: Any, admin: Any, rules: Rules
) -> None:
    assert membership.invitationsAvailable(admin) == (rules.cap, 0)

    membership.exclude(admin, "fraud", sender=governance)

    assert membership.invitationsAvailable(admin) == (0, 0)


# --------------------------------------------------------------------------- invitations per sponsor


def test_two_sponsors_may_invite_the_same_address_and_the_invitee_picks_one(
    clock: ChainClock, membership: Any, admin: Any, member: Any, invitee: Any, rules: Rules
) -> None:
    expires_at = clock.now + rules.ttl
    membership.invite(invitee, KIND["Abeille"], sender=admin)

    receipt = membership.invite(invitee, KIND["Pilote"], sender=member)

    assert emitted(receipt) == [
        log(
            membership.MemberInvited,
            sponsor=member,
            invitee=invitee,
            kind=KIND["Pilote"],
            expiresAt=expires_at,
        )
    ]
    assert membership.invitationOf(invitee, admin) == (admin.address, KIND["Abeille"], expires_at)
    assert membership.invitationOf(invitee, member) == (member.address, KIND["Pilote"], expires_at)

    membership.acceptInvitation(member, KIND["Pilote"], sender=invitee)

    assert membership.memberOf(invitee).sponsor == member.address
    assert membership.memberOf(invitee).kind == KIND["Pilote"]
    assert membership.invitationOf(invitee, member) == (ZERO_ADDRESS, 0, 0)
    # The other invitation stays on record but can no longer be used...
    assert membership.invitationOf(invitee, admin) == (admin.address, KIND["Abeille"], expires_at)
    with reverts(membership.MembershipAlreadyMember, account=invitee):
        membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)
    # ...and its sponsor may take it back.
    membership.revokeInvitation(invitee, admin, sender=admin)
    assert membership.invitationsAvailable(admin) == (rules.cap, 0)


def test_accept_reverts_when_sponsor_differs(
    membership: Any, admin: Any, member: Any, outsider: Any, invitee: Any
) -> None:
    membership.invite(invitee, KIND["Abeille"], sender=admin)

    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=member):
        membership.acceptInvitation(member, KIND["Abeille"], sender=invitee)
    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=outsider):
        membership.acceptInvitation(outsider, KIND["Abeille"], sender=invitee)
    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=ZERO_ADDRESS):
        membership.acceptInvitation(ZERO_ADDRESS, KIND["Abeille"], sender=invitee)
    assert not membership.isActiveMember(invitee)


@pytest.mark.parametrize("expected", ["Pilote", "EssStructure"])
def test_accept_reverts_when_kind_differs(
    membership: Any, admin: Any, attester: Any, invitee: Any, expected: str
) -> None:
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    membership.attestEssStructure(invitee, sender=attester)  # an attestation does not change the kind

    with reverts(
        membership.MembershipInvitationKindMismatch,
        invitee=invitee,
        sponsor=admin,
        invited=KIND["Abeille"],
        expected=KIND[expected],
    ):
        membership.acceptInvitation(admin, KIND[expected], sender=invitee)
    assert membership.invitationOf(invitee, admin).kind == KIND["Abeille"]
    assert not membership.isActiveMember(invitee)


def test_accept_reverts_once_the_invitation_expired(
    clock: ChainClock, membership: Any, admin: Any, invitee: Any, rules: Rules
) -> None:
    expires_at = clock.now + rules.ttl
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    clock.travel_to(expires_at)

    with reverts(
        membership.MembershipInvitationExpired, invitee=invitee, sponsor=admin, expiresAt=expires_at
    ):
        membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)
    assert not membership.isActiveMember(invitee)


def test_accept_succeeds_in_the_last_second_of_the_invitation(
    clock: ChainClock, membership: Any, admin: Any, invitee: Any, rules: Rules
) -> None:
    expires_at = clock.now + rules.ttl
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    clock.travel_to(expires_at - 1)

    receipt = membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)

    assert receipt.timestamp == expires_at - 1
    assert membership.isActiveMember(invitee)


def test_an_excluded_sponsors_invitation_lapses_but_another_sponsors_stands(
    membership: Any, governance: Any, admin: Any, member: Any, invitee: Any
) -> None:
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    membership.invite(invitee, KIND["Abeille"], sender=member)
    membership.exclude(admin, "fraud", sender=governance)

    with reverts(membership.MembershipSponsorNotActive, sponsor=admin):
        membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)

    membership.acceptInvitation(member, KIND["Abeille"], sender=invitee)
    assert membership.memberOf(invitee).sponsor == member.address


def test_revoke_invitation_gives_the_invitation_back(
    membership: Any, admin: Any, invitee: Any, rules: Rules
) -> None:
    membership.invite(invitee, KIND["Pilote"], sender=admin)

    receipt = membership.revokeInvitation(invitee, admin, sender=admin)

    assert emitted(receipt) == [
        log(membership.InvitationRevoked, sponsor=admin, invitee=invitee, revokedBy=admin)
    ]
    assert membership.invitationOf(invitee, admin) == (ZERO_ADDRESS, 0, 0)
    assert membership.memberOf(admin).invitationsSent == 0
    assert membership.invitationsAvailable(admin) == (rules.cap, 0)
    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=admin):
        membership.acceptInvitation(admin, KIND["Pilote"], sender=invitee)


def test_revoke_invitation_lets_an_exhausted_sponsor_invite_again(
    clock: ChainClock, membership: Any, governance: Any, admin: Any, invitee: Any, rules: Rules
) -> None:
    set_rules(membership, governance, rules, cap=1)
    membership.invite(fresh_address("first"), KIND["Abeille"], sender=admin)
    with reverts(membership.MembershipNoInvitationLeft, sponsor=admin, nextAt=clock.now + rules.refill):
        membership.invite(invitee, KIND["Abeille"], sender=admin)
    membership.revokeInvitation(fresh_address("first"), admin, sender=admin)

    receipt = membership.invite(invitee, KIND["Abeille"], sender=admin)

    assert membership.invitationOf(invitee, admin) == (
        admin.address,
        KIND["Abeille"],
        receipt.timestamp + rules.ttl,
    )
    assert membership.memberOf(admin).invitationsSent == 1


def test_revoke_invitation_reverts_when_there_is_none(
    membership: Any, governance: Any, admin: Any, member: Any, invitee: Any
) -> None:
    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=admin):
        membership.revokeInvitation(invitee, admin, sender=admin)
    membership.invite(invitee, KIND["Abeille"], sender=member)  # another sponsor's is not admin's
    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=admin):
        membership.revokeInvitation(invitee, admin, sender=governance)


def test_governance_revokes_any_invitation(
    membership: Any, governance: Any, timelock: Any, admin: Any, invitee: Any, rules: Rules
) -> None:
    membership.invite(invitee, KIND["Abeille"], sender=admin)

    receipt = membership.revokeInvitation(invitee, admin, sender=governance)

    assert emitted(receipt) == [
        log(membership.InvitationRevoked, sponsor=admin, invitee=invitee, revokedBy=timelock)
    ]
    assert membership.invitationOf(invitee, admin) == (ZERO_ADDRESS, 0, 0)
    assert membership.invitationsAvailable(admin) == (rules.cap, 0)  # the sponsor gets it back
    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=admin):
        membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)


def test_governance_revokes_an_excluded_sponsors_invitation(
    membership: Any, governance: Any, timelock: Any, admin: Any, invitee: Any
) -> None:
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    membership.exclude(admin, "fraud", sender=governance)

    receipt = membership.revokeInvitation(invitee, admin, sender=governance)

    assert emitted(receipt) == [
        log(membership.InvitationRevoked, sponsor=admin, invitee=invitee, revokedBy=timelock)
    ]
    assert membership.invitationOf(invitee, admin) == (ZERO_ADDRESS, 0, 0)


@pytest.mark.parametrize("role", ["member", "ess_member", "invitee", "outsider", "attester", "guardian"])
def test_revoke_invitation_reverts_for_a_stranger(
    request: pytest.FixtureRequest, membership: Any, admin: Any, invitee: Any, role: str
) -> None:
    caller = request.getfixturevalue(role)
    membership.invite(invitee, KIND["Abeille"], sender=admin)

    with reverts(membership.MembershipNotInvitationSponsor, caller=caller, sponsor=admin):
        membership.revokeInvitation(invitee, admin, sender=caller)
    assert membership.invitationOf(invitee, admin).sponsor == admin.address


def test_an_expired_invitation_from_the_same_sponsor_can_be_renewed(
    clock: ChainClock, membership: Any, admin: Any, invitee: Any, rules: Rules
) -> None:
    first_expiry = clock.now + rules.ttl
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    clock.travel_to(first_expiry - 1)
    with reverts(membership.MembershipAlreadyInvited, invitee=invitee, sponsor=admin):
        membership.invite(invitee, KIND["Pilote"], sender=admin)
    clock.travel_to(first_expiry)

    receipt = membership.invite(invitee, KIND["Pilote"], sender=admin)

    second_expiry = first_expiry + rules.ttl
    assert emitted(receipt) == [
        log(
            membership.MemberInvited,
            sponsor=admin,
            invitee=invitee,
            kind=KIND["Pilote"],
            expiresAt=second_expiry,
        )
    ]
    assert membership.invitationOf(invitee, admin) == (admin.address, KIND["Pilote"], second_expiry)
    # The renewal is a new invitation: it uses one more (the expired one was not revoked).
    assert membership.memberOf(admin).invitationsSent == 2
    membership.acceptInvitation(admin, KIND["Pilote"], sender=invitee)
    assert membership.memberOf(invitee).kind == KIND["Pilote"]


def test_revoking_an_expired_invitation_gives_it_back(
    clock: ChainClock, membership: Any, admin: Any, invitee: Any, rules: Rules
) -> None:
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    clock.travel(rules.ttl)

    membership.revokeInvitation(invitee, admin, sender=admin)

    assert membership.invitationsAvailable(admin) == (rules.cap, 0)
    assert membership.memberOf(admin).invitationsSent == 0


# --------------------------------------------------------------------------- ESS structures


def test_accept_as_ess_structure_reverts_without_attestation(
    membership: Any, admin: Any, invitee: Any
) -> None:
    membership.invite(invitee, KIND["EssStructure"], sender=admin)

    with reverts(membership.MembershipEssStructureNotAttested, invitee=invitee):
        membership.acceptInvitation(admin, KIND["EssStructure"], sender=invitee)
    assert not membership.isActiveMember(invitee)
    assert membership.attestationOf(invitee) == ZERO_ADDRESS


def test_an_attested_ess_structure_joins(
    membership: Any, admin: Any, attester: Any, invitee: Any, rules: Rules
) -> None:
    membership.invite(invitee, KIND["EssStructure"], sender=admin)

    receipt = membership.attestEssStructure(invitee, sender=attester)

    assert emitted(receipt) == [log(membership.EssStructureAttested, account=invitee, attester=attester)]
    assert membership.attestationOf(invitee) == attester.address
    receipt = membership.acceptInvitation(admin, KIND["EssStructure"], sender=invitee)
    at = receipt.timestamp
    assert emitted(receipt) == joined_events(
        membership, invitee, admin, KIND["EssStructure"], at, 0, False, at + rules.probation
    )
    assert membership.memberOf(invitee).kind == KIND["EssStructure"]


def test_an_attestation_no_longer_counts_once_its_attester_is_removed(
    membership: Any, governance: Any, admin: Any, attester: Any, invitee: Any
) -> None:
    membership.invite(invitee, KIND["EssStructure"], sender=admin)
    membership.attestEssStructure(invitee, sender=attester)

    receipt = membership.setAttester(attester, False, sender=governance)

    assert emitted(receipt) == [log(membership.AttesterChanged, attester=attester, allowed=False)]
    assert not membership.isAttester(attester)
    with reverts(membership.MembershipEssStructureNotAttested, invitee=invitee):
        membership.acceptInvitation(admin, KIND["EssStructure"], sender=invitee)
    with reverts(membership.MembershipNotAttester, caller=attester):
        membership.attestEssStructure(invitee, sender=attester)
    # Named again, its attestations count again.
    membership.setAttester(attester, True, sender=governance)
    membership.acceptInvitation(admin, KIND["EssStructure"], sender=invitee)
    assert membership.isActiveMember(invitee)


@pytest.mark.parametrize("role", ["admin", "ess_member", "outsider", "guardian", "governance"])
def test_attest_reverts_when_caller_is_not_an_attester(
    request: pytest.FixtureRequest, membership: Any, invitee: Any, role: str
) -> None:
    caller = request.getfixturevalue(role)

    with reverts(membership.MembershipNotAttester, caller=caller):
        membership.attestEssStructure(invitee, sender=caller)
    assert membership.attestationOf(invitee) == ZERO_ADDRESS


def test_attest_reverts_for_a_member_or_the_zero_address(
    membership: Any, attester: Any, ess_member: Any
) -> None:
    with reverts(membership.MembershipAlreadyMember, account=ess_member):
        membership.attestEssStructure(ess_member, sender=attester)
    with reverts(membership.MembershipZeroAddress):
        membership.attestEssStructure(ZERO_ADDRESS, sender=attester)


def test_governance_admits_an_ess_structure_without_attestation(
    membership: Any, governance: Any, admin: Any, invitee: Any, rules: Rules
) -> None:
    receipt = membership.admit(invitee, KIND["EssStructure"], admin, sender=governance)

    at = receipt.timestamp
    assert emitted(receipt) == joined_events(
        membership, invitee, admin, KIND["EssStructure"], at, 0, True, at + rules.probation
    )
    assert membership.attestationOf(invitee) == ZERO_ADDRESS
    assert membership.memberOf(invitee).kind == KIND["EssStructure"]


def test_set_attester_names_an_attester(membership: Any, governance: Any, outsider: Any) -> None:
    assert not membership.isAttester(outsider)

    receipt = membership.setAttester(outsider, True, sender=governance)

    assert emitted(receipt) == [log(membership.AttesterChanged, attester=outsider, allowed=True)]
    assert membership.isAttester(outsider)


def test_set_attester_reverts_when_not_governance_or_zero(
    membership: Any, governance: Any, admin: Any, attester: Any, outsider: Any
) -> None:
    with reverts(membership.MembershipNotGovernance, caller=admin):
        membership.setAttester(outsider, True, sender=admin)
    with reverts(membership.MembershipNotGovernance, caller=attester):
        membership.setAttester(outsider, True, sender=attester)
    with reverts(membership.MembershipZeroAddress):
        membership.setAttester(ZERO_ADDRESS, True, sender=governance)
    assert not membership.isAttester(outsider)


# --------------------------------------------------------------------------- the admission rules


def test_set_rules_records_and_emits_both_rule_sets(membership: Any, governance: Any, rules: Rules) -> None:
    new = Rules(probation=30 * DAY, refill=30 * DAY, cap=3, ttl=30 * DAY)

    receipt = membership.setRules(new.as_tuple(), sender=governance)

    assert emitted(receipt) == [
        log(membership.MembershipRulesChanged, previousRules=rules.as_tuple(), newRules=new.as_tuple())
    ]
    assert tuple(membership.rules()) == new.as_tuple()


def test_rule_bounds_are_the_published_constants(membership: Any) -> None:
    assert membership.MAX_PROBATION() == YEAR
    assert membership.MAX_INVITATION_REFILL_PERIOD() == YEAR
    assert membership.MAX_INVITATION_CAP() == 100
    assert membership.MIN_INVITATION_TTL() == HOUR
    assert membership.MAX_INVITATION_TTL() == YEAR


# (rule, value out of range, its lower bound, its upper bound)
OUT_OF_RANGE = [
    ("probation", YEAR + 1, 0, YEAR),
    ("refill", 0, 1, YEAR),
    ("refill", YEAR + 1, 1, YEAR),
    ("cap", 0, 1, 100),
    ("cap", 101, 1, 100),
    ("ttl", HOUR - 1, HOUR, YEAR),
    ("ttl", YEAR + 1, HOUR, YEAR),
]


@pytest.mark.parametrize(
    ("rule", "value", "minimum", "maximum"),
    OUT_OF_RANGE,
    ids=[f"{rule}-{'below' if value < low else 'above'}" for rule, value, low, _ in OUT_OF_RANGE],
)
def test_set_rules_reverts_when_a_rule_is_out_of_range(
    membership: Any, governance: Any, rules: Rules, rule: str, value: int, minimum: int, maximum: int
) -> None:
    new = Rules(**{**rules.__dict__, rule: value})

    with reverts(membership.MembershipRuleOutOfRange, value=value, min=minimum, max=maximum):
        membership.setRules(new.as_tuple(), sender=governance)
    assert tuple(membership.rules()) == rules.as_tuple()


@pytest.mark.parametrize(
    ("rule", "value"),
    [
        ("probation", 0),
        ("probation", YEAR),
        ("refill", 1),
        ("refill", YEAR),
        ("cap", 1),
        ("cap", 100),
        ("ttl", HOUR),
        ("ttl", YEAR),
    ],
)
def test_set_rules_accepts_each_bound(
    membership: Any, governance: Any, rules: Rules, rule: str, value: int
) -> None:
    new = Rules(**{**rules.__dict__, rule: value})

    membership.setRules(new.as_tuple(), sender=governance)

    assert tuple(membership.rules()) == new.as_tuple()


def test_set_rules_reverts_when_not_governance(membership: Any, admin: Any, rules: Rules) -> None:
    with reverts(membership.MembershipNotGovernance, caller=admin):
        membership.setRules(rules.as_tuple(), sender=admin)


def test_a_longer_ttl_applies_to_later_invitations_only(
    clock: ChainClock,
    membership: Any,
    governance: Any,
    admin: Any,
    invitee: Any,
    second_invitee: Any,
    rules: Rules,
) -> None:
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    set_rules(membership, governance, rules, ttl=DAY)

    membership.invite(second_invitee, KIND["Abeille"], sender=admin)

    assert membership.invitationOf(invitee, admin).expiresAt == clock.now + rules.ttl
    assert membership.invitationOf(second_invitee, admin).expiresAt == clock.now + DAY
