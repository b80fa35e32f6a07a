"""Unit tests of Membership: inviting and accepting, admissions, exclusion, governed settings, the
votes it gives the Governor (IVotes, ERC-6372) and its soulbound ERC-721 surface. Probation, the
refilling invitation allowance, invitations per sponsor (revoking, expiry, renewal), ESS
attestations and the admission rules are tested in test_admission.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ape import chain, project
from eth_utils.crypto import keccak

from cmir.chain import eip712
from cmir.chain.deploy import MEMBER_KINDS as KIND
from cmir.chain.deploy import ZERO_ADDRESS, NetworkSettings
from tests.contracts.membership_checks import joined_events, member_record, token_id
from tests.contracts.strict_checks import emitted, log, reverts, view_call

BPS = 10_000

UINT160_MAX = 2**160 - 1


# --------------------------------------------------------------------------- helpers


def split(amount: int, shares: Any) -> tuple[int, int, int]:
    """(members, ESS, collective) parts of `amount`: ESS rounds up, collective down, members the rest."""
    to_ess = -(-amount * shares.essBps // BPS)
    to_collective = amount * shares.collectiveBps // BPS
    return amount - to_ess - to_collective, to_ess, to_collective


def split_without_matured_points(amount: int, shares: Any) -> tuple[int, int, int]:
    """How the pool books `amount` while no point has matured: the members' part goes to ESS."""
    to_members, to_ess, to_collective = split(amount, shares)
    return 0, to_ess + to_members, to_collective


def interface_id(*signatures: str) -> bytes:
    """ERC-165 interface id: the XOR of the functions' selectors."""
    value = 0
    for signature in signatures:
        value ^= int.from_bytes(keccak(text=signature)[:4], "big")
    return value.to_bytes(4, "big")


def next_block_in(seconds: int) -> int:
    """Give the next block a timestamp `seconds` after the head's; returns it."""
    timestamp = int(chain.blocks.head.timestamp) + seconds
    chain.pending_timestamp = timestamp
    return timestamp


def after_an_epoch(pool: Any) -> int:
    """Give the next block a timestamp one epoch after the head's (so in a later epoch: points
    of the head's epoch have matured by then); returns it."""
    return next_block_in(int(pool.epochClock().length))


def permit_signature(
    token: Any, owner: Any, spender: Any, value: int, deadline: int
) -> tuple[int, bytes, bytes]:
    """(v, r, s) of `owner`'s EIP-2612 permit letting `spender` take `value` until `deadline`."""
    domain = eip712.Domain.from_eip712_domain(token.eip712Domain())
    data = eip712.permit(
        domain, str(owner.address), str(spender.address), value, token.nonces(owner), deadline
    )
    return eip712.sign(data, owner.private_key)


@pytest.fixture
def eur(token: Any) -> int:
    """One euro in the payment token's units."""
    return int(10 ** token.decimals())


@pytest.fixture
def second_invitee(accounts: Any) -> Any:
    """Another account that is not a member yet."""
    return accounts[7]


@pytest.fixture
def fee(membership: Any, governance: Any, eur: int) -> int:
    """Governance sets a membership fee (an odd amount, so the ESS part is rounded up)."""
    amount = 25 * eur + 7
    membership.setMembershipFee(amount, sender=governance)
    return amount


@pytest.fixture
def rules(settings: NetworkSettings) -> tuple[int, int, int, int]:
    """The admission rules of the deployment: (probation, refill period, cap, invitation life)."""
    return settings.membership_rules()


@pytest.fixture
def probation(membership: Any) -> int:
    """Seconds from joining until a newcomer's vote counts."""
    return int(membership.rules().probation)


@pytest.fixture
def ttl(membership: Any) -> int:
    """Seconds an invitation stays valid."""
    return int(membership.rules().invitationTtl)


# --------------------------------------------------------------------------- deployment


def test_founders_are_active_members_without_sponsor_or_probation(
    membership: Any, admin: Any, member: Any, ess_member: Any
) -> None:
    founders = [(admin, KIND["Pilote"]), (member, KIND["Abeille"]), (ess_member, KIND["EssStructure"])]
    joined_at = membership.memberOf(admin).joinedAt
    for account, kind in founders:
        assert membership.memberOf(account) == member_record(ZERO_ADDRESS, joined_at, kind, 0, 0, joined_at)
        assert membership.isActiveMember(account)
        assert membership.getVotes(account) == 1
    assert membership.activeMemberCount() == len(founders)


def test_constructor_emits_rules_and_founder_events(
    deployer: Any, steward: Any, admin: Any, member: Any, rules: tuple[int, int, int, int]
) -> None:
    fresh = deployer.deploy(
        project.Membership, steward, rules, [admin, member], [KIND["Pilote"], KIND["Abeille"]], ZERO_ADDRESS
    )
    receipt = chain.get_receipt(fresh.txn_hash)
    at = receipt.timestamp
    assert emitted(receipt) == [
        log(fresh.MembershipRulesChanged, previousRules=(0, 0, 0, 0), newRules=rules),
        *joined_events(fresh, admin, ZERO_ADDRESS, KIND["Pilote"], at, 0, False, at, founder=True),
        *joined_events(fresh, member, ZERO_ADDRESS, KIND["Abeille"], at, 0, False, at, founder=True),
    ]
    assert fresh.governance() == steward.address
    assert fresh.pool() == ZERO_ADDRESS
    assert tuple(fresh.rules()) == rules
    assert fresh.activeMemberCount() == 2


def test_constructor_reverts_when_founder_lists_differ(
    deployer: Any, steward: Any, admin: Any, rules: tuple[int, int, int, int]
) -> None:
    with reverts(project.Membership.MembershipFounderListsMismatch, accounts=1, kinds=0):
        deployer.deploy(project.Membership, steward, rules, [admin], [], ZERO_ADDRESS)


def test_constructor_reverts_when_governance_is_zero(
    deployer: Any, admin: Any, rules: tuple[int, int, int, int]
) -> None:
    with reverts(project.Membership.MembershipZeroAddress):
        deployer.deploy(project.Membership, ZERO_ADDRESS, rules, [admin], [KIND["Pilote"]], ZERO_ADDRESS)


def test_constructor_reverts_when_a_founder_is_zero(
    deployer: Any, steward: Any, rules: tuple[int, int, int, int]
) -> None:
    with reverts(project.Membership.MembershipZeroAddress):
        deployer.deploy(project.Membership, steward, rules, [ZERO_ADDRESS], [KIND["Pilote"]], ZERO_ADDRESS)


def test_constructor_reverts_when_a_founder_is_listed_twice(
    deployer: Any, steward: Any, admin: Any, rules: tuple[int, int, int, int]
) -> None:
    with reverts(project.Membership.MembershipAlreadyMember, account=admin):
        deployer.deploy(
            project.Membership,
            steward,
            rules,
            [admin, admin],
            [KIND["Pilote"], KIND["Abeille"]],
            ZERO_ADDRESS,
        )


def test_constructor_reverts_when_a_rule_is_out_of_range(
    deployer: Any, steward: Any, admin: Any, rules: tuple[int, int, int, int]
) -> None:
    probation, refill, _, ttl = rules
    with reverts(project.Membership.MembershipRuleOutOfRange, value=0, min=1, max=100):
        deployer.deploy(
            project.Membership, steward, (probation, refill, 0, ttl), [admin], [KIND["Pilote"]], ZERO_ADDRESS
        )


# --------------------------------------------------------------------------- invite


def test_invite_records_the_invitation_and_uses_one_invitation(
    membership: Any, admin: Any, invitee: Any, ttl: int
) -> None:
    cap = int(membership.rules().invitationCap)
    assert membership.invitationsAvailable(admin) == (cap, 0)

    receipt = membership.invite(invitee, KIND["Abeille"], sender=admin)

    expires_at = receipt.timestamp + ttl
    assert emitted(receipt) == [
        log(
            membership.MemberInvited,
            sponsor=admin,
            invitee=invitee,
            kind=KIND["Abeille"],
            expiresAt=expires_at,
        )
    ]
    assert membership.invitationOf(invitee, admin) == (admin.address, KIND["Abeille"], expires_at)
    assert membership.memberOf(admin).invitationsSent == 1
    assert membership.invitationsAvailable(admin) == (
        cap - 1,
        receipt.timestamp + membership.rules().invitationRefillPeriod,
    )
    assert not membership.isActiveMember(invitee)
    assert membership.memberOf(invitee).joinedAt == 0


def test_invite_reverts_when_caller_is_not_member(membership: Any, outsider: Any, invitee: Any) -> None:
    with reverts(membership.MembershipNotActiveMember, account=outsider):
        membership.invite(invitee, KIND["Abeille"], sender=outsider)


def test_invite_reverts_when_invitee_is_zero(membership: Any, admin: Any) -> None:
    with reverts(membership.MembershipZeroAddress):
        membership.invite(ZERO_ADDRESS, KIND["Abeille"], sender=admin)


def test_invite_reverts_when_invitee_is_already_member(membership: Any, admin: Any, member: Any) -> None:
    with reverts(membership.MembershipAlreadyMember, account=member):
        membership.invite(member, KIND["Abeille"], sender=admin)


def test_invite_reverts_when_the_same_sponsor_already_invited(
    membership: Any, admin: Any, invitee: Any
) -> None:
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    sent = membership.memberOf(admin).invitationsSent

    with reverts(membership.MembershipAlreadyInvited, invitee=invitee, sponsor=admin):
        membership.invite(invitee, KIND["Abeille"], sender=admin)
    with reverts(membership.MembershipAlreadyInvited, invitee=invitee, sponsor=admin):
        membership.invite(invitee, KIND["Pilote"], sender=admin)
    assert membership.memberOf(admin).invitationsSent == sent


def test_invite_reverts_when_sponsor_is_excluded(
    membership: Any, governance: Any, admin: Any, invitee: Any
) -> None:
    membership.exclude(admin, "left the network", sender=governance)

    with reverts(membership.MembershipNotActiveMember, account=admin):
        membership.invite(invitee, KIND["Abeille"], sender=admin)


def test_invite_reverts_when_invitee_was_excluded(
    membership: Any, governance: Any, admin: Any, member: Any
) -> None:
    membership.exclude(member, "fraud", sender=governance)

    with reverts(membership.MembershipAlreadyMember, account=member):
        membership.invite(member, KIND["Abeille"], sender=admin)


# --------------------------------------------------------------------------- acceptInvitation


def test_accept_invitation_makes_an_active_member_in_probation(
    membership: Any, token: Any, admin: Any, invitee: Any, probation: int
) -> None:
    count = membership.activeMemberCount()
    balance = token.balanceOf(invitee)
    membership.invite(invitee, KIND["Abeille"], sender=admin)

    receipt = membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)

    joined_at = receipt.timestamp
    assert emitted(receipt) == joined_events(
        membership, invitee, admin, KIND["Abeille"], joined_at, 0, False, joined_at + probation
    )
    assert membership.memberOf(invitee) == member_record(
        admin, joined_at, KIND["Abeille"], 0, 0, joined_at + probation
    )
    assert membership.invitationOf(invitee, admin) == (ZERO_ADDRESS, 0, 0)
    assert membership.memberOf(admin).invitationsSent == 1  # a used invitation is not given back
    assert membership.isActiveMember(invitee)
    assert membership.activeMemberCount() == count + 1
    assert membership.getVotes(invitee) == 0  # until its probation ends
    assert membership.delegates(invitee) == invitee.address
    assert membership.balanceOf(invitee) == 1
    assert membership.ownerOf(token_id(invitee)) == invitee.address
    assert token.balanceOf(invitee) == balance


def test_accept_invitation_pays_the_fee_into_the_pool(
    membership: Any, pool: Any, token: Any, admin: Any, invitee: Any, fee: int, probation: int
) -> None:
    token.mint(invitee, fee, sender=invitee)
    token.approve(pool, fee, sender=invitee)
    membership.invite(invitee, KIND["Pilote"], sender=admin)
    before = pool.totals()
    ess, collective, members = pool.essAvailable(), pool.collectiveAvailable(), pool.membersAvailable()
    pool_balance = token.balanceOf(pool)
    parts = split_without_matured_points(fee, pool.shares())  # nobody holds points

    receipt = membership.acceptInvitation(admin, KIND["Pilote"], sender=invitee)

    at = receipt.timestamp
    assert emitted(receipt) == [
        *joined_events(membership, invitee, admin, KIND["Pilote"], at, fee, False, at + probation),
        log(
            pool.MembershipFeeReceived,
            member=invitee,
            amount=fee,
            split=list(parts),
            rewardPerPoint=pool.totals().rewardPerPoint,
        ),
        log(token.Transfer, **{"from": invitee, "to": pool, "value": fee}),
    ]
    assert token.balanceOf(invitee) == 0
    assert token.balanceOf(pool) == pool_balance + fee
    assert pool.totals().totalReceived == before.totalReceived + fee
    assert (pool.membersAvailable(), pool.essAvailable(), pool.collectiveAvailable()) == (
        members + parts[0],
        ess + parts[1],
        collective + parts[2],
    )
    assert membership.memberOf(invitee).joinedAt == receipt.timestamp


def test_accept_invitation_shares_the_fee_among_point_holders(
    membership: Any,
    pool: Any,
    token: Any,
    fund: Callable[[Any, int], None],
    admin: Any,
    member: Any,
    invitee: Any,
    fee: int,
    probation: int,
) -> None:
    amount = pool.minRelationFee()
    fund(admin, amount)
    pool.payRelation(member, amount, keccak(text="meeting-1"), sender=admin)
    claimable = pool.claimableOf(member)
    accumulator = pool.totals().rewardPerPoint
    fund(invitee, fee)
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    after_an_epoch(pool)  # the relation's points have matured when the invitee joins

    receipt = membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)

    # The fee's members' part (12.5 EUR) is far more than the relation's 7 EUR of points may earn
    # in an epoch (the reward cap, in basis points of a unit per point): they get the cap.
    weights, cap = pool.pointWeights(), pool.epochRewardCapBps()
    points = amount * (weights.payerBps + weights.counterpartyBps) // BPS
    increase = cap * 10**27 // BPS
    to_members, to_ess, to_collective = split(fee, pool.shares())
    distributed = -(-increase * points // 10**27)
    accumulator_after = pool.totals().rewardPerPoint
    at = receipt.timestamp
    assert accumulator_after == accumulator + increase
    assert emitted(receipt) == [
        *joined_events(membership, invitee, admin, KIND["Abeille"], at, fee, False, at + probation),
        log(
            pool.MembershipFeeReceived,
            member=invitee,
            amount=fee,
            split=[distributed, to_ess + to_members - distributed, to_collective],
            rewardPerPoint=accumulator_after,
        ),
        log(token.Transfer, **{"from": invitee, "to": pool, "value": fee}),
    ]
    assert pool.claimableOf(member) > claimable


def test_accept_invitation_reverts_when_fee_is_not_approved(
    membership: Any, pool: Any, token: Any, admin: Any, invitee: Any, fee: int
) -> None:
    token.mint(invitee, fee, sender=invitee)
    membership.invite(invitee, KIND["Abeille"], sender=admin)

    with reverts(token.ERC20InsufficientAllowance, spender=pool, allowance=0, needed=fee):
        membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)
    assert not membership.isActiveMember(invitee)
    assert membership.invitationOf(invitee, admin).sponsor == admin.address


def test_accept_invitation_reverts_when_not_invited(membership: Any, admin: Any, invitee: Any) -> None:
    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=admin):
        membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)


def test_accept_invitation_reverts_when_sponsor_was_excluded_before(
    membership: Any, governance: Any, admin: Any, invitee: Any
) -> None:
    receipt = membership.invite(invitee, KIND["Abeille"], sender=admin)
    membership.exclude(admin, "left the network", sender=governance)

    with reverts(membership.MembershipSponsorNotActive, sponsor=admin):
        membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)
    assert membership.invitationOf(invitee, admin) == (
        admin.address,
        KIND["Abeille"],
        receipt.timestamp + membership.rules().invitationTtl,
    )


def test_accept_invitation_reverts_when_already_accepted(
    membership: Any, join: Callable[[Any, Any, int], None], admin: Any, invitee: Any
) -> None:
    join(admin, invitee, KIND["Abeille"])

    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=admin):
        membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)


# --------------------------------------------------------------------------- acceptInvitationWithPermit


def test_accept_invitation_with_permit_approves_and_pays_the_fee(
    membership: Any, pool: Any, token: Any, admin: Any, invitee: Any, fee: int, probation: int
) -> None:
    token.mint(invitee, fee, sender=invitee)
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    nonce = token.nonces(invitee)
    deadline = chain.pending_timestamp + 3600
    v, r, s = permit_signature(token, invitee, pool, fee, deadline)

    receipt = membership.acceptInvitationWithPermit(admin, KIND["Abeille"], deadline, v, r, s, sender=invitee)

    at = receipt.timestamp
    assert emitted(receipt) == [
        log(token.Approval, owner=invitee, spender=pool, value=fee),
        *joined_events(membership, invitee, admin, KIND["Abeille"], at, fee, False, at + probation),
        log(
            pool.MembershipFeeReceived,
            member=invitee,
            amount=fee,
            split=list(split_without_matured_points(fee, pool.shares())),
            rewardPerPoint=pool.totals().rewardPerPoint,
        ),
        log(token.Transfer, **{"from": invitee, "to": pool, "value": fee}),
    ]
    assert token.nonces(invitee) == nonce + 1
    assert token.allowance(invitee, pool) == 0
    assert token.balanceOf(invitee) == 0
    assert membership.isActiveMember(invitee)


def test_accept_invitation_with_permit_succeeds_when_the_permit_was_already_used(
    membership: Any, pool: Any, token: Any, admin: Any, outsider: Any, invitee: Any, fee: int, probation: int
) -> None:
    token.mint(invitee, fee, sender=invitee)
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    deadline = chain.pending_timestamp + 3600
    v, r, s = permit_signature(token, invitee, pool, fee, deadline)
    token.permit(invitee, pool, fee, deadline, v, r, s, sender=outsider)  # a front-runner uses it first

    receipt = membership.acceptInvitationWithPermit(admin, KIND["Abeille"], deadline, v, r, s, sender=invitee)

    at = receipt.timestamp
    assert emitted(receipt) == [
        *joined_events(membership, invitee, admin, KIND["Abeille"], at, fee, False, at + probation),
        log(
            pool.MembershipFeeReceived,
            member=invitee,
            amount=fee,
            split=list(split_without_matured_points(fee, pool.shares())),
            rewardPerPoint=pool.totals().rewardPerPoint,
        ),
        log(token.Transfer, **{"from": invitee, "to": pool, "value": fee}),
    ]
    assert token.balanceOf(invitee) == 0


def test_accept_invitation_with_permit_reverts_when_permit_is_expired(
    membership: Any, pool: Any, token: Any, admin: Any, invitee: Any, fee: int
) -> None:
    token.mint(invitee, fee, sender=invitee)
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    deadline = chain.blocks.head.timestamp - 1
    v, r, s = permit_signature(token, invitee, pool, fee, deadline)

    with reverts(token.ERC20InsufficientAllowance, spender=pool, allowance=0, needed=fee):
        membership.acceptInvitationWithPermit(admin, KIND["Abeille"], deadline, v, r, s, sender=invitee)
    assert token.nonces(invitee) == 0
    assert not membership.isActiveMember(invitee)


def test_accept_invitation_with_permit_reverts_when_signed_by_someone_else(
    membership: Any, pool: Any, token: Any, admin: Any, outsider: Any, invitee: Any, fee: int
) -> None:
    token.mint(invitee, fee, sender=invitee)
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    deadline = chain.pending_timestamp + 3600
    v, r, s = permit_signature(token, outsider, pool, fee, deadline)

    with reverts(token.ERC20InsufficientAllowance, spender=pool, allowance=0, needed=fee):
        membership.acceptInvitationWithPermit(admin, KIND["Abeille"], deadline, v, r, s, sender=invitee)


def test_accept_invitation_with_permit_ignores_the_permit_without_fee(
    membership: Any, token: Any, admin: Any, attester: Any, invitee: Any, probation: int
) -> None:
    membership.invite(invitee, KIND["EssStructure"], sender=admin)
    membership.attestEssStructure(invitee, sender=attester)

    receipt = membership.acceptInvitationWithPermit(
        admin, KIND["EssStructure"], 0, 0, b"\x00" * 32, b"\x00" * 32, sender=invitee
    )

    at = receipt.timestamp
    assert emitted(receipt) == joined_events(
        membership, invitee, admin, KIND["EssStructure"], at, 0, False, at + probation
    )
    assert token.nonces(invitee) == 0


def test_accept_invitation_with_permit_checks_the_invitation_like_accept(
    membership: Any, admin: Any, member: Any, invitee: Any
) -> None:
    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=admin):
        membership.acceptInvitationWithPermit(
            admin, KIND["Abeille"], 0, 0, b"\x00" * 32, b"\x00" * 32, sender=invitee
        )
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=member):
        membership.acceptInvitationWithPermit(
            member, KIND["Abeille"], 0, 0, b"\x00" * 32, b"\x00" * 32, sender=invitee
        )
    with reverts(
        membership.MembershipInvitationKindMismatch,
        invitee=invitee,
        sponsor=admin,
        invited=KIND["Abeille"],
        expected=KIND["Pilote"],
    ):
        membership.acceptInvitationWithPermit(
            admin, KIND["Pilote"], 0, 0, b"\x00" * 32, b"\x00" * 32, sender=invitee
        )


# --------------------------------------------------------------------------- admit


def test_admit_with_sponsor(
    membership: Any, governance: Any, member: Any, invitee: Any, probation: int
) -> None:
    count = membership.activeMemberCount()

    receipt = membership.admit(invitee, KIND["Pilote"], member, sender=governance)

    at = receipt.timestamp
    assert emitted(receipt) == joined_events(
        membership, invitee, member, KIND["Pilote"], at, 0, True, at + probation
    )
    assert membership.memberOf(invitee) == member_record(member, at, KIND["Pilote"], 0, 0, at + probation)
    assert membership.memberOf(member).invitationsSent == 0
    assert membership.activeMemberCount() == count + 1
    assert membership.relationParties(invitee, member) == (True, True, member.address, ZERO_ADDRESS)


def test_admit_without_sponsor(membership: Any, governance: Any, invitee: Any, probation: int) -> None:
    receipt = membership.admit(invitee, KIND["EssStructure"], ZERO_ADDRESS, sender=governance)

    at = receipt.timestamp
    assert emitted(receipt) == joined_events(
        membership, invitee, ZERO_ADDRESS, KIND["EssStructure"], at, 0, True, at + probation
    )
    assert membership.memberOf(invitee) == member_record(
        ZERO_ADDRESS, at, KIND["EssStructure"], 0, 0, at + probation
    )
    assert membership.getVotes(invitee) == 0  # a governance admission serves the probation too


def test_admit_takes_no_fee(
    membership: Any, pool: Any, governance: Any, invitee: Any, fee: int, probation: int
) -> None:
    received = pool.totals().totalReceived

    receipt = membership.admit(invitee, KIND["Abeille"], ZERO_ADDRESS, sender=governance)

    at = receipt.timestamp
    assert emitted(receipt) == joined_events(
        membership, invitee, ZERO_ADDRESS, KIND["Abeille"], at, 0, True, at + probation
    )
    assert pool.totals().totalReceived == received
    assert membership.membershipFee() == fee


def test_admit_leaves_pending_invitations_useless_until_revoked(
    membership: Any, governance: Any, admin: Any, member: Any, invitee: Any
) -> None:
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    available = membership.invitationsAvailable(admin)

    membership.admit(invitee, KIND["Pilote"], member, sender=governance)

    assert membership.memberOf(invitee).sponsor == member.address
    assert membership.memberOf(invitee).kind == KIND["Pilote"]
    with reverts(membership.MembershipAlreadyMember, account=invitee):
        membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)
    receipt = membership.revokeInvitation(invitee, admin, sender=admin)
    assert emitted(receipt) == [
        log(membership.InvitationRevoked, sponsor=admin, invitee=invitee, revokedBy=admin)
    ]
    assert membership.invitationsAvailable(admin)[0] == available[0] + 1
    assert membership.memberOf(admin).invitationsSent == 0


def test_admit_reverts_when_not_governance(membership: Any, admin: Any, invitee: Any) -> None:
    with reverts(membership.MembershipNotGovernance, caller=admin):
        membership.admit(invitee, KIND["Abeille"], ZERO_ADDRESS, sender=admin)


def test_admit_reverts_when_sponsor_is_not_member(
    membership: Any, governance: Any, outsider: Any, invitee: Any
) -> None:
    with reverts(membership.MembershipSponsorNotActive, sponsor=outsider):
        membership.admit(invitee, KIND["Abeille"], outsider, sender=governance)


def test_admit_reverts_when_sponsor_is_excluded(
    membership: Any, governance: Any, member: Any, invitee: Any
) -> None:
    membership.exclude(member, "fraud", sender=governance)

    with reverts(membership.MembershipSponsorNotActive, sponsor=member):
        membership.admit(invitee, KIND["Abeille"], member, sender=governance)


def test_admit_reverts_when_account_is_zero(membership: Any, governance: Any) -> None:
    with reverts(membership.MembershipZeroAddress):
        membership.admit(ZERO_ADDRESS, KIND["Abeille"], ZERO_ADDRESS, sender=governance)


def test_admit_reverts_when_account_is_already_member(membership: Any, governance: Any, member: Any) -> None:
    with reverts(membership.MembershipAlreadyMember, account=member):
        membership.admit(member, KIND["Pilote"], ZERO_ADDRESS, sender=governance)


def test_admit_reverts_when_account_was_excluded(membership: Any, governance: Any, member: Any) -> None:
    membership.exclude(member, "fraud", sender=governance)

    with reverts(membership.MembershipAlreadyMember, account=member):
        membership.admit(member, KIND["Abeille"], ZERO_ADDRESS, sender=governance)
    assert not membership.isActiveMember(member)


# --------------------------------------------------------------------------- exclude


def test_exclude_ends_votes_and_freezes_rewards(
    membership: Any,
    pool: Any,
    governance: Any,
    fund: Callable[[Any, int], None],
    join: Callable[[Any, Any, int], None],
    serve_probation: Callable[..., None],
    admin: Any,
    member: Any,
    invitee: Any,
) -> None:
    join(admin, invitee, KIND["Abeille"])
    serve_probation(invitee)
    amount = pool.minRelationFee()
    fund(member, 2 * amount)
    pool.payRelation(invitee, amount, keccak(text="meeting-1"), sender=member)
    after_an_epoch(pool)
    pool.payRelation(invitee, amount, keccak(text="meeting-2"), sender=member)  # rewards the first
    points, accrued = pool.pointsOf(invitee), pool.claimableOf(invitee)
    assert points > 0
    assert accrued > 0
    count = membership.activeMemberCount()
    joined_at, votes_from = membership.memberOf(invitee).joinedAt, membership.memberOf(invitee).votesFrom
    excluded_at = next_block_in(int(pool.epochClock().length))  # every point has matured by then
    reason = "did not pay for the relations it got"

    receipt = membership.exclude(invitee, reason, sender=governance)

    assert receipt.timestamp == excluded_at
    assert emitted(receipt) == [
        log(membership.MemberExcluded, member=invitee, excludedAt=excluded_at, reason=reason),
        log(membership.DelegateVotesChanged, delegate=invitee, previousVotes=1, newVotes=0),
        log(membership.Transfer, **{"from": invitee, "to": ZERO_ADDRESS, "tokenId": token_id(invitee)}),
        log(
            pool.MemberRewardsFrozen,
            member=invitee,
            maturedRemoved=points,
            pendingRemoved=0,
            accrued=accrued,
            rewardPerPoint=pool.totals().rewardPerPoint,
        ),
    ]
    chain.mine(deltatime=10)
    assert membership.memberOf(invitee) == member_record(
        admin, joined_at, KIND["Abeille"], 0, excluded_at, votes_from
    )
    assert not membership.isActiveMember(invitee)
    assert membership.getVotes(invitee) == 0
    assert membership.getPastVotes(invitee, excluded_at - 1) == 1
    assert membership.getPastVotes(invitee, excluded_at) == 0
    assert membership.activeMemberCount() == count - 1
    assert membership.getPastTotalSupply(excluded_at - 1) == count
    assert membership.getPastTotalSupply(excluded_at) == count - 1
    assert membership.delegates(invitee) == ZERO_ADDRESS
    assert membership.balanceOf(invitee) == 0
    assert membership.invitationsAvailable(invitee) == (0, 0)
    assert pool.pointsOf(invitee) == 0
    assert pool.claimableOf(invitee) == accrued


def test_exclude_keeps_earned_rewards_claimable_but_stops_accrual(
    membership: Any,
    pool: Any,
    token: Any,
    governance: Any,
    fund: Callable[[Any, int], None],
    join: Callable[[Any, Any, int], None],
    admin: Any,
    member: Any,
    invitee: Any,
) -> None:
    join(admin, invitee, KIND["Abeille"])
    amount = pool.minRelationFee()
    fund(member, 3 * amount)
    pool.payRelation(invitee, amount, keccak(text="meeting-1"), sender=member)
    after_an_epoch(pool)
    pool.payRelation(invitee, amount, keccak(text="meeting-2"), sender=member)  # rewards the first
    membership.exclude(invitee, "fraud", sender=governance)
    accrued = pool.claimableOf(invitee)
    assert accrued > 0
    member_claimable = pool.claimableOf(member)
    after_an_epoch(pool)  # the second relation's points have matured too: only member's earn

    pool.contribute(amount, "after the exclusion", sender=member)

    assert pool.claimableOf(invitee) == accrued
    assert pool.claimableOf(member) > member_claimable
    balance = token.balanceOf(invitee)
    pool.claim(sender=invitee)
    assert token.balanceOf(invitee) == balance + accrued


def test_exclude_reverts_when_not_governance(membership: Any, admin: Any, member: Any) -> None:
    with reverts(membership.MembershipNotGovernance, caller=admin):
        membership.exclude(member, "no reason", sender=admin)


def test_exclude_reverts_when_not_member(membership: Any, governance: Any, outsider: Any) -> None:
    with reverts(membership.MembershipNotActiveMember, account=outsider):
        membership.exclude(outsider, "not a member", sender=governance)


def test_exclude_reverts_when_already_excluded(membership: Any, governance: Any, member: Any) -> None:
    membership.exclude(member, "fraud", sender=governance)

    with reverts(membership.MembershipNotActiveMember, account=member):
        membership.exclude(member, "fraud again", sender=governance)


def test_exclude_leaves_an_invited_address_unable_to_join(
    membership: Any,
    governance: Any,
    join: Callable[[Any, Any, int], None],
    admin: Any,
    member: Any,
    invitee: Any,
) -> None:
    join(admin, invitee, KIND["Abeille"])
    membership.exclude(invitee, "fraud", sender=governance)

    with reverts(membership.MembershipAlreadyMember, account=invitee):
        membership.invite(invitee, KIND["Abeille"], sender=member)
    with reverts(membership.MembershipNoInvitation, invitee=invitee, sponsor=admin):
        membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)


# --------------------------------------------------------------------------- governance settings


def test_set_membership_fee(membership: Any, governance: Any, eur: int) -> None:
    previous = membership.membershipFee()
    new = 50 * eur

    receipt = membership.setMembershipFee(new, sender=governance)

    assert emitted(receipt) == [log(membership.MembershipFeeChanged, previousFee=previous, newFee=new)]
    assert membership.membershipFee() == new

    receipt = membership.setMembershipFee(0, sender=governance)

    assert emitted(receipt) == [log(membership.MembershipFeeChanged, previousFee=new, newFee=0)]
    assert membership.membershipFee() == 0


def test_set_membership_fee_reverts_when_not_governance(membership: Any, admin: Any, eur: int) -> None:
    with reverts(membership.MembershipNotGovernance, caller=admin):
        membership.setMembershipFee(eur, sender=admin)


def test_set_membership_fee_accepts_the_pools_fee_ceiling(
    membership: Any, pool: Any, governance: Any
) -> None:
    ceiling = pool.minRelationFeeCeiling()

    receipt = membership.setMembershipFee(ceiling, sender=governance)

    assert emitted(receipt) == [log(membership.MembershipFeeChanged, previousFee=0, newFee=ceiling)]
    assert membership.membershipFee() == ceiling


def test_set_membership_fee_reverts_above_the_pools_fee_ceiling(
    membership: Any, pool: Any, governance: Any
) -> None:
    ceiling = pool.minRelationFeeCeiling()

    with reverts(membership.MembershipFeeAboveCeiling, fee=ceiling + 1, ceiling=ceiling):
        membership.setMembershipFee(ceiling + 1, sender=governance)
    assert membership.membershipFee() == 0


def test_set_membership_fee_reverts_when_no_pool_is_bound(
    deployer: Any, steward: Any, admin: Any, eur: int, rules: tuple[int, int, int, int]
) -> None:
    fresh = deployer.deploy(project.Membership, steward, rules, [admin], [KIND["Pilote"]], ZERO_ADDRESS)

    with reverts(fresh.MembershipZeroAddress):
        fresh.setMembershipFee(eur, sender=steward)
    receipt = fresh.setMembershipFee(0, sender=steward)
    assert emitted(receipt) == [log(fresh.MembershipFeeChanged, previousFee=0, newFee=0)]


# --------------------------------------------------------------------------- bindPool


def test_bind_pool_binds_once(
    deployer: Any, steward: Any, admin: Any, pool: Any, rules: tuple[int, int, int, int]
) -> None:
    fresh = deployer.deploy(project.Membership, steward, rules, [admin], [KIND["Pilote"]], ZERO_ADDRESS)

    receipt = fresh.bindPool(pool, sender=deployer)

    assert emitted(receipt) == [log(fresh.PoolBound, pool=pool)]
    assert fresh.pool() == pool.address
    with reverts(fresh.MembershipPoolAlreadyBound, pool=pool):
        fresh.bindPool(admin, sender=deployer)


def test_bind_pool_reverts_when_not_deployer(
    deployer: Any, steward: Any, admin: Any, pool: Any, rules: tuple[int, int, int, int]
) -> None:
    fresh = deployer.deploy(project.Membership, steward, rules, [admin], [KIND["Pilote"]], ZERO_ADDRESS)

    with reverts(fresh.MembershipNotDeployer, caller=steward):
        fresh.bindPool(pool, sender=steward)
    assert fresh.pool() == ZERO_ADDRESS


def test_bind_pool_reverts_when_pool_is_zero(
    deployer: Any, steward: Any, admin: Any, rules: tuple[int, int, int, int]
) -> None:
    fresh = deployer.deploy(project.Membership, steward, rules, [admin], [KIND["Pilote"]], ZERO_ADDRESS)

    with reverts(fresh.MembershipZeroAddress):
        fresh.bindPool(ZERO_ADDRESS, sender=deployer)


def test_bind_pool_reverts_on_the_deployed_system(
    membership: Any, pool: Any, deployer: Any, governance: Any
) -> None:
    with reverts(membership.MembershipPoolAlreadyBound, pool=pool):
        membership.bindPool(deployer, sender=deployer)
    with reverts(membership.MembershipNotDeployer, caller=governance):
        membership.bindPool(deployer, sender=governance)
    assert membership.pool() == pool.address


# --------------------------------------------------------------------------- votes: IVotes, ERC-6372


def test_clock_is_the_block_timestamp(membership: Any) -> None:
    assert membership.clock() == chain.blocks.head.timestamp
    chain.mine(deltatime=100)
    assert membership.clock() == chain.blocks.head.timestamp
    assert membership.CLOCK_MODE() == "mode=timestamp"


def test_get_votes_is_one_per_active_member_past_probation(
    membership: Any,
    join: Callable[[Any, Any, int], None],
    serve_probation: Callable[..., None],
    admin: Any,
    member: Any,
    invitee: Any,
    outsider: Any,
) -> None:
    assert membership.getVotes(admin) == 1
    assert membership.getVotes(member) == 1
    assert membership.getVotes(outsider) == 0
    join(admin, invitee, KIND["Abeille"])
    assert membership.getVotes(invitee) == 0

    serve_probation(invitee)

    assert membership.getVotes(invitee) == 1


def test_get_past_votes_follow_probation_and_total_supply_follows_joining(
    membership: Any, admin: Any, invitee: Any, outsider: Any, probation: int
) -> None:
    count = membership.activeMemberCount()
    membership.invite(invitee, KIND["Abeille"], sender=admin)
    joined_at = next_block_in(30)

    membership.acceptInvitation(admin, KIND["Abeille"], sender=invitee)
    chain.mine(timestamp=joined_at + probation + 10)

    votes_from = joined_at + probation
    assert membership.memberOf(invitee).joinedAt == joined_at
    assert membership.memberOf(invitee).votesFrom == votes_from
    assert membership.getPastVotes(invitee, joined_at - 1) == 0
    assert membership.getPastVotes(invitee, joined_at) == 0
    assert membership.getPastVotes(invitee, votes_from - 1) == 0
    assert membership.getPastVotes(invitee, votes_from) == 1
    assert membership.getPastVotes(outsider, votes_from) == 0
    # The quorum's base counts a member from joining, probation included.
    assert membership.getPastTotalSupply(joined_at - 1) == count
    assert membership.getPastTotalSupply(joined_at) == count + 1
    assert membership.activeMemberCount() == count + 1


def test_get_past_total_supply_starts_with_the_founders(membership: Any, admin: Any) -> None:
    founded_at = membership.memberOf(admin).joinedAt
    chain.mine(deltatime=10)

    assert membership.getPastTotalSupply(founded_at - 1) == 0
    assert membership.getPastTotalSupply(founded_at) == membership.activeMemberCount()
    assert membership.getPastVotes(admin, founded_at - 1) == 0
    assert membership.getPastVotes(admin, founded_at) == 1  # founders serve no probation
    assert membership.memberOf(admin).votesFrom == founded_at


def test_get_past_votes_reverts_for_a_future_timepoint(membership: Any, admin: Any) -> None:
    now = membership.clock()

    with reverts(membership.MembershipFutureLookup, timepoint=now, clock=now):
        view_call(membership.getPastVotes, admin, now)
    with reverts(membership.MembershipFutureLookup, timepoint=now + 1, clock=now):
        view_call(membership.getPastVotes, admin, now + 1)


def test_get_past_total_supply_reverts_for_a_future_timepoint(membership: Any) -> None:
    now = membership.clock()

    with reverts(membership.MembershipFutureLookup, timepoint=now, clock=now):
        view_call(membership.getPastTotalSupply, now)


def test_delegates_is_oneself_while_active(
    membership: Any, governance: Any, member: Any, outsider: Any
) -> None:
    assert membership.delegates(member) == member.address
    assert membership.delegates(outsider) == ZERO_ADDRESS

    membership.exclude(member, "fraud", sender=governance)

    assert membership.delegates(member) == ZERO_ADDRESS


def test_delegate_reverts(membership: Any, admin: Any, member: Any) -> None:
    with reverts(membership.MembershipDelegationDisabled):
        membership.invoke_transaction("delegate", admin, sender=member)
    assert membership.getVotes(member) == 1
    assert membership.getVotes(admin) == 1


def test_delegate_by_sig_reverts(membership: Any, admin: Any, member: Any) -> None:
    expiry = chain.pending_timestamp + 3600
    with reverts(membership.MembershipDelegationDisabled):
        membership.delegateBySig.transact(admin, 0, expiry, 27, b"\x01" * 32, b"\x02" * 32, sender=member)


# --------------------------------------------------------------------------- soulbound ERC-721


def test_token_name_and_symbol(membership: Any) -> None:
    assert membership.name() == "CMIR DAO Membership"
    assert membership.symbol() == "CMIR"


def test_balance_of_is_one_per_active_member(membership: Any, member: Any, outsider: Any) -> None:
    assert membership.balanceOf(member) == 1
    assert membership.balanceOf(outsider) == 0


def test_balance_of_reverts_for_the_zero_address(membership: Any) -> None:
    with reverts(membership.MembershipZeroAddress):
        view_call(membership.balanceOf, ZERO_ADDRESS)


def test_owner_of_is_the_member_address(membership: Any, member: Any) -> None:
    assert membership.ownerOf(token_id(member)) == member.address


def test_owner_of_reverts_for_a_non_member(membership: Any, outsider: Any) -> None:
    with reverts(membership.MembershipNonexistentToken, tokenId=token_id(outsider)):
        view_call(membership.ownerOf, token_id(outsider))


def test_owner_of_reverts_for_an_id_above_any_address(membership: Any) -> None:
    with reverts(membership.MembershipNonexistentToken, tokenId=UINT160_MAX + 1):
        view_call(membership.ownerOf, UINT160_MAX + 1)


def test_owner_of_reverts_once_excluded(membership: Any, governance: Any, member: Any) -> None:
    membership.exclude(member, "fraud", sender=governance)

    with reverts(membership.MembershipNonexistentToken, tokenId=token_id(member)):
        view_call(membership.ownerOf, token_id(member))
    with reverts(membership.MembershipNonexistentToken, tokenId=token_id(member)):
        view_call(membership.locked, token_id(member))


def test_locked_is_true_for_every_member_token(membership: Any, admin: Any, member: Any) -> None:
    assert membership.locked(token_id(admin))
    assert membership.locked(token_id(member))


def test_locked_reverts_for_a_non_member(membership: Any, outsider: Any) -> None:
    with reverts(membership.MembershipNonexistentToken, tokenId=token_id(outsider)):
        view_call(membership.locked, token_id(outsider))


def test_get_approved_is_nobody(membership: Any, member: Any) -> None:
    assert membership.getApproved(token_id(member)) == ZERO_ADDRESS


def test_get_approved_reverts_for_a_non_member(membership: Any, outsider: Any) -> None:
    with reverts(membership.MembershipNonexistentToken, tokenId=token_id(outsider)):
        view_call(membership.getApproved, token_id(outsider))


def test_is_approved_for_all_is_false(membership: Any, member: Any, admin: Any) -> None:
    assert not membership.isApprovedForAll(member, admin)
    assert not membership.isApprovedForAll(member, member)


def test_approve_reverts(membership: Any, member: Any, outsider: Any) -> None:
    with reverts(membership.MembershipSoulbound):
        membership.approve.transact(outsider, token_id(member), sender=member)


def test_set_approval_for_all_reverts(membership: Any, member: Any, outsider: Any) -> None:
    with reverts(membership.MembershipSoulbound):
        membership.setApprovalForAll.transact(outsider, True, sender=member)


def test_transfer_from_reverts(membership: Any, member: Any, outsider: Any) -> None:
    with reverts(membership.MembershipSoulbound):
        membership.transferFrom.transact(member, outsider, token_id(member), sender=member)
    assert membership.ownerOf(token_id(member)) == member.address


def test_safe_transfer_from_reverts(membership: Any, member: Any, outsider: Any) -> None:
    with reverts(membership.MembershipSoulbound):
        membership.safeTransferFrom.transact(member, outsider, token_id(member), sender=member)


def test_safe_transfer_from_with_data_reverts(membership: Any, member: Any, outsider: Any) -> None:
    with reverts(membership.MembershipSoulbound):
        membership.safeTransferFrom.transact(member, outsider, token_id(member), b"data", sender=member)


ERC721_FUNCTIONS = (
    "balanceOf(address)",
    "ownerOf(uint256)",
    "safeTransferFrom(address,address,uint256,bytes)",
    "safeTransferFrom(address,address,uint256)",
    "transferFrom(address,address,uint256)",
    "approve(address,uint256)",
    "setApprovalForAll(address,bool)",
    "getApproved(uint256)",
    "isApprovedForAll(address,address)",
)


@pytest.mark.parametrize(
    ("signatures", "published"),
    [
        (ERC721_FUNCTIONS, "80ac58cd"),
        (("supportsInterface(bytes4)",), "01ffc9a7"),
        (("locked(uint256)",), "b45a3c0e"),
    ],
    ids=["ERC-721", "ERC-165", "ERC-5192"],
)
def test_supports_interface_of_the_standards(
    membership: Any, signatures: tuple[str, ...], published: str
) -> None:
    assert interface_id(*signatures) == bytes.fromhex(published)
    assert membership.supportsInterface(bytes.fromhex(published))


def test_supports_interface_of_votes_and_clock(membership: Any) -> None:
    ivotes = interface_id(
        "getVotes(address)",
        "getPastVotes(address,uint256)",
        "getPastTotalSupply(uint256)",
        "delegates(address)",
        "delegate(address)",
        "delegateBySig(address,uint256,uint256,uint8,bytes32,bytes32)",
    )
    assert membership.supportsInterface(ivotes)
    assert membership.supportsInterface(interface_id("clock()", "CLOCK_MODE()"))


def test_supports_interface_is_false_otherwise(membership: Any) -> None:
    assert not membership.supportsInterface(b"\xff\xff\xff\xff")
    assert not membership.supportsInterface(interface_id("transfer(address,uint256)"))


# --------------------------------------------------------------------------- views


def test_governance_and_pool(membership: Any, timelock: Any, pool: Any) -> None:
    assert membership.governance() == timelock.address
    assert membership.pool() == pool.address


def test_member_of_a_non_member_is_empty(membership: Any, outsider: Any) -> None:
    assert membership.memberOf(outsider) == member_record(ZERO_ADDRESS, 0, 0, 0, 0, 0)
    assert not membership.isActiveMember(outsider)
    assert membership.invitationsAvailable(outsider) == (0, 0)


def test_invitation_of_without_invitation_is_empty(membership: Any, admin: Any, outsider: Any) -> None:
    assert membership.invitationOf(outsider, admin) == (ZERO_ADDRESS, 0, 0)
    assert membership.invitationOf(outsider, ZERO_ADDRESS) == (ZERO_ADDRESS, 0, 0)


def test_relation_parties_of_founders_and_outsiders(
    membership: Any, admin: Any, member: Any, outsider: Any
) -> None:
    assert membership.relationParties(admin, member) == (True, True, ZERO_ADDRESS, ZERO_ADDRESS)
    assert membership.relationParties(outsider, member) == (False, True, ZERO_ADDRESS, ZERO_ADDRESS)
    assert membership.relationParties(member, outsider) == (True, False, ZERO_ADDRESS, ZERO_ADDRESS)


def test_relation_parties_name_active_sponsors_only(
    membership: Any,
    governance: Any,
    join: Callable[[Any, Any, int], None],
    admin: Any,
    member: Any,
    invitee: Any,
    second_invitee: Any,
) -> None:
    join(admin, invitee, KIND["Abeille"])
    join(member, second_invitee, KIND["Pilote"])
    assert membership.relationParties(invitee, second_invitee) == (True, True, admin.address, member.address)

    membership.exclude(admin, "fraud", sender=governance)

    assert membership.relationParties(invitee, second_invitee) == (True, True, ZERO_ADDRESS, member.address)
    assert membership.memberOf(invitee).sponsor == admin.address  # the record keeps who sponsored

    membership.exclude(second_invitee, "fraud", sender=governance)

    assert membership.relationParties(invitee, second_invitee) == (True, False, ZERO_ADDRESS, member.address)
