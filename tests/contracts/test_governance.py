"""Governance end to end through the real Governor and timelock: members propose, vote with
reasons, queue and execute; nothing here acts as the timelock directly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from eth_utils.crypto import keccak

from cmir import governance as gov
from cmir.deployment import ZERO_ADDRESS
from cmir.governance import ProposalState, Support

ZERO_BYTES32 = b"\x00" * 32


@pytest.fixture(scope="module")
def crowd(
    accounts: Any,
    governor: Any,
    membership: Any,
    admin: Any,
    member: Any,
    ess_member: Any,
    join: Callable[..., None],
) -> list[Any]:
    """The members once enough have joined (through invitations) that a quorum needs two votes
    (ten at 20 %); the founders come first. `invitee` stays out."""
    numerator, denominator = int(governor.quorumNumerator()), int(governor.quorumDenominator())
    size = -(-2 * denominator // numerator)  # the fewest members whose quorum is two votes
    needed = size - int(membership.activeMemberCount())
    newcomers = list(accounts[7:])[:needed]
    while len(newcomers) < needed:
        newcomers.append(accounts.generate_test_account())
    for account in newcomers:
        if account.balance < 10**18:
            account.balance = 10**20  # generated accounts start empty
    sponsors = [admin, member]
    for index, account in enumerate(newcomers):
        join(sponsors[index % len(sponsors)], account)
    assert membership.activeMemberCount() == size
    return [admin, member, ess_member, *newcomers]


@pytest.fixture(scope="module")
def project_wallet(accounts: Any) -> Any:
    """Where the ESS project is paid (not a member)."""
    return accounts.generate_test_account()


@pytest.fixture(scope="module")
def funded_project_id(registry: Any, ess_member: Any, project_wallet: Any) -> int:
    """A project registered by the ESS-structure member."""
    metadata = b'{"name": "Repair cafe", "territory": "75056", "themes": ["circular economy"]}'
    receipt = registry.registerProject(
        project_wallet, "ipfs://repair-cafe.json", keccak(metadata), sender=ess_member
    )
    return int(receipt.events[0].projectId)


@pytest.fixture(scope="module")
def ess_funds(crowd: list[Any], pool: Any, fund: Callable[[Any, int], None]) -> int:
    """Members pay each other for relations, so the pool's ESS bucket holds money, and the
    counterparty has earned from the first relation's points (matured when its epoch ended);
    returns what the ESS bucket holds."""
    fee = int(pool.minRelationFee())
    payer, counterparty = crowd[0], crowd[1]
    fund(payer, 3 * fee)
    for meeting in range(3):
        if meeting == 1:
            ape.chain.pending_timestamp = ape.chain.blocks.head.timestamp + int(pool.epochClock().length)
        pool.payRelation(counterparty, fee, keccak(text=f"meeting-{meeting}"), sender=payer)
    available = int(pool.essAvailable())
    assert available > 0
    return available


@pytest.fixture(scope="module", autouse=True)
def _setup(
    module_chain_state: None,
    crowd: list[Any],
    funded_project_id: int,
    ess_funds: int,
    governor: Any,
    timelock: Any,
    token: Any,
    outsider: Any,
    invitee: Any,
) -> None:
    """Build the module's state, and every session fixture the tests use, before the first test's
    snapshot: Ape then reverts each test to the same state instead of rebasing fixtures."""


def _start(governor: Any, proposal: gov.Proposal, proposer: Any) -> int:
    """Submit `proposal` and wait until voting opens; returns its id."""
    gov.propose(governor, proposal, proposer)
    proposal_id = proposal.proposal_id(governor)
    gov.wait_for_voting_start(governor, proposal_id)
    return proposal_id


def _votes(governor: Any, proposal_id: int) -> tuple[int, int, int]:
    """(against, for, abstain) as the Governor tallies them."""
    against, for_, abstain = governor.proposalVotes(proposal_id)
    return int(against), int(for_), int(abstain)


def _quorum_votes(governor: Any, membership: Any) -> int:
    """Votes a quorum needs now: the quorum fraction of the active members."""
    return (
        int(membership.activeMemberCount())
        * int(governor.quorumNumerator())
        // int(governor.quorumDenominator())
    )


def _pool_shares(pool: Any) -> tuple[int, int, int]:
    """The pool's (members, ESS, collective) shares in basis points."""
    shares = pool.shares()
    return int(shares.membersBps), int(shares.essBps), int(shares.collectiveBps)


def _salt(governor: Any, proposal: gov.Proposal) -> bytes:
    """The timelock salt GovernorTimelockControl derives: governor address XOR description hash."""
    padded = bytes.fromhex(str(governor.address)[2:]) + b"\x00" * 12
    return bytes(a ^ b for a, b in zip(padded, proposal.description_hash, strict=True))


def test_member_proposal_emits_proposal_created_with_its_calls(
    governor: Any, pool: Any, admin: Any, funded_project_id: int, ess_funds: int
) -> None:
    proposal = gov.fund_ess_project(pool, funded_project_id, ess_funds)

    receipt = gov.propose(governor, proposal, admin)

    proposal_id = proposal.proposal_id(governor)
    snapshot = int(governor.proposalSnapshot(proposal_id))
    assert snapshot == receipt.timestamp + int(governor.votingDelay())
    assert receipt.events == [
        governor.ProposalCreated(
            proposalId=proposal_id,
            proposer=admin,
            targets=[pool.address],
            values=[0],
            signatures=[""],
            calldatas=proposal.calldatas,
            voteStart=snapshot,
            voteEnd=snapshot + int(governor.votingPeriod()),
            description=proposal.description,
        )
    ]
    assert gov.state(governor, proposal_id) == ProposalState.PENDING


def test_propose_reverts_when_not_member(
    governor: Any, pool: Any, outsider: Any, funded_project_id: int, ess_funds: int
) -> None:
    proposal = gov.fund_ess_project(pool, funded_project_id, ess_funds)

    with ape.reverts(governor.GovernorInsufficientProposerVotes):
        gov.propose(governor, proposal, outsider)


def test_members_vote_for_against_and_abstain_with_reasons(
    governor: Any, pool: Any, crowd: list[Any], funded_project_id: int, ess_funds: int
) -> None:
    proposal = gov.fund_ess_project(pool, funded_project_id, ess_funds)
    proposal_id = _start(governor, proposal, crowd[0])
    ballots = [
        (crowd[0], Support.FOR, "Repairing beats replacing"),
        (crowd[1], Support.AGAINST, "The budget should go to training first"),
        (crowd[2], Support.ABSTAIN, "We run a similar project: conflict of interest"),
    ]
    expected = {Support.AGAINST: 0, Support.FOR: 0, Support.ABSTAIN: 0}

    for voter, support, reason in ballots:
        receipt = gov.vote(governor, proposal_id, support, voter, reason)

        assert receipt.events == [
            governor.VoteCast(voter=voter, proposalId=proposal_id, support=support, weight=1, reason=reason)
        ]
        expected[support] += 1
        assert _votes(governor, proposal_id) == (
            expected[Support.AGAINST],
            expected[Support.FOR],
            expected[Support.ABSTAIN],
        )
        assert governor.hasVoted(proposal_id, voter)


def test_proposal_is_defeated_without_quorum(
    governor: Any, membership: Any, pool: Any, crowd: list[Any], funded_project_id: int, ess_funds: int
) -> None:
    proposal = gov.fund_ess_project(pool, funded_project_id, ess_funds)
    proposal_id = _start(governor, proposal, crowd[0])
    quorum = int(governor.quorum(governor.proposalSnapshot(proposal_id)))
    assert quorum == _quorum_votes(governor, membership)
    assert quorum > 1

    gov.vote(governor, proposal_id, Support.FOR, crowd[0], "Alone in favour")
    gov.wait_for_voting_end(governor, proposal_id)

    assert _votes(governor, proposal_id) == (0, 1, 0)
    assert gov.state(governor, proposal_id) == ProposalState.DEFEATED
    with ape.reverts(governor.GovernorUnexpectedProposalState):
        gov.queue(governor, proposal, crowd[0])


def test_funding_proposal_is_queued_and_executed_paying_the_project(
    governor: Any,
    timelock: Any,
    membership: Any,
    pool: Any,
    token: Any,
    crowd: list[Any],
    funded_project_id: int,
    project_wallet: Any,
    ess_funds: int,
) -> None:
    amount = ess_funds * 2 // 3
    proposal = gov.fund_ess_project(pool, funded_project_id, amount)
    proposal_id = _start(governor, proposal, crowd[0])
    voters = crowd[: _quorum_votes(governor, membership)]
    for voter in voters:
        gov.vote(governor, proposal_id, Support.FOR, voter, "Fund it")
    gov.wait_for_voting_end(governor, proposal_id)
    assert gov.state(governor, proposal_id) == ProposalState.SUCCEEDED
    salt = _salt(governor, proposal)
    operation = timelock.hashOperationBatch(
        proposal.targets, proposal.values, proposal.calldatas, ZERO_BYTES32, salt
    )
    delay = int(timelock.getMinDelay())

    queued = gov.queue(governor, proposal, crowd[-1])

    assert queued.events == [
        timelock.CallScheduled(
            id=operation,
            index=0,
            target=pool.address,
            value=0,
            data=proposal.calldatas[0],
            predecessor=ZERO_BYTES32,
            delay=delay,
        ),
        timelock.CallSalt(id=operation, salt=salt),
        governor.ProposalQueued(proposalId=proposal_id, etaSeconds=queued.timestamp + delay),
    ]
    assert gov.state(governor, proposal_id) == ProposalState.QUEUED
    with ape.reverts(timelock.TimelockUnexpectedOperationState):
        gov.execute(governor, proposal, crowd[-1])

    gov.wait_for_timelock(governor, proposal_id)
    wallet_before = int(token.balanceOf(project_wallet))
    ess_before = int(pool.essAvailable())

    executed = gov.execute(governor, proposal, crowd[-1])

    assert executed.events == [
        pool.EssProjectFunded(projectId=funded_project_id, payoutWallet=project_wallet, amount=amount),
        token.Transfer(pool.address, project_wallet, amount),
        timelock.CallExecuted(
            id=operation, index=0, target=pool.address, value=0, data=proposal.calldatas[0]
        ),
        governor.ProposalExecuted(proposalId=proposal_id),
    ]
    assert token.balanceOf(project_wallet) == wallet_before + amount
    assert pool.essAvailable() == ess_before - amount
    assert pool.totals().essDisbursed == amount
    assert gov.state(governor, proposal_id) == ProposalState.EXECUTED


def test_shares_change_above_floor_is_executed(
    governor: Any, timelock: Any, membership: Any, pool: Any, crowd: list[Any]
) -> None:
    previous = _pool_shares(pool)
    members_bps, ess_bps, collective_bps = previous
    new = (members_bps - 1000, ess_bps + 1000, collective_bps)
    proposal = gov.set_shares(pool, *new)
    voters = crowd[: _quorum_votes(governor, membership)]

    receipt = gov.enact(governor, proposal, crowd[0], voters, "More for the ESS")

    operation = timelock.hashOperationBatch(
        proposal.targets, proposal.values, proposal.calldatas, ZERO_BYTES32, _salt(governor, proposal)
    )
    assert receipt.events == [
        pool.SharesChanged(),  # struct arguments: compared below (a mock cannot hold them)
        timelock.CallExecuted(
            id=operation, index=0, target=pool.address, value=0, data=proposal.calldatas[0]
        ),
        governor.ProposalExecuted(proposalId=proposal.proposal_id(governor)),
    ]
    # Decoded as (members, ESS, collective) basis points.
    assert tuple(receipt.events[0].previousShares) == previous
    assert tuple(receipt.events[0].newShares) == new
    assert _pool_shares(pool) == new


def test_shares_change_below_floor_fails_at_execution(
    governor: Any, membership: Any, pool: Any, crowd: list[Any]
) -> None:
    previous = _pool_shares(pool)
    members_bps, ess_bps, collective_bps = previous
    floor = int(pool.essFloorBps())
    proposal = gov.set_shares(pool, members_bps + ess_bps - (floor - 1), floor - 1, collective_bps)
    proposal_id = _start(governor, proposal, crowd[0])
    for voter in crowd[: _quorum_votes(governor, membership)]:
        gov.vote(governor, proposal_id, Support.FOR, voter)
    gov.wait_for_voting_end(governor, proposal_id)
    gov.queue(governor, proposal, crowd[0])
    gov.wait_for_timelock(governor, proposal_id)

    with ape.reverts(pool.RedistributionEssShareBelowFloor, essBps=floor - 1, floorBps=floor):
        gov.execute(governor, proposal, crowd[0])

    assert _pool_shares(pool) == previous
    assert gov.state(governor, proposal_id) == ProposalState.QUEUED


def test_excluded_member_cannot_vote_later_and_keeps_its_earnings(
    governor: Any,
    timelock: Any,
    membership: Any,
    pool: Any,
    token: Any,
    fund: Callable[[Any, int], None],
    crowd: list[Any],
    funded_project_id: int,
    ess_funds: int,
) -> None:
    excluded = crowd[1]  # the counterparty of the relations paid in `ess_funds`: it holds points
    earned = int(pool.claimableOf(excluded))
    points = int(pool.pointsOf(excluded))
    assert earned > 0
    voters = [voter for voter in crowd if voter != excluded][: _quorum_votes(governor, membership)]
    exclusion = gov.exclude_member(membership, excluded.address, "Fake invoices")

    receipt = gov.enact(governor, exclusion, crowd[0], voters)

    operation = timelock.hashOperationBatch(
        exclusion.targets, exclusion.values, exclusion.calldatas, ZERO_BYTES32, _salt(governor, exclusion)
    )
    assert receipt.events == [
        membership.MemberExcluded(member=excluded, excludedAt=receipt.timestamp, reason="Fake invoices"),
        membership.DelegateVotesChanged(delegate=excluded, previousVotes=1, newVotes=0),
        membership.Transfer(excluded, ZERO_ADDRESS, int(excluded.address, 16)),
        pool.MemberRewardsFrozen(
            member=excluded,
            maturedRemoved=points,  # the vote took longer than an epoch: every point has matured
            pendingRemoved=0,
            accrued=earned,
            rewardPerPoint=pool.totals().rewardPerPoint,
        ),
        timelock.CallExecuted(
            id=operation, index=0, target=membership.address, value=0, data=exclusion.calldatas[0]
        ),
        governor.ProposalExecuted(proposalId=exclusion.proposal_id(governor)),
    ]
    assert not membership.isActiveMember(excluded)
    assert pool.pointsOf(excluded) == 0
    assert pool.claimableOf(excluded) == earned
    # Later inflows no longer accrue to the excluded member.
    fee = int(pool.minRelationFee())
    fund(crowd[0], fee)
    pool.payRelation(crowd[2], fee, keccak(text="meeting-after-exclusion"), sender=crowd[0])
    assert pool.claimableOf(excluded) == earned

    proposal = gov.fund_ess_project(pool, funded_project_id, ess_funds, "Fund the repair cafe, second round")
    proposal_id = _start(governor, proposal, crowd[0])
    gov.vote(governor, proposal_id, Support.FOR, crowd[0])
    tallies = _votes(governor, proposal_id)
    receipt = gov.vote(governor, proposal_id, Support.AGAINST, excluded, "I object")

    assert receipt.events == [
        governor.VoteCast(
            voter=excluded, proposalId=proposal_id, support=Support.AGAINST, weight=0, reason="I object"
        )
    ]
    assert governor.getVotes(excluded, governor.proposalSnapshot(proposal_id)) == 0
    assert governor.hasVoted(proposal_id, excluded)
    assert _votes(governor, proposal_id) == tallies

    balance = int(token.balanceOf(excluded))
    claimed = pool.claim(sender=excluded)

    assert claimed.events == [
        pool.RewardsClaimed(member=excluded, amount=earned, rewardPerPoint=pool.totals().rewardPerPoint),
        token.Transfer(pool.address, excluded, earned),
    ]
    assert token.balanceOf(excluded) == balance + earned
    assert pool.claimableOf(excluded) == 0


def test_member_who_joined_after_snapshot_has_zero_weight(
    governor: Any,
    membership: Any,
    pool: Any,
    crowd: list[Any],
    invitee: Any,
    join: Callable[..., None],
    funded_project_id: int,
    ess_funds: int,
) -> None:
    proposal = gov.fund_ess_project(pool, funded_project_id, ess_funds)
    proposal_id = _start(governor, proposal, crowd[0])
    snapshot = int(governor.proposalSnapshot(proposal_id))
    gov.vote(governor, proposal_id, Support.AGAINST, crowd[0])
    tallies = _votes(governor, proposal_id)

    join(crowd[0], invitee)

    assert membership.memberOf(invitee).joinedAt > snapshot
    assert membership.getVotes(invitee) == 1
    assert governor.getVotes(invitee, snapshot) == 0
    receipt = gov.vote(governor, proposal_id, Support.FOR, invitee, "Newcomer in favour")
    assert receipt.events == [
        governor.VoteCast(
            voter=invitee, proposalId=proposal_id, support=Support.FOR, weight=0, reason="Newcomer in favour"
        )
    ]
    assert governor.hasVoted(proposal_id, invitee)
    assert _votes(governor, proposal_id) == tallies


def test_vote_reverts_when_already_cast(
    governor: Any, pool: Any, crowd: list[Any], funded_project_id: int, ess_funds: int
) -> None:
    proposal = gov.fund_ess_project(pool, funded_project_id, ess_funds)
    proposal_id = _start(governor, proposal, crowd[0])
    gov.vote(governor, proposal_id, Support.FOR, crowd[1], "Yes")

    for support in Support:
        with ape.reverts(governor.GovernorAlreadyCastVote, voter=crowd[1]):
            gov.vote(governor, proposal_id, support, crowd[1], "Changed my mind")

    assert _votes(governor, proposal_id) == (0, 1, 0)


def test_fund_ess_project_reverts_when_not_timelock(
    pool: Any, governor: Any, crowd: list[Any], outsider: Any, funded_project_id: int, ess_funds: int
) -> None:
    for caller in (crowd[0], crowd[2], outsider):
        with ape.reverts(pool.RedistributionNotGovernance, caller=caller):
            pool.fundEssProject(funded_project_id, ess_funds, sender=caller)

    assert pool.essAvailable() == ess_funds
