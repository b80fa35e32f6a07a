"""Votes without ether: a member signs its ballot (EIP-712 ``ExtendedBallot``, reason included)
and a relayer sends it with ``castVoteWithReasonAndParamsBySig``, paying the gas. The vote counts
for the member, once, as signed: the tests play a relayer (or anyone who saw the signature) trying
to change the ballot, to cast it twice, or to vote for a member who never signed, and a member
signing for another."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from cmir.chain import governance as gov
from cmir.chain.ballots import Ballot
from cmir.chain.eip712 import Domain
from cmir.chain.governance import Support
from tests.contracts.proposal_steps import start_voting
from tests.contracts.strict_checks import emitted, log, reverts


@pytest.fixture(scope="module")
def relayer(accounts: Any) -> Any:
    """Sends signed ballots and pays their gas: not a member."""
    account = accounts.generate_test_account()
    account.balance = 10**20
    return account


@pytest.fixture(scope="module")
def proposal_id(
    module_chain_state: None,
    governor: Any,
    pool: Any,
    admin: Any,
    member: Any,
    ess_member: Any,
    serve_probation: Callable[..., None],
) -> int:
    """An active proposal (the admin's), voting open, the founders past their probation."""
    for founder in (admin, member, ess_member):
        serve_probation(founder)
    return start_voting(governor, gov.set_shares(pool, 4600, 3400, 2000), admin)


@pytest.fixture(scope="module", autouse=True)
def _setup(proposal_id: int, relayer: Any, member: Any, ess_member: Any, outsider: Any) -> None:
    """Build the module's state before the first test's snapshot; `member` then holds no ether:
    it has nothing to pay gas with."""
    member.balance = 0


def _tally(governor: Any, proposal_id: int) -> tuple[int, int, int]:
    against, for_, abstain = governor.proposalVotes(proposal_id)
    return int(against), int(for_), int(abstain)


def test_signed_vote_counts_for_the_member_who_holds_no_ether(
    governor: Any, proposal_id: int, member: Any, relayer: Any
) -> None:
    ballot, signature = gov.signed_ballot(governor, proposal_id, Support.FOR, member, "Bon pour le réseau")
    relayer_before = relayer.balance

    receipt = gov.vote_by_signature(governor, ballot, signature, relayer)

    assert emitted(receipt) == [
        log(
            governor.VoteCast,
            voter=member,
            proposalId=proposal_id,
            support=int(Support.FOR),
            weight=1,
            reason="Bon pour le réseau",
        )
    ]
    assert governor.hasVoted(proposal_id, member)
    assert _tally(governor, proposal_id) == (0, 1, 0)
    assert member.balance == 0  # the member paid nothing
    assert relayer.balance < relayer_before  # the relayer paid the gas
    assert int(governor.nonces(member)) == ballot.nonce + 1


def test_signed_vote_reverts_when_relayed_twice(
    governor: Any, proposal_id: int, member: Any, relayer: Any
) -> None:
    ballot, signature = gov.signed_ballot(governor, proposal_id, Support.FOR, member)
    gov.vote_by_signature(governor, ballot, signature, relayer)

    # the nonce it signed is spent: the same signature no longer matches the member's next ballot
    with reverts(governor.GovernorInvalidSignature, voter=member):
        gov.vote_by_signature(governor, ballot, signature, relayer)

    assert _tally(governor, proposal_id) == (0, 1, 0)


@pytest.mark.parametrize(
    "change",
    [
        {"support": int(Support.AGAINST)},
        {"support": int(Support.ABSTAIN)},
        {"reason": "Projet détourné"},
        {"proposal_id": 1},
    ],
    ids=["support-against", "support-abstain", "reason", "another-proposal"],
)
def test_signed_vote_reverts_when_the_relayer_changes_the_ballot(
    governor: Any, proposal_id: int, member: Any, relayer: Any, change: dict[str, Any]
) -> None:
    ballot, signature = gov.signed_ballot(governor, proposal_id, Support.FOR, member, "Pour")
    altered = replace(ballot, **change)

    with reverts(governor.GovernorInvalidSignature, voter=member):
        gov.vote_by_signature(governor, altered, signature, relayer)

    assert not governor.hasVoted(proposal_id, member)
    # the genuine ballot still goes through afterwards (nothing was spent by the forgery)
    gov.vote_by_signature(governor, ballot, signature, relayer)
    assert _tally(governor, proposal_id) == (0, 1, 0)


def test_signed_vote_reverts_when_signed_by_another_account(
    governor: Any, proposal_id: int, member: Any, ess_member: Any, relayer: Any
) -> None:
    """A member (or the relayer) signs a ballot naming another member as the voter."""
    forged = Ballot(proposal_id, int(Support.AGAINST), str(member.address), int(governor.nonces(member)), "")
    signature = forged.sign(Domain.from_eip712_domain(governor.eip712Domain()), ess_member.private_key)

    with reverts(governor.GovernorInvalidSignature, voter=member):
        gov.vote_by_signature(governor, forged, signature, relayer)

    assert not governor.hasVoted(proposal_id, member)
    assert not governor.hasVoted(proposal_id, ess_member)
    assert _tally(governor, proposal_id) == (0, 0, 0)


def test_signed_vote_reverts_when_signed_for_another_governor(
    governor: Any, proposal_id: int, member: Any, relayer: Any, chain: Any
) -> None:
    """A ballot signed for another contract or chain (the domain binds both) is not this one's."""
    ballot, _ = gov.signed_ballot(governor, proposal_id, Support.FOR, member)
    domain = Domain.from_eip712_domain(governor.eip712Domain())
    for elsewhere in (
        replace(domain, chain_id=domain.chain_id + 1),
        replace(domain, verifying_contract=str(relayer.address)),
    ):
        signature = ballot.sign(elsewhere, member.private_key)
        with reverts(governor.GovernorInvalidSignature, voter=member):
            gov.vote_by_signature(governor, ballot, signature, relayer)

    assert not governor.hasVoted(proposal_id, member)


def test_signed_vote_of_a_non_member_weighs_nothing(
    governor: Any, proposal_id: int, outsider: Any, relayer: Any
) -> None:
    """Relaying opens no back door: an outsider's signed ballot counts as its direct vote would, 0."""
    ballot, signature = gov.signed_ballot(governor, proposal_id, Support.AGAINST, outsider)

    receipt = gov.vote_by_signature(governor, ballot, signature, relayer)

    assert emitted(receipt) == [
        log(governor.VoteCast, voter=outsider, proposalId=proposal_id, support=0, weight=0, reason="")
    ]
    assert _tally(governor, proposal_id) == (0, 0, 0)


def test_signed_vote_reverts_when_the_member_already_voted(
    governor: Any, proposal_id: int, ess_member: Any, relayer: Any
) -> None:
    gov.vote(governor, proposal_id, Support.FOR, ess_member)
    ballot, signature = gov.signed_ballot(governor, proposal_id, Support.AGAINST, ess_member)

    with reverts(governor.GovernorAlreadyCastVote, voter=ess_member):
        gov.vote_by_signature(governor, ballot, signature, relayer)

    assert _tally(governor, proposal_id) == (0, 1, 0)


def test_ballot_signature_recovers_the_voter(governor: Any, proposal_id: int, member: Any) -> None:
    """What the relayer checks before paying: the signer of the ballot is its voter."""
    ballot, signature = gov.signed_ballot(governor, proposal_id, Support.FOR, member, "Pour")
    domain = Domain.from_eip712_domain(governor.eip712Domain())

    assert ballot.signer(domain, signature) == member.address
    assert replace(ballot, reason="Contre").signer(domain, signature) != member.address
