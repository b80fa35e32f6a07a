"""Member actions without ether: a member signs an ERC-2771 ``ForwardRequest`` (and, to pay, an
EIP-2612 permit), a relayer sends it through `CmirForwarder` and pays the gas, and the CMIR
contracts act for the member (``_msgSender()``). The tests play the relayer, or anyone who saw a
signature, trying to change a request, to send it twice or late, to act for a member who never
signed, to reach the token through the forwarder, or to pass for a member by appending its address
to a direct call: each attempt moves nothing, and the attacker ends with no token it did not have."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from eth_utils.crypto import keccak

from cmir.chain import forwarder as fwd
from cmir.chain import governance as gov
from cmir.chain.deploy import MEMBER_KINDS as KIND
from cmir.chain.eip712 import Domain
from cmir.chain.forwarder import ForwardRequest
from tests.contracts.strict_checks import emitted, log, reverts

GAS = 400_000


@pytest.fixture(scope="module")
def relayer(accounts: Any) -> Any:
    """Sends signed requests and pays their gas: not a member."""
    account = accounts.generate_test_account()
    account.balance = 10**20
    return account


@pytest.fixture(scope="module")
def forwarder(system: Any) -> Any:
    return system.forwarder


@pytest.fixture(scope="module", autouse=True)
def _setup(
    module_chain_state: None,
    forwarder: Any,
    relayer: Any,
    member: Any,
    admin: Any,
    token: Any,
    pool: Any,
    membership: Any,
    registry: Any,
    governor: Any,
    serve_probation: Any,
) -> None:
    """Build the module's state before the first test's snapshot. `member` holds 100 relation fees
    in tokens and no ether: it has nothing to pay gas with."""
    token.mint(member, 100 * int(pool.minRelationFee()), sender=admin)
    member.balance = 0


def _deadline(chain: Any) -> int:
    return int(chain.blocks.head.timestamp) + 3_600


def _paid_relation(
    chain: Any, forwarder: Any, token: Any, pool: Any, payer: Any, counterparty: Any, amount: int
) -> tuple[ForwardRequest, bytes]:
    """`payer` signs a permit for `amount` and a request paying `counterparty` with it."""
    deadline = _deadline(chain)
    v, r, s = fwd.signed_permit(token, payer, pool, amount, deadline)
    call = pool.payRelationWithPermit.encode_input(
        counterparty, amount, keccak(text="devis-42"), deadline, v, r, s
    )
    return fwd.signed_request(forwarder, payer, pool, call, GAS, deadline)


def test_forwarded_payment_is_made_by_the_member_who_holds_no_ether(
    chain: Any, forwarder: Any, token: Any, pool: Any, member: Any, admin: Any, relayer: Any
) -> None:
    amount = int(pool.minRelationFee())
    request, signature = _paid_relation(chain, forwarder, token, pool, member, admin, amount)
    tokens_before, relayer_before = int(token.balanceOf(member)), relayer.balance

    receipt = fwd.relay(forwarder, request, signature, relayer)

    events = emitted(receipt)
    assert [event.event_name for event in events] == [
        "Approval",
        "RelationPaid",
        "Transfer",
        "ExecutedForwardRequest",
    ]
    paid = events[1]
    assert (paid.payer, paid.counterparty, paid.amount) == (member.address, admin.address, amount)
    assert paid.relationRef == keccak(text="devis-42")
    assert events[2] == log(token.Transfer, **{"from": member, "to": pool, "value": amount})
    assert events[3] == log(
        forwarder.ExecutedForwardRequest, signer=member, nonce=request.nonce, success=True
    )
    assert int(token.balanceOf(member)) == tokens_before - amount
    assert member.balance == 0  # the member paid no gas
    assert relayer.balance < relayer_before  # the relayer did
    assert int(forwarder.nonces(member)) == request.nonce + 1


def test_forwarded_claim_pays_the_member(
    chain: Any, forwarder: Any, token: Any, pool: Any, member: Any, admin: Any, relayer: Any
) -> None:
    amount = 10 * int(pool.minRelationFee())
    fwd.relay(forwarder, *_paid_relation(chain, forwarder, token, pool, member, admin, amount), relayer)
    chain.mine(timestamp=int(chain.blocks.head.timestamp) + int(pool.epochClock().length))
    # a later inflow rewards the matured points (the founders' relation above earned them)
    token.mint(admin, amount, sender=admin)
    token.approve(pool, amount, sender=admin)
    pool.contribute(amount, "merci", sender=admin)
    owed = int(pool.claimableOf(member))
    assert owed > 0
    before = int(token.balanceOf(member))
    request, signature = fwd.signed_request(
        forwarder, member, pool, pool.claim.encode_input(), GAS, _deadline(chain)
    )

    receipt = fwd.relay(forwarder, request, signature, relayer)

    assert [event.event_name for event in emitted(receipt)] == [
        "RewardsClaimed",
        "Transfer",
        "ExecutedForwardRequest",
    ]
    assert emitted(receipt)[0].member == member.address
    assert int(token.balanceOf(member)) == before + owed
    assert member.balance == 0


def test_forwarded_invitation_and_join_with_permit(
    chain: Any,
    forwarder: Any,
    token: Any,
    pool: Any,
    membership: Any,
    admin: Any,
    invitee: Any,
    relayer: Any,
    governance: Any,
    serve_probation: Callable[..., None],
) -> None:
    fee = int(pool.minRelationFee())
    membership.setMembershipFee(fee, sender=governance)
    serve_probation(admin, invitations=1)
    admin.balance, invitee.balance = 0, 0
    token.mint(invitee, fee, sender=relayer)
    invite = membership.invite.encode_input(invitee, KIND["Abeille"])
    fwd.relay(
        forwarder, *fwd.signed_request(forwarder, admin, membership, invite, GAS, _deadline(chain)), relayer
    )
    assert int(membership.invitationOf(invitee, admin).expiresAt) > 0
    deadline = _deadline(chain)
    v, r, s = fwd.signed_permit(token, invitee, pool, fee, deadline)
    accept = membership.acceptInvitationWithPermit.encode_input(admin, KIND["Abeille"], deadline, v, r, s)

    receipt = fwd.relay(
        forwarder, *fwd.signed_request(forwarder, invitee, membership, accept, GAS, deadline), relayer
    )

    assert membership.isActiveMember(invitee)
    assert str(membership.memberOf(invitee).sponsor) == admin.address
    assert int(token.balanceOf(invitee)) == 0  # the fee went to the pool
    assert "MembershipFeeReceived" in [event.event_name for event in emitted(receipt)]
    assert (admin.balance, invitee.balance) == (0, 0)


def test_forwarded_project_registration_is_owned_by_the_ess_member(
    chain: Any, forwarder: Any, registry: Any, ess_member: Any, relayer: Any
) -> None:
    document = b'{"name": "Atelier v\\u00e9lo", "territory": "69123"}'
    call = registry.registerProject.encode_input(
        ess_member, "https://cmir.example/meta/1.json", keccak(document)
    )
    request, signature = fwd.signed_request(forwarder, ess_member, registry, call, GAS, _deadline(chain))

    receipt = fwd.relay(forwarder, request, signature, relayer)

    registered = emitted(receipt)[0]
    assert registered.event_name == "EssProjectRegistered"
    project = registry.projectOf(int(registered.projectId))
    assert (str(project.owner), bytes(project.metadataHash)) == (ess_member.address, keccak(document))
    assert not project.active  # a member's project waits for a vote, relayed or not


def test_forwarded_proposal_is_the_members(
    chain: Any,
    forwarder: Any,
    governor: Any,
    pool: Any,
    member: Any,
    relayer: Any,
    serve_probation: Callable[..., None],
) -> None:
    serve_probation(member)
    proposal = gov.set_shares(pool, 4600, 3400, 2000).by(member)
    call = governor.propose.encode_input(
        proposal.targets, proposal.values, proposal.calldatas, proposal.description
    )
    request, signature = fwd.signed_request(forwarder, member, governor, call, GAS, _deadline(chain))

    receipt = fwd.relay(forwarder, request, signature, relayer)

    created = emitted(receipt)[0]
    assert created.event_name == "ProposalCreated"
    assert created.proposer == member.address
    assert str(governor.proposalProposer(proposal.proposal_id(governor))) == member.address


@pytest.mark.parametrize(
    "change",
    [
        {"data_counterparty": True},
        {"gas": GAS + 1},
        {"deadline_shift": 60},
        {"to_token": True},
    ],
    ids=["other-counterparty", "other-gas", "later-deadline", "other-target"],
)
def test_forwarded_payment_reverts_when_the_relayer_changes_the_request(
    chain: Any,
    forwarder: Any,
    token: Any,
    pool: Any,
    member: Any,
    admin: Any,
    ess_member: Any,
    relayer: Any,
    change: dict[str, Any],
) -> None:
    amount = int(pool.minRelationFee())
    request, signature = _paid_relation(chain, forwarder, token, pool, member, admin, amount)
    if change.get("data_counterparty"):
        data = bytes(request.data).replace(
            bytes.fromhex(admin.address[2:]), bytes.fromhex(ess_member.address[2:])
        )
        forged = replace(request, data=data)
    elif change.get("to_token"):
        forged = replace(request, to=str(token.address))
    elif "deadline_shift" in change:
        forged = replace(request, deadline=request.deadline + change["deadline_shift"])
    else:
        forged = replace(request, gas=change["gas"])
    before = int(token.balanceOf(member))

    if change.get("to_token"):
        # the token does not trust the forwarder: refused before any signature is looked at
        with reverts(forwarder.ERC2771UntrustfulTarget, target=token, forwarder=forwarder):
            fwd.relay(forwarder, forged, signature, relayer)
    else:
        signer = forged.signer(_domain(forwarder), signature)
        with reverts(forwarder.ERC2771ForwarderInvalidSigner, signer=signer, **{"from": member}):
            fwd.relay(forwarder, forged, signature, relayer)

    assert int(token.balanceOf(member)) == before
    assert int(forwarder.nonces(member)) == request.nonce


def test_forwarded_request_reverts_when_sent_twice(
    chain: Any, forwarder: Any, token: Any, pool: Any, member: Any, admin: Any, relayer: Any
) -> None:
    amount = int(pool.minRelationFee())
    request, signature = _paid_relation(chain, forwarder, token, pool, member, admin, amount)
    fwd.relay(forwarder, request, signature, relayer)
    before = int(token.balanceOf(member))

    # the nonce it signed is spent: the signature no longer matches the member's next request
    signer = replace(request, nonce=request.nonce + 1).signer(_domain(forwarder), signature)
    with reverts(forwarder.ERC2771ForwarderInvalidSigner, signer=signer, **{"from": member}):
        fwd.relay(forwarder, request, signature, relayer)

    assert int(token.balanceOf(member)) == before


def test_forwarded_request_reverts_after_its_deadline(
    chain: Any, forwarder: Any, token: Any, pool: Any, member: Any, admin: Any, relayer: Any
) -> None:
    request, signature = _paid_relation(
        chain, forwarder, token, pool, member, admin, int(pool.minRelationFee())
    )
    chain.mine(timestamp=request.deadline + 1)

    with reverts(forwarder.ERC2771ForwarderExpiredRequest, deadline=request.deadline):
        fwd.relay(forwarder, request, signature, relayer)


def test_forwarded_request_reverts_when_signed_by_another_account(
    chain: Any, forwarder: Any, token: Any, pool: Any, member: Any, admin: Any, outsider: Any, relayer: Any
) -> None:
    # the outsider signs a request naming the member as its sender, to spend the member's tokens
    amount = int(pool.minRelationFee())
    call = pool.payRelation.encode_input(outsider, amount, keccak(text="vol"))
    genuine, _ = fwd.signed_request(forwarder, member, pool, call, GAS, _deadline(chain))
    signature = genuine.sign(_domain(forwarder), outsider.private_key)
    before = int(token.balanceOf(member))

    with reverts(forwarder.ERC2771ForwarderInvalidSigner, signer=outsider, **{"from": member}):
        fwd.relay(forwarder, genuine, signature, relayer)

    assert int(token.balanceOf(member)) == before


def test_a_direct_call_cannot_pass_for_a_member_by_appending_its_address(
    chain: Any, token: Any, pool: Any, member: Any, admin: Any, outsider: Any
) -> None:
    """Only the forwarder's appended address counts: from anyone else, the caller is the caller."""
    amount = int(pool.minRelationFee())
    data = bytes(pool.payRelation.encode_input(admin, amount, keccak(text="vol"))) + bytes.fromhex(
        member.address[2:]
    )
    before = (int(token.balanceOf(member)), int(token.balanceOf(outsider)))

    with reverts(pool.RedistributionNotActiveMember, account=outsider):
        outsider.call(
            chain.provider.network.ecosystem.create_transaction(
                sender=outsider.address, receiver=pool.address, data=data, gas_limit=GAS
            )
        )

    assert (int(token.balanceOf(member)), int(token.balanceOf(outsider))) == before


def _domain(forwarder: Any) -> Domain:
    return Domain.from_eip712_domain(forwarder.eip712Domain())
