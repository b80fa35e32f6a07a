"""Governance end to end through the real Governor and timelock: members propose, vote with
reasons, queue and execute; nothing here acts as the timelock directly.

Proposals are bound to their proposer (`#proposer=` suffix), newcomers vote only after their
probation, and the quorum has a floor; the guardian, expiring approvals and the bounds of the
Governor's settings are tested in test_governor_safeguards.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from eth_utils.crypto import keccak

from cmir.chain import governance as gov
from cmir.chain.deploy import ZERO_ADDRESS
from cmir.chain.governance import ProposalState, Support
from tests.contracts.proposal_steps import expected_states, pass_vote, start_voting, timelock_salt
from tests.contracts.strict_checks import emitted, log, reverts

ZERO_BYTES32 = b"\x00" * 32
ABEILLE = 1


@pytest.fixture(scope="module")
def crowd(
    accounts: Any,
    governor: Any,
    membership: Any,
    admin: Any,
    member: Any,
    ess_member: Any,
    join: Callable[..., None],
    serve_probation: Callable[..., None],
) -> list[Any]:
    """The members once enough have joined (through invitations) that the quorum fraction asks
    for two votes (ten at 20 %), past their probation; the founders come first. The quorum is then
    three votes: the floor. `invitee` stays out."""
    numerator, denominator = int(governor.quorumNumerator()), int(governor.quorumDenominator())
    size = -(-2 * denominator // numerator)  # the fewest members whose quorum fraction is two votes
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
    serve_probation(newcomers[-1])  # the last to join is the last out of probation
    assert membership.activeMemberCount() == size
    return [admin, member, ess_member, *newcomers]


@pytest.fixture(scope="module")
def project_wallet(accounts: Any) -> Any:
    """Where the ESS project is paid (not a member)."""
    return accounts.generate_test_account()


@pytest.fixture(scope="module")
def funded_project_id(
    registry: Any, governor: Any, crowd: list[Any], ess_member: Any, project_wallet: Any
) -> int:
    """A project registered by the ESS-structure member, switched on by a vote."""
    metadata = b'{"name": "Repair cafe", "territory": "75056", "themes": ["circular economy"]}'
    receipt = registry.registerProject(
        project_wallet, "ipfs://repair-cafe.json", keccak(metadata), sender=ess_member
    )
    project_id = int(receipt.events[0].projectId)
    assert tuple(registry.payoutOf(project_id)) == (project_wallet.address, False, 1)
    gov.enact(governor, gov.activate_project(registry, project_id), crowd[0], crowd[:3])
    assert tuple(registry.payoutOf(project_id)) == (project_wallet.address, True, 1)
    return project_id


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


def _votes(governor: Any, proposal_id: int) -> tuple[int, int, int]:
    """(against, for, abstain) as the Governor tallies them."""
    against, for_, abstain = governor.proposalVotes(proposal_id)
    return int(against), int(for_), int(abstain)


def _expected_quorum(members: int, numerator: int, denominator: int, floor: int) -> int:
    """The quorum the rules give: the fraction of the members, and at least the floor (at most
    every member)."""
    return max(members * numerator // denominator, min(floor, members))


def _quorum_votes(governor: Any, membership: Any) -> int:
    """Votes a quorum needs now, from the rules (not from the Governor's `quorum`)."""
    return _expected_quorum(
        int(membership.activeMemberCount()),
        int(governor.quorumNumerator()),
        int(governor.quorumDenominator()),
        int(governor.quorumFloor()),
    )


def _pool_shares(pool: Any) -> tuple[int, int, int]:
    """The pool's (members, ESS, collective) shares in basis points."""
    shares = pool.shares()
    return int(shares.membersBps), int(shares.essBps), int(shares.collectiveBps)


def test_member_proposal_emits_proposal_created_with_its_calls(
    governor: Any, pool: Any, registry: Any, admin: Any, funded_project_id: int, ess_funds: int
) -> None:
    proposal = gov.fund_ess_project(pool, registry, funded_project_id, ess_funds).by(admin)

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
    governor: Any, pool: Any, registry: Any, outsider: Any, funded_project_id: int, ess_funds: int
) -> None:
    proposal = gov.fund_ess_project(pool, registry, funded_project_id, ess_funds).by(outsider)

    with reverts(governor.GovernorInsufficientProposerVotes, proposer=outsider, votes=0, threshold=1):
        gov.propose(governor, proposal, outsider)


def test_members_vote_for_against_and_abstain_with_reasons(
    governor: Any, pool: Any, registry: Any, crowd: list[Any], funded_project_id: int, ess_funds: int
) -> None:
    proposal = gov.fund_ess_project(pool, registry, funded_project_id, ess_funds)
    proposal_id = start_voting(governor, proposal, crowd[0])
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
    governor: Any,
    membership: Any,
    pool: Any,
    registry: Any,
    crowd: list[Any],
    funded_project_id: int,
    ess_funds: int,
) -> None:
    proposal = gov.fund_ess_project(pool, registry, funded_project_id, ess_funds).by(crowd[0])
    proposal_id = start_voting(governor, proposal, crowd[0])
    quorum = int(governor.quorum(governor.proposalSnapshot(proposal_id)))
    by_fraction = len(crowd) * int(governor.quorumNumerator()) // int(governor.quorumDenominator())
    assert quorum == _quorum_votes(governor, membership) == int(governor.quorumFloor()) == 3
    assert by_fraction == 2  # the fraction alone would have let two votes decide

    for voter in crowd[:by_fraction]:
        gov.vote(governor, proposal_id, Support.FOR, voter, "Two in favour")
    gov.wait_for_voting_end(governor, proposal_id)

    assert _votes(governor, proposal_id) == (0, 2, 0)
    assert gov.state(governor, proposal_id) == ProposalState.DEFEATED
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal_id,
        current=ProposalState.DEFEATED,
        expectedStates=expected_states(ProposalState.SUCCEEDED),
    ):
        gov.queue(governor, proposal, crowd[0])


def test_funding_proposal_is_queued_and_executed_paying_the_project(
    governor: Any,
    timelock: Any,
    membership: Any,
    pool: Any,
    registry: Any,
    token: Any,
    crowd: list[Any],
    funded_project_id: int,
    project_wallet: Any,
    ess_funds: int,
) -> None:
    amount = ess_funds * 2 // 3
    proposal = gov.fund_ess_project(pool, registry, funded_project_id, amount).by(crowd[0])
    proposal_id = start_voting(governor, proposal, crowd[0])
    voters = crowd[: _quorum_votes(governor, membership)]
    for voter in voters:
        gov.vote(governor, proposal_id, Support.FOR, voter, "Fund it")
    gov.wait_for_voting_end(governor, proposal_id)
    assert gov.state(governor, proposal_id) == ProposalState.SUCCEEDED
    salt = timelock_salt(governor, proposal)
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
    proposal = gov.set_shares(pool, *new).by(crowd[0])
    voters = crowd[: _quorum_votes(governor, membership)]

    receipt = gov.enact(governor, proposal, crowd[0], voters, "More for the ESS")

    operation = timelock.hashOperationBatch(
        proposal.targets, proposal.values, proposal.calldatas, ZERO_BYTES32, timelock_salt(governor, proposal)
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
    proposal = gov.set_shares(pool, members_bps + ess_bps - (floor - 1), floor - 1, collective_bps).by(
        crowd[0]
    )
    proposal_id = start_voting(governor, proposal, crowd[0])
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
    registry: Any,
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
    exclusion = gov.exclude_member(membership, excluded.address, "Fake invoices").by(crowd[0])

    receipt = gov.enact(governor, exclusion, crowd[0], voters)

    operation = timelock.hashOperationBatch(
        exclusion.targets,
        exclusion.values,
        exclusion.calldatas,
        ZERO_BYTES32,
        timelock_salt(governor, exclusion),
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

    proposal = gov.fund_ess_project(
        pool, registry, funded_project_id, ess_funds, "Fund the repair cafe, second round"
    )
    proposal_id = start_voting(governor, proposal, crowd[0])
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
    registry: Any,
    crowd: list[Any],
    invitee: Any,
    join: Callable[..., None],
    serve_probation: Callable[..., None],
    funded_project_id: int,
    ess_funds: int,
) -> None:
    proposal = gov.fund_ess_project(pool, registry, funded_project_id, ess_funds)
    proposal_id = start_voting(governor, proposal, crowd[0])
    snapshot = int(governor.proposalSnapshot(proposal_id))
    gov.vote(governor, proposal_id, Support.AGAINST, crowd[0])
    tallies = _votes(governor, proposal_id)

    join(crowd[0], invitee)
    serve_probation(invitee)  # its vote counts from now on, but not at the proposal's snapshot

    assert membership.memberOf(invitee).joinedAt > snapshot
    assert membership.getVotes(invitee) == 1
    assert governor.getVotes(invitee, snapshot) == 0
    assert gov.state(governor, proposal_id) == ProposalState.ACTIVE
    receipt = gov.vote(governor, proposal_id, Support.FOR, invitee, "Newcomer in favour")
    assert receipt.events == [
        governor.VoteCast(
            voter=invitee, proposalId=proposal_id, support=Support.FOR, weight=0, reason="Newcomer in favour"
        )
    ]
    assert governor.hasVoted(proposal_id, invitee)
    assert _votes(governor, proposal_id) == tallies


def test_vote_reverts_when_already_cast(
    governor: Any, pool: Any, registry: Any, crowd: list[Any], funded_project_id: int, ess_funds: int
) -> None:
    proposal = gov.fund_ess_project(pool, registry, funded_project_id, ess_funds)
    proposal_id = start_voting(governor, proposal, crowd[0])
    gov.vote(governor, proposal_id, Support.FOR, crowd[1], "Yes")

    for support in Support:
        with ape.reverts(governor.GovernorAlreadyCastVote, voter=crowd[1]):
            gov.vote(governor, proposal_id, support, crowd[1], "Changed my mind")

    assert _votes(governor, proposal_id) == (0, 1, 0)


def test_fund_ess_project_reverts_when_not_timelock(
    pool: Any,
    governor: Any,
    crowd: list[Any],
    outsider: Any,
    project_wallet: Any,
    funded_project_id: int,
    ess_funds: int,
) -> None:
    for caller in (crowd[0], crowd[2], outsider):
        with reverts(pool.RedistributionNotGovernance, caller=caller):
            pool.fundEssProject(funded_project_id, project_wallet, 1, ess_funds, sender=caller)

    assert pool.essAvailable() == ess_funds


# ---------------------------------------------------------------------------- bound proposals


def _exclusion(membership: Any, target: Any) -> gov.Proposal:
    """An unbound proposal to exclude `target`."""
    return gov.exclude_member(membership, target.address, "Never came to a meeting")


@pytest.mark.parametrize(
    "wording",
    [
        "no suffix",
        "another member's address",
        "suffix not at the end",
        "address cut short",
        "no 0x",
        "not an address",
    ],
)
def test_propose_reverts_unless_the_description_names_the_proposer(
    governor: Any, membership: Any, crowd: list[Any], wording: str
) -> None:
    proposal = _exclusion(membership, crowd[-1])
    proposer, other = crowd[0], crowd[1]
    own = proposer.address.lower()
    description = {
        "no suffix": proposal.description,
        "another member's address": proposal.by(other).description,
        "suffix not at the end": f"{proposal.description}\n\n#proposer={own} (urgent)",
        "address cut short": f"{proposal.description}\n\n#proposer={own[:-1]}",
        "no 0x": f"{proposal.description}\n\n#proposer={own[2:]}",
        # OpenZeppelin would accept this one, bound to nobody: anyone could copy or cancel it.
        "not an address": f"{proposal.description}\n\n#proposer=0x{'zz' * 20}",
    }[wording]

    with reverts(governor.GovernorRestrictedProposer, proposer=proposer):
        governor.propose(proposal.targets, proposal.values, proposal.calldatas, description, sender=proposer)


def test_the_proposer_suffix_accepts_either_case(governor: Any, membership: Any, crowd: list[Any]) -> None:
    proposal = _exclusion(membership, crowd[-1])
    proposer = crowd[0]
    description = f"{proposal.description}\n\n#proposer=0x{proposer.address[2:].upper()}"

    governor.propose(proposal.targets, proposal.values, proposal.calldatas, description, sender=proposer)

    proposal_id = governor.hashProposal(
        proposal.targets, proposal.values, proposal.calldatas, keccak(text=description)
    )
    assert governor.proposalProposer(proposal_id) == proposer.address


def test_a_member_cannot_send_another_members_proposal_first(
    governor: Any, membership: Any, crowd: list[Any]
) -> None:
    author, rival = crowd[0], crowd[1]
    authors = _exclusion(membership, crowd[-1]).by(author)
    author_id = authors.proposal_id(governor)

    # The rival sees the author's transaction pending and sends the same calls and description.
    with reverts(governor.GovernorRestrictedProposer, proposer=rival):
        gov.propose(governor, authors, rival)
    # Its own copy is another proposal: it cannot take the author's id.
    rivals = authors.by(rival)
    gov.propose(governor, rivals, rival)
    assert rivals.proposal_id(governor) != author_id
    assert governor.proposalProposer(rivals.proposal_id(governor)) == rival.address

    receipt = gov.propose(governor, authors, author)

    assert receipt.events[0].proposalId == author_id
    assert governor.proposalProposer(author_id) == author.address
    assert gov.state(governor, author_id) == ProposalState.PENDING


def test_a_member_cannot_cancel_another_members_proposal(
    governor: Any, membership: Any, crowd: list[Any]
) -> None:
    author, rival = crowd[0], crowd[1]
    proposal = _exclusion(membership, crowd[-1]).by(author)
    gov.propose(governor, proposal, author)
    proposal_id = proposal.proposal_id(governor)

    with reverts(governor.GovernorUnableToCancel, proposalId=proposal_id, account=rival):
        governor.cancel(
            proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash, sender=rival
        )

    assert gov.state(governor, proposal_id) == ProposalState.PENDING


def test_a_cancelled_proposal_can_be_proposed_again_reworded(
    governor: Any, membership: Any, crowd: list[Any]
) -> None:
    author = crowd[0]
    proposal = _exclusion(membership, crowd[-1])
    first = gov.bind_unused(governor, proposal, author)
    assert first == proposal.by(author)
    gov.propose(governor, first, author)
    first_id = first.proposal_id(governor)

    cancelled = governor.cancel(
        first.targets, first.values, first.calldatas, first.description_hash, sender=author
    )

    assert emitted(cancelled) == [log(governor.ProposalCanceled, proposalId=first_id)]
    assert gov.state(governor, first_id) == ProposalState.CANCELED
    # The very same wording is taken for good...
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=first_id,
        current=ProposalState.CANCELED,
        expectedStates=ZERO_BYTES32,
    ):
        gov.propose(governor, first, author)
    # ...so `bind_unused` words it anew: the same calls can be voted on.
    second = gov.bind_unused(governor, proposal, author)
    assert second.calls == first.calls
    assert (
        second.description == f"{proposal.description}\n\n(révision 1)\n\n#proposer={author.address.lower()}"
    )
    gov.propose(governor, second, author)
    assert gov.state(governor, second.proposal_id(governor)) == ProposalState.PENDING
    # Another member may propose the same content too, bound to itself.
    third = gov.bind_unused(governor, proposal, crowd[1])
    assert third == proposal.by(crowd[1])
    gov.propose(governor, third, crowd[1])


def test_a_proposer_cannot_cancel_once_voting_opened(
    governor: Any, membership: Any, crowd: list[Any]
) -> None:
    author = crowd[0]
    proposal = _exclusion(membership, crowd[-1]).by(author)
    proposal_id = start_voting(governor, proposal, author)

    with reverts(governor.GovernorUnableToCancel, proposalId=proposal_id, account=author):
        governor.cancel(
            proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash, sender=author
        )


# ---------------------------------------------------------------------------- probation


def test_a_member_in_probation_cannot_propose_and_its_vote_weighs_nothing(
    governor: Any,
    membership: Any,
    settings: Any,
    crowd: list[Any],
    invitee: Any,
    join: Callable[..., None],
    serve_probation: Callable[..., None],
) -> None:
    join(crowd[0], invitee)
    votes_from = int(membership.memberOf(invitee).votesFrom)
    assert votes_from == int(membership.memberOf(invitee).joinedAt) + settings.probation
    proposal = _exclusion(membership, crowd[-1])

    with reverts(governor.GovernorInsufficientProposerVotes, proposer=invitee, votes=0, threshold=1):
        gov.propose(governor, proposal.by(invitee), invitee)

    proposal_id = start_voting(governor, proposal, crowd[0])
    gov.vote(governor, proposal_id, Support.FOR, crowd[0])
    receipt = gov.vote(governor, proposal_id, Support.AGAINST, invitee, "Newcomer against")

    assert emitted(receipt) == [
        log(
            governor.VoteCast,
            voter=invitee,
            proposalId=proposal_id,
            support=Support.AGAINST,
            weight=0,
            reason="Newcomer against",
        )
    ]
    assert _votes(governor, proposal_id) == (0, 1, 0)
    assert membership.getVotes(invitee) == 0

    # Once its probation is over (at the previous second, as the Governor reads it), it proposes
    # and its vote on a proposal made then counts.
    serve_probation(invitee)
    gov.wait_until(votes_from + 1)
    later_id = start_voting(governor, proposal, invitee)
    receipt = gov.vote(governor, later_id, Support.FOR, invitee)
    assert receipt.events[0].weight == 1
    assert _votes(governor, later_id) == (0, 1, 0)


# ---------------------------------------------------------------------------- quorum floor


def test_quorum_is_the_larger_of_the_fraction_and_the_floor_at_most_every_member(
    accounts: Any, governor: Any, membership: Any, crowd: list[Any], serve_probation: Callable[..., None]
) -> None:
    """The membership goes 10 → 1 → 9 → 100 members through votes; the quorum follows the rules
    at each size: one member alone passes a proposal, and among 100 nineteen votes are not enough."""
    numerator, denominator = int(governor.quorumNumerator()), int(governor.quorumDenominator())
    floor = int(governor.quorumFloor())
    assert (numerator, denominator, floor) == (20, 100, 3)
    sizes: list[tuple[int, int]] = []  # (timepoint, members)

    def record() -> None:
        gov.wait_until(ape.chain.blocks.head.timestamp + 1)
        sizes.append((int(ape.chain.blocks.head.timestamp) - 1, int(membership.activeMemberCount())))

    def admission(count: int) -> tuple[list[Any], gov.Proposal]:
        newcomers = [accounts.generate_test_account() for _ in range(count)]
        calls = [
            gov.call(membership, "admit", account.address, ABEILLE, ZERO_ADDRESS) for account in newcomers
        ]
        return newcomers, gov.make_proposal(calls, f"Admit {count} members")

    record()  # 10 members
    survivor = crowd[0]
    exclusion = gov.make_proposal(
        [gov.call(membership, "exclude", account.address, "Leaving") for account in crowd[1:]],
        "Everyone but the first leaves",
    )
    gov.enact(governor, exclusion, survivor, crowd[:3])
    record()  # 1 member

    first, admit_eight = admission(8)
    admit_eight = admit_eight.by(survivor)
    admit_eight_id = pass_vote(governor, admit_eight, survivor, [survivor])
    assert gov.state(governor, admit_eight_id) == ProposalState.SUCCEEDED  # one vote of one
    gov.queue(governor, admit_eight, survivor)
    gov.wait_for_timelock(governor, admit_eight_id)
    gov.execute(governor, admit_eight, survivor)
    record()  # 9 members

    serve_probation(first[-1])
    for account in first:
        account.balance = 10**20
    second, admit_more = admission(91)
    gov.enact(governor, admit_more, survivor, [survivor, *first[:2]])
    record()  # 100 members

    assert [members for _, members in sizes] == [10, 1, 9, 100]
    assert [int(governor.quorum(timepoint)) for timepoint, _ in sizes] == [3, 1, 3, 20]
    for timepoint, members in sizes:
        assert int(governor.quorum(timepoint)) == _expected_quorum(members, numerator, denominator, floor)

    # Among 100 members, 19 For votes are defeated and 20 pass.
    serve_probation(second[-1])
    voters = [survivor, *first, *second[:11]]
    for account in second[:11]:
        account.balance = 10**20
    short = _exclusion(membership, second[-1]).by(survivor)
    enough = _exclusion(membership, second[-2]).by(survivor)
    short_id = start_voting(governor, short, survivor)
    enough_id = start_voting(governor, enough, survivor)
    for voter in voters[:19]:
        gov.vote(governor, short_id, Support.FOR, voter)
    for voter in voters[:20]:
        gov.vote(governor, enough_id, Support.FOR, voter)
    gov.wait_for_voting_end(governor, enough_id)
    assert int(governor.quorum(governor.proposalSnapshot(short_id))) == 20
    assert gov.state(governor, short_id) == ProposalState.DEFEATED
    assert gov.state(governor, enough_id) == ProposalState.SUCCEEDED


def test_a_quorum_floor_change_applies_to_proposals_made_after_it(
    governor: Any, timelock: Any, membership: Any, crowd: list[Any]
) -> None:
    voters = crowd[:3]
    change = gov.make_proposal([gov.call(governor, "setQuorumFloor", 5)], "Quorum floor of five").by(crowd[0])
    change_id = pass_vote(governor, change, crowd[0], voters)
    gov.queue(governor, change, crowd[0])
    before = _exclusion(membership, crowd[-1]).by(crowd[1])
    before_id = start_voting(governor, before, crowd[1])  # its snapshot is before the change
    gov.wait_for_timelock(governor, change_id)

    receipt = gov.execute(governor, change, crowd[0])

    operation = timelock.hashOperationBatch(
        change.targets, change.values, change.calldatas, ZERO_BYTES32, timelock_salt(governor, change)
    )
    assert emitted(receipt) == [
        log(governor.QuorumFloorChanged, previousFloor=3, newFloor=5),
        log(timelock.CallExecuted, id=operation, index=0, target=governor, value=0, data=change.calldatas[0]),
        log(governor.ProposalExecuted, proposalId=change_id),
    ]
    assert governor.quorumFloor() == 5
    after = _exclusion(membership, crowd[-2]).by(crowd[1])
    after_id = start_voting(governor, after, crowd[1])
    for voter in voters:
        gov.vote(governor, before_id, Support.FOR, voter)
        gov.vote(governor, after_id, Support.FOR, voter)
    gov.wait_for_voting_end(governor, after_id)

    assert int(governor.quorum(governor.proposalSnapshot(before_id))) == 3
    assert int(governor.quorum(governor.proposalSnapshot(after_id))) == 5
    assert gov.state(governor, before_id) == ProposalState.SUCCEEDED
    assert gov.state(governor, after_id) == ProposalState.DEFEATED
