"""The Governor's safeguards, end to end through the real Governor and timelock: the guardian
("conseil de surveillance") who may only cancel a proposal before it runs, approvals that expire
after a grace period, and bounded settings. Every governed change goes through a full vote; the
timelock is impersonated only to show what it cannot do outside a proposal's execution.

The network is the three founders (a quorum of three: the floor, capped at every member); each
test proposes, votes, queues and executes as members do. Proposals bound to their proposer,
probation and the quorum floor are tested in test_governance.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ape.exceptions import VirtualMachineError
from eth_utils.crypto import keccak

from cmir.chain import governance as gov
from cmir.chain.deploy import ZERO_ADDRESS
from cmir.chain.governance import ProposalState, Support
from tests.contracts.chain_clock import ChainClock
from tests.contracts.proposal_steps import expected_states, pass_vote, start_voting, timelock_salt
from tests.contracts.strict_checks import emitted, log, reverts

ZERO_BYTES32 = b"\x00" * 32
DAY = 86_400
REASON = "Capture en cours : quarante comptes invités en une semaine, tous pour ce financement"
# Every state OpenZeppelin's `_cancel` accepts: all but Canceled, Expired and Executed.
CANCELLABLE = (
    ProposalState.PENDING,
    ProposalState.ACTIVE,
    ProposalState.DEFEATED,
    ProposalState.SUCCEEDED,
    ProposalState.QUEUED,
)


# ---------------------------------------------------------------------------- module state


@pytest.fixture(scope="module")
def founders(admin: Any, member: Any, ess_member: Any) -> list[Any]:
    """Every member: a quorum needs all three."""
    return [admin, member, ess_member]


@pytest.fixture(scope="module")
def project_wallet(accounts: Any) -> Any:
    """Where the ESS project is paid (not a member)."""
    return accounts.generate_test_account()


@pytest.fixture(scope="module")
def project_id(
    registry: Any, governor: Any, founders: list[Any], ess_member: Any, project_wallet: Any
) -> int:
    """A project registered by the ESS-structure founder and switched on by a vote."""
    receipt = registry.registerProject(
        project_wallet, "ipfs://repair-cafe.json", keccak(text="repair cafe"), sender=ess_member
    )
    registered = int(receipt.events[0].projectId)
    gov.enact(governor, gov.activate_project(registry, registered), founders[0], founders)
    assert tuple(registry.payoutOf(registered)) == (project_wallet.address, True, 1)
    return registered


@pytest.fixture(scope="module")
def ess_funds(pool: Any, fund: Callable[[Any, int], None], admin: Any, member: Any) -> int:
    """Relations between founders fill the pool's ESS bucket; returns what it holds."""
    fee = int(pool.minRelationFee())
    fund(admin, 5 * fee)
    for meeting in range(5):
        pool.payRelation(member, fee, keccak(text=f"meeting-{meeting}"), sender=admin)
    available = int(pool.essAvailable())
    assert available > 0
    return available


@pytest.fixture(scope="module", autouse=True)
def _setup(
    module_chain_state: None,
    project_id: int,
    ess_funds: int,
    governor: Any,
    timelock: Any,
    membership: Any,
    pool: Any,
    registry: Any,
    token: Any,
    guardian: Any,
    outsider: Any,
    deployer: Any,
    governance: Any,
) -> None:
    """Build the module's state, and every session fixture the tests use, before the first test's
    snapshot: Ape then reverts each test to the same state instead of rebasing fixtures."""


# ---------------------------------------------------------------------------- helpers


def _operation(governor: Any, timelock: Any, proposal: gov.Proposal) -> bytes:
    """The timelock operation id of a queued proposal."""
    return bytes(
        timelock.hashOperationBatch(
            proposal.targets,
            proposal.values,
            proposal.calldatas,
            ZERO_BYTES32,
            timelock_salt(governor, proposal),
        )
    )


def _execution_logs(governor: Any, timelock: Any, proposal: gov.Proposal) -> list[Any]:
    """The events closing the execution of `proposal` (one call of the Governor itself)."""
    return [
        log(
            timelock.CallExecuted,
            id=_operation(governor, timelock, proposal),
            index=0,
            target=governor,
            value=0,
            data=proposal.calldatas[0],
        ),
        log(governor.ProposalExecuted, proposalId=proposal.proposal_id(governor)),
    ]


def _funding(
    pool: Any, registry: Any, project_id: int, amount: int, proposer: Any, text: str
) -> gov.Proposal:
    """A funding of project `project_id`, bound to `proposer`."""
    return gov.fund_ess_project(pool, registry, project_id, amount, text).by(proposer)


def _guardian_change(governor: Any, new_guardian: Any, proposer: Any) -> gov.Proposal:
    """A proposal naming `new_guardian`, bound to `proposer`."""
    address = getattr(new_guardian, "address", new_guardian)
    return gov.make_proposal([gov.call(governor, "setGuardian", address)], f"Guardian: {address}").by(
        proposer
    )


def _to_stage(governor: Any, proposal: gov.Proposal, founders: list[Any], stage: ProposalState) -> int:
    """Bring the bound `proposal` (by founders[0]) to `stage`; returns its id."""
    proposer = founders[0]
    gov.propose(governor, proposal, proposer)
    proposal_id = proposal.proposal_id(governor)
    if stage != ProposalState.PENDING:
        gov.wait_for_voting_start(governor, proposal_id)
        for voter in founders:
            gov.vote(governor, proposal_id, Support.FOR, voter)
    if stage in (ProposalState.SUCCEEDED, ProposalState.QUEUED):
        gov.wait_for_voting_end(governor, proposal_id)
    if stage == ProposalState.QUEUED:
        gov.queue(governor, proposal, proposer)
    assert gov.state(governor, proposal_id) == stage
    return proposal_id


# ---------------------------------------------------------------------------- the guardian


@pytest.mark.parametrize(
    "stage", [ProposalState.PENDING, ProposalState.ACTIVE, ProposalState.SUCCEEDED], ids=lambda s: s.name
)
def test_guardian_cancels_a_proposal_before_it_is_queued_giving_its_reason(
    governor: Any,
    pool: Any,
    registry: Any,
    clock: ChainClock,
    founders: list[Any],
    guardian: Any,
    project_id: int,
    ess_funds: int,
    stage: ProposalState,
) -> None:
    proposal = _funding(pool, registry, project_id, ess_funds, founders[0], "Fund the repair cafe")
    proposal_id = _to_stage(governor, proposal, founders, stage)

    receipt = gov.guardian_cancel(governor, proposal, REASON, guardian)

    assert emitted(receipt) == [
        log(governor.ProposalCanceledByGuardian, proposalId=proposal_id, guardian=guardian, reason=REASON),
        log(governor.ProposalCanceled, proposalId=proposal_id),
    ]
    assert gov.state(governor, proposal_id) == ProposalState.CANCELED
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal_id,
        current=ProposalState.CANCELED,
        expectedStates=expected_states(ProposalState.SUCCEEDED),
    ):
        gov.queue(governor, proposal, founders[0])


def test_guardian_cancels_a_queued_proposal_and_its_timelock_operation(
    governor: Any,
    timelock: Any,
    pool: Any,
    registry: Any,
    token: Any,
    founders: list[Any],
    guardian: Any,
    project_wallet: Any,
    project_id: int,
    ess_funds: int,
) -> None:
    proposal = _funding(pool, registry, project_id, ess_funds, founders[0], "Fund the repair cafe")
    proposal_id = _to_stage(governor, proposal, founders, ProposalState.QUEUED)
    operation = _operation(governor, timelock, proposal)
    assert timelock.isOperationPending(operation)

    receipt = gov.guardian_cancel(governor, proposal, REASON, guardian)

    assert emitted(receipt) == [
        log(governor.ProposalCanceledByGuardian, proposalId=proposal_id, guardian=guardian, reason=REASON),
        log(governor.ProposalCanceled, proposalId=proposal_id),
        log(timelock.Cancelled, id=operation),
    ]
    assert not timelock.isOperation(operation)
    assert gov.state(governor, proposal_id) == ProposalState.CANCELED
    gov.wait_for_timelock(governor, proposal_id)
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal_id,
        current=ProposalState.CANCELED,
        expectedStates=expected_states(ProposalState.SUCCEEDED, ProposalState.QUEUED),
    ):
        gov.execute(governor, proposal, founders[0])
    assert token.balanceOf(project_wallet) == 0
    assert pool.essAvailable() == ess_funds


def test_a_proposal_cancelled_by_the_guardian_can_be_proposed_again(
    governor: Any,
    pool: Any,
    registry: Any,
    founders: list[Any],
    guardian: Any,
    project_id: int,
    ess_funds: int,
) -> None:
    """The guardian delays: members who still want it propose it again, reworded by `bind_unused`."""
    unbound = gov.fund_ess_project(pool, registry, project_id, ess_funds, "Fund the repair cafe")
    proposal = gov.bind_unused(governor, unbound, founders[0])
    proposal_id = _to_stage(governor, proposal, founders, ProposalState.PENDING)
    gov.guardian_cancel(governor, proposal, REASON, guardian)

    again = gov.bind_unused(governor, unbound, founders[0])

    assert again.proposal_id(governor) != proposal_id
    gov.propose(governor, again, founders[0])
    assert gov.state(governor, again.proposal_id(governor)) == ProposalState.PENDING


@pytest.mark.parametrize("caller_name", ["admin", "member", "outsider", "governance", "deployer"])
def test_guardian_cancel_reverts_for_anyone_else(
    request: pytest.FixtureRequest,
    governor: Any,
    pool: Any,
    registry: Any,
    clock: ChainClock,
    founders: list[Any],
    project_id: int,
    ess_funds: int,
    caller_name: str,
) -> None:
    caller = request.getfixturevalue(caller_name)
    proposal = _funding(pool, registry, project_id, ess_funds, founders[0], "Fund the repair cafe")
    proposal_id = _to_stage(governor, proposal, founders, ProposalState.PENDING)

    with reverts(governor.CmirGovernorNotGuardian, caller=caller):
        gov.guardian_cancel(governor, proposal, "not mine to cancel", caller)

    assert gov.state(governor, proposal_id) == ProposalState.PENDING


def test_guardian_cannot_cancel_an_executed_or_expired_proposal(
    governor: Any,
    pool: Any,
    registry: Any,
    clock: ChainClock,
    founders: list[Any],
    guardian: Any,
    project_id: int,
    ess_funds: int,
) -> None:
    executed = _funding(pool, registry, project_id, ess_funds // 4, founders[0], "First quarter")
    executed_id = _to_stage(governor, executed, founders, ProposalState.QUEUED)
    expired = _funding(pool, registry, project_id, ess_funds // 4, founders[0], "Second quarter")
    expired_id = _to_stage(governor, expired, founders, ProposalState.SUCCEEDED)
    gov.wait_for_timelock(governor, executed_id)
    gov.execute(governor, executed, founders[0])
    clock.travel_to(int(governor.proposalExpiresAt(expired_id)) + 1)

    for proposal, proposal_id, current in (
        (executed, executed_id, ProposalState.EXECUTED),
        (expired, expired_id, ProposalState.EXPIRED),
    ):
        with reverts(
            governor.GovernorUnexpectedProposalState,
            proposalId=proposal_id,
            current=current,
            expectedStates=expected_states(*CANCELLABLE),
        ):
            gov.guardian_cancel(governor, proposal, REASON, guardian)


def test_guardian_cannot_cancel_a_proposal_before_it_is_made(
    governor: Any,
    pool: Any,
    registry: Any,
    founders: list[Any],
    guardian: Any,
    project_id: int,
    ess_funds: int,
) -> None:
    """It cannot block content in advance: only a proposal that exists can be cancelled."""
    proposal = _funding(pool, registry, project_id, ess_funds, founders[0], "Fund the repair cafe")
    proposal_id = proposal.proposal_id(governor)

    with reverts(governor.GovernorNonexistentProposal, proposalId=proposal_id):
        gov.guardian_cancel(governor, proposal, REASON, guardian)

    gov.propose(governor, proposal, founders[0])
    assert gov.state(governor, proposal_id) == ProposalState.PENDING


@pytest.mark.parametrize("stage", [ProposalState.PENDING, ProposalState.QUEUED], ids=lambda s: s.name)
def test_guardian_cannot_cancel_the_proposal_that_replaces_it(
    governor: Any,
    clock: ChainClock,
    founders: list[Any],
    guardian: Any,
    outsider: Any,
    stage: ProposalState,
) -> None:
    proposal = _guardian_change(governor, outsider, founders[0])
    proposal_id = _to_stage(governor, proposal, founders, stage)

    with reverts(governor.CmirGovernorGuardianCannotCancelReplacement, proposalId=proposal_id):
        gov.guardian_cancel(governor, proposal, "I object to my replacement", guardian)

    assert gov.state(governor, proposal_id) == stage


@pytest.mark.parametrize("position", [0, 1])
def test_a_guardian_change_cannot_carry_another_action(
    governor: Any,
    pool: Any,
    registry: Any,
    founders: list[Any],
    outsider: Any,
    project_id: int,
    ess_funds: int,
    position: int,
) -> None:
    """Otherwise a funding riding on a guardian change would escape the guardian."""
    funding = gov.call(pool, "fundEssProject", project_id, *registry.payoutOf(project_id)[::2], ess_funds)
    change = gov.call(governor, "setGuardian", outsider.address)
    calls = [change, funding] if position == 0 else [funding, change]
    proposal = gov.make_proposal(calls, "New guardian, and the money").by(founders[0])

    with reverts(governor.CmirGovernorGuardianChangeNotAlone, actions=2):
        gov.propose(governor, proposal, founders[0])


def test_set_guardian_through_a_vote_names_the_new_guardian(
    governor: Any,
    timelock: Any,
    pool: Any,
    registry: Any,
    clock: ChainClock,
    founders: list[Any],
    guardian: Any,
    outsider: Any,
    project_id: int,
    ess_funds: int,
) -> None:
    assert governor.guardian() == guardian.address
    change = _guardian_change(governor, outsider, founders[0])

    receipt = gov.enact(governor, change, founders[0], founders)

    assert emitted(receipt) == [
        log(governor.GuardianChanged, previousGuardian=guardian, newGuardian=outsider),
        *_execution_logs(governor, timelock, change),
    ]
    assert governor.guardian() == outsider.address
    proposal = _funding(pool, registry, project_id, ess_funds, founders[0], "Fund the repair cafe")
    proposal_id = _to_stage(governor, proposal, founders, ProposalState.PENDING)
    with reverts(governor.CmirGovernorNotGuardian, caller=guardian):
        gov.guardian_cancel(governor, proposal, REASON, guardian)
    gov.guardian_cancel(governor, proposal, REASON, outsider)
    assert gov.state(governor, proposal_id) == ProposalState.CANCELED


def test_governance_may_name_no_guardian(
    governor: Any,
    timelock: Any,
    pool: Any,
    registry: Any,
    clock: ChainClock,
    founders: list[Any],
    guardian: Any,
    project_id: int,
    ess_funds: int,
) -> None:
    change = _guardian_change(governor, ZERO_ADDRESS, founders[0])

    receipt = gov.enact(governor, change, founders[0], founders)

    assert emitted(receipt) == [
        log(governor.GuardianChanged, previousGuardian=guardian, newGuardian=ZERO_ADDRESS),
        *_execution_logs(governor, timelock, change),
    ]
    assert governor.guardian() == ZERO_ADDRESS
    proposal = _funding(pool, registry, project_id, ess_funds, founders[0], "Fund the repair cafe")
    _to_stage(governor, proposal, founders, ProposalState.PENDING)
    with reverts(governor.CmirGovernorNotGuardian, caller=guardian):
        gov.guardian_cancel(governor, proposal, REASON, guardian)


def test_the_guardian_has_no_other_power(
    governor: Any,
    timelock: Any,
    membership: Any,
    pool: Any,
    registry: Any,
    token: Any,
    clock: ChainClock,
    founders: list[Any],
    guardian: Any,
    outsider: Any,
    project_wallet: Any,
    project_id: int,
    ess_funds: int,
) -> None:
    """Not a member, no vote, no token; it cannot propose, cancel as a proposer, change a setting,
    run anything on the timelock or move money: its only call is `guardianCancel`."""
    assert not membership.isActiveMember(guardian)
    assert membership.balanceOf(guardian) == 0
    assert membership.getVotes(guardian) == 0
    assert token.balanceOf(guardian) == 0
    proposal = _funding(pool, registry, project_id, ess_funds, founders[0], "Fund the repair cafe")
    proposal_id = _to_stage(governor, proposal, founders, ProposalState.PENDING)

    with reverts(governor.GovernorInsufficientProposerVotes, proposer=guardian, votes=0, threshold=1):
        gov.propose(governor, proposal.by(guardian), guardian)
    with reverts(governor.GovernorUnableToCancel, proposalId=proposal_id, account=guardian):
        governor.cancel(
            proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash, sender=guardian
        )
    for setter, value in (
        ("setGuardian", outsider.address),
        ("setQuorumFloor", 1),
        ("setApprovalGracePeriod", DAY),
    ):
        with reverts(governor.GovernorOnlyExecutor, account=guardian):
            getattr(governor, setter)(value, sender=guardian)
    with reverts(pool.RedistributionNotGovernance, caller=guardian):
        pool.fundEssProject(project_id, project_wallet, 1, ess_funds, sender=guardian)
    with reverts(pool.RedistributionNotSteward, caller=guardian):
        pool.spendCollective(guardian, 1, "for me", sender=guardian)

    # Its vote weighs nothing; the proposal passes with the members' and is queued.
    gov.wait_for_voting_start(governor, proposal_id)
    receipt = gov.vote(governor, proposal_id, Support.AGAINST, guardian, "Non")
    assert receipt.events[0].weight == 0
    for voter in founders:
        gov.vote(governor, proposal_id, Support.FOR, voter)
    gov.wait_for_voting_end(governor, proposal_id)
    gov.queue(governor, proposal, founders[0])
    operation = _operation(governor, timelock, proposal)
    for role in ("CANCELLER_ROLE", "EXECUTOR_ROLE", "PROPOSER_ROLE"):
        assert not timelock.hasRole(getattr(timelock, role)(), guardian)
    with reverts(
        timelock.AccessControlUnauthorizedAccount, account=guardian, neededRole=timelock.CANCELLER_ROLE()
    ):
        timelock.cancel(operation, sender=guardian)
    gov.wait_for_timelock(governor, proposal_id)
    with reverts(
        timelock.AccessControlUnauthorizedAccount, account=guardian, neededRole=timelock.EXECUTOR_ROLE()
    ):
        timelock.executeBatch(
            proposal.targets,
            proposal.values,
            proposal.calldatas,
            ZERO_BYTES32,
            timelock_salt(governor, proposal),
            sender=guardian,
        )
    # Like anyone, it may execute the approved proposal through the Governor: as voted.
    gov.execute(governor, proposal, guardian)
    assert token.balanceOf(project_wallet) == ess_funds
    assert token.balanceOf(guardian) == 0


# ---------------------------------------------------------------------------- approvals expire


def test_a_succeeded_proposal_not_queued_within_the_grace_period_expires(
    governor: Any,
    pool: Any,
    registry: Any,
    clock: ChainClock,
    settings: Any,
    founders: list[Any],
    project_id: int,
    ess_funds: int,
) -> None:
    proposal = _funding(pool, registry, project_id, ess_funds, founders[0], "Fund the repair cafe")
    proposal_id = pass_vote(governor, proposal, founders[0], founders)
    deadline = int(governor.proposalDeadline(proposal_id))
    expires_at = int(governor.proposalExpiresAt(proposal_id))
    assert expires_at == deadline + settings.approval_grace_period

    clock.travel_to(expires_at)
    assert gov.state(governor, proposal_id) == ProposalState.SUCCEEDED
    clock.travel(1)

    assert gov.state(governor, proposal_id) == ProposalState.EXPIRED
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal_id,
        current=ProposalState.EXPIRED,
        expectedStates=expected_states(ProposalState.SUCCEEDED),
    ):
        gov.queue(governor, proposal, founders[0])
    assert pool.essAvailable() == ess_funds


def test_a_succeeded_proposal_queued_on_the_last_second_of_grace_runs_within_its_own(
    governor: Any,
    pool: Any,
    registry: Any,
    token: Any,
    clock: ChainClock,
    settings: Any,
    founders: list[Any],
    project_wallet: Any,
    project_id: int,
    ess_funds: int,
) -> None:
    proposal = _funding(pool, registry, project_id, ess_funds, founders[0], "Fund the repair cafe")
    proposal_id = pass_vote(governor, proposal, founders[0], founders)
    clock.travel_to(int(governor.proposalExpiresAt(proposal_id)))

    queued = gov.queue(governor, proposal, founders[0])

    eta = queued.timestamp + settings.timelock_delay
    assert int(governor.proposalEta(proposal_id)) == eta
    assert int(governor.proposalExpiresAt(proposal_id)) == eta + settings.approval_grace_period
    clock.travel_to(eta + settings.approval_grace_period)  # its last second
    gov.execute(governor, proposal, founders[0])
    assert gov.state(governor, proposal_id) == ProposalState.EXECUTED
    assert token.balanceOf(project_wallet) == ess_funds


def test_a_queued_proposal_not_executed_within_the_grace_period_expires(
    accounts: Any,
    governor: Any,
    timelock: Any,
    pool: Any,
    registry: Any,
    token: Any,
    clock: ChainClock,
    settings: Any,
    founders: list[Any],
    project_wallet: Any,
    project_id: int,
    ess_funds: int,
) -> None:
    proposal = _funding(pool, registry, project_id, ess_funds, founders[0], "Fund the repair cafe")
    proposal_id = pass_vote(governor, proposal, founders[0], founders)
    queued = gov.queue(governor, proposal, founders[0])
    eta = int(governor.proposalEta(proposal_id))
    assert eta == queued.timestamp + settings.timelock_delay
    assert int(governor.proposalExpiresAt(proposal_id)) == eta + settings.approval_grace_period

    clock.travel_to(eta + settings.approval_grace_period + 1)

    assert gov.state(governor, proposal_id) == ProposalState.EXPIRED
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal_id,
        current=ProposalState.EXPIRED,
        expectedStates=expected_states(ProposalState.SUCCEEDED, ProposalState.QUEUED),
    ):
        gov.execute(governor, proposal, founders[0])
    # Nor can anyone run the operation on the timelock directly: the Governor is its only executor.
    executor_role = timelock.EXECUTOR_ROLE()
    assert timelock.isOperationReady(_operation(governor, timelock, proposal))
    for caller in (founders[0], accounts[0]):
        with reverts(timelock.AccessControlUnauthorizedAccount, account=caller, neededRole=executor_role):
            timelock.executeBatch(
                proposal.targets,
                proposal.values,
                proposal.calldatas,
                ZERO_BYTES32,
                timelock_salt(governor, proposal),
                sender=caller,
            )
    assert token.balanceOf(project_wallet) == 0


def _failing_funding(
    governor: Any, pool: Any, registry: Any, founders: list[Any], project_id: int, ess_funds: int
) -> tuple[gov.Proposal, int]:
    """A funding of more than the ESS bucket holds, voted and queued, whose execution reverts."""
    proposal = _funding(pool, registry, project_id, ess_funds + 1, founders[0], "Fund the repair cafe")
    proposal_id = pass_vote(governor, proposal, founders[0], founders)
    gov.queue(governor, proposal, founders[0])
    gov.wait_for_timelock(governor, proposal_id)
    with reverts(pool.RedistributionInsufficientFunds, requested=ess_funds + 1, available=ess_funds):
        gov.execute(governor, proposal, founders[0])
    assert gov.state(governor, proposal_id) == ProposalState.QUEUED
    return proposal, proposal_id


def test_a_queued_funding_that_failed_can_be_retried_within_the_grace_period(
    governor: Any,
    pool: Any,
    registry: Any,
    token: Any,
    clock: ChainClock,
    fund: Callable[[Any, int], None],
    founders: list[Any],
    outsider: Any,
    project_wallet: Any,
    project_id: int,
    ess_funds: int,
) -> None:
    proposal, proposal_id = _failing_funding(governor, pool, registry, founders, project_id, ess_funds)
    clock.travel_to(int(governor.proposalExpiresAt(proposal_id)))  # the last second of grace
    fund(outsider, 10 * 10**6)
    pool.contribute(10 * 10**6, "un don", sender=outsider)  # the ESS bucket now holds enough

    gov.execute(governor, proposal, founders[0])

    assert token.balanceOf(project_wallet) == ess_funds + 1
    assert gov.state(governor, proposal_id) == ProposalState.EXECUTED


def test_a_queued_funding_that_failed_cannot_be_retried_after_the_grace_period(
    governor: Any,
    pool: Any,
    registry: Any,
    token: Any,
    clock: ChainClock,
    fund: Callable[[Any, int], None],
    founders: list[Any],
    outsider: Any,
    project_wallet: Any,
    project_id: int,
    ess_funds: int,
) -> None:
    """The issue's case: a funding that failed was run months later, when the bucket had grown."""
    proposal, proposal_id = _failing_funding(governor, pool, registry, founders, project_id, ess_funds)
    fund(outsider, 10 * 10**6)
    pool.contribute(10 * 10**6, "un don", sender=outsider)  # enough now, but too late
    clock.travel_to(int(governor.proposalExpiresAt(proposal_id)) + 1)

    assert gov.state(governor, proposal_id) == ProposalState.EXPIRED
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal_id,
        current=ProposalState.EXPIRED,
        expectedStates=expected_states(ProposalState.SUCCEEDED, ProposalState.QUEUED),
    ):
        gov.execute(governor, proposal, founders[0])
    clock.travel(365 * DAY)
    assert gov.state(governor, proposal_id) == ProposalState.EXPIRED
    assert token.balanceOf(project_wallet) == 0


def test_a_grace_period_change_applies_to_proposals_made_after_it(
    governor: Any,
    timelock: Any,
    pool: Any,
    registry: Any,
    clock: ChainClock,
    settings: Any,
    founders: list[Any],
    project_id: int,
    ess_funds: int,
) -> None:
    grace = settings.approval_grace_period
    change = gov.make_proposal(
        [gov.call(governor, "setApprovalGracePeriod", 2 * grace)], "Longer grace period"
    ).by(founders[0])
    change_id = pass_vote(governor, change, founders[0], founders)
    gov.queue(governor, change, founders[0])
    before = _funding(pool, registry, project_id, ess_funds, founders[1], "Before the change")
    before_id = start_voting(governor, before, founders[1])  # its snapshot is before the change
    gov.wait_for_timelock(governor, change_id)

    receipt = gov.execute(governor, change, founders[0])

    assert emitted(receipt) == [
        log(governor.ApprovalGracePeriodChanged, previousGrace=grace, newGrace=2 * grace),
        *_execution_logs(governor, timelock, change),
    ]
    assert governor.approvalGracePeriod() == 2 * grace
    after = _funding(pool, registry, project_id, ess_funds, founders[1], "After the change")
    after_id = start_voting(governor, after, founders[1])
    for voter in founders:
        gov.vote(governor, before_id, Support.FOR, voter)
        gov.vote(governor, after_id, Support.FOR, voter)
    gov.wait_for_voting_end(governor, after_id)

    assert int(governor.proposalExpiresAt(before_id)) == int(governor.proposalDeadline(before_id)) + grace
    assert int(governor.proposalExpiresAt(after_id)) == int(governor.proposalDeadline(after_id)) + 2 * grace
    clock.travel_to(int(governor.proposalDeadline(before_id)) + grace + 1)
    assert gov.state(governor, before_id) == ProposalState.EXPIRED
    clock.travel_to(int(governor.proposalDeadline(after_id)) + 2 * grace)
    assert gov.state(governor, after_id) == ProposalState.SUCCEEDED
    clock.travel(1)
    assert gov.state(governor, after_id) == ProposalState.EXPIRED


def test_proposal_expires_at_follows_the_deadline_then_the_eta(
    governor: Any,
    pool: Any,
    registry: Any,
    settings: Any,
    founders: list[Any],
    project_id: int,
    ess_funds: int,
) -> None:
    proposal = _funding(pool, registry, project_id, ess_funds, founders[0], "Fund the repair cafe")
    gov.propose(governor, proposal, founders[0])
    proposal_id = proposal.proposal_id(governor)
    grace = settings.approval_grace_period

    assert int(governor.proposalExpiresAt(proposal_id)) == int(governor.proposalDeadline(proposal_id)) + grace
    gov.wait_for_voting_start(governor, proposal_id)
    for voter in founders:
        gov.vote(governor, proposal_id, Support.FOR, voter)
    gov.wait_for_voting_end(governor, proposal_id)
    assert int(governor.proposalExpiresAt(proposal_id)) == int(governor.proposalDeadline(proposal_id)) + grace
    gov.queue(governor, proposal, founders[0])
    assert int(governor.proposalExpiresAt(proposal_id)) == int(governor.proposalEta(proposal_id)) + grace


# ---------------------------------------------------------------------------- bounded settings

# (Governor setter, value out of range, lowest allowed, highest allowed)
OUT_OF_RANGE = [
    ("setVotingDelay", 30 * DAY + 1, 0, 30 * DAY),
    ("setVotingPeriod", 59, 60, 90 * DAY),
    ("setVotingPeriod", 90 * DAY + 1, 60, 90 * DAY),
    ("setProposalThreshold", 0, 1, 1),
    ("setProposalThreshold", 2, 1, 1),
    ("updateQuorumNumerator", 4, 5, 100),
    ("updateQuorumNumerator", 101, 5, 100),
    ("setQuorumFloor", 0, 1, 10_000),
    ("setQuorumFloor", 10_001, 1, 10_000),
    ("setApprovalGracePeriod", 3_599, 3_600, 365 * DAY),
    ("setApprovalGracePeriod", 365 * DAY + 1, 3_600, 365 * DAY),
]

# (Governor setter, value at a bound, event, its arguments given the previous value)
AT_BOUNDS: list[tuple[str, int, str, Callable[[int, int], dict[str, int]]]] = [
    ("setVotingDelay", 0, "VotingDelaySet", lambda old, new: {"oldVotingDelay": old, "newVotingDelay": new}),
    (
        "setVotingDelay",
        30 * DAY,
        "VotingDelaySet",
        lambda old, new: {"oldVotingDelay": old, "newVotingDelay": new},
    ),
    (
        "setVotingPeriod",
        60,
        "VotingPeriodSet",
        lambda old, new: {"oldVotingPeriod": old, "newVotingPeriod": new},
    ),
    (
        "setVotingPeriod",
        90 * DAY,
        "VotingPeriodSet",
        lambda old, new: {"oldVotingPeriod": old, "newVotingPeriod": new},
    ),
    (
        "setProposalThreshold",
        1,
        "ProposalThresholdSet",
        lambda old, new: {"oldProposalThreshold": old, "newProposalThreshold": new},
    ),
    (
        "updateQuorumNumerator",
        5,
        "QuorumNumeratorUpdated",
        lambda old, new: {"oldQuorumNumerator": old, "newQuorumNumerator": new},
    ),
    (
        "updateQuorumNumerator",
        100,
        "QuorumNumeratorUpdated",
        lambda old, new: {"oldQuorumNumerator": old, "newQuorumNumerator": new},
    ),
    ("setQuorumFloor", 1, "QuorumFloorChanged", lambda old, new: {"previousFloor": old, "newFloor": new}),
    (
        "setQuorumFloor",
        10_000,
        "QuorumFloorChanged",
        lambda old, new: {"previousFloor": old, "newFloor": new},
    ),
    (
        "setApprovalGracePeriod",
        3_600,
        "ApprovalGracePeriodChanged",
        lambda old, new: {"previousGrace": old, "newGrace": new},
    ),
    (
        "setApprovalGracePeriod",
        365 * DAY,
        "ApprovalGracePeriodChanged",
        lambda old, new: {"previousGrace": old, "newGrace": new},
    ),
]

# The view reading each setting.
SETTING_VIEW = {
    "setVotingDelay": "votingDelay",
    "setVotingPeriod": "votingPeriod",
    "setProposalThreshold": "proposalThreshold",
    "updateQuorumNumerator": "quorumNumerator",
    "setQuorumFloor": "quorumFloor",
    "setApprovalGracePeriod": "approvalGracePeriod",
}


def _setting_change(governor: Any, setter: str, value: int, proposer: Any) -> gov.Proposal:
    return gov.make_proposal([gov.call(governor, setter, value)], f"{setter}({value})").by(proposer)


@pytest.mark.parametrize(("setter", "value", "minimum", "maximum"), OUT_OF_RANGE)
def test_a_setting_out_of_range_fails_at_execution(
    governor: Any, founders: list[Any], setter: str, value: int, minimum: int, maximum: int
) -> None:
    view = getattr(governor, SETTING_VIEW[setter])
    before = int(view())
    proposal = _setting_change(governor, setter, value, founders[0])
    proposal_id = pass_vote(governor, proposal, founders[0], founders)
    gov.queue(governor, proposal, founders[0])
    gov.wait_for_timelock(governor, proposal_id)

    with reverts(governor.CmirGovernorSettingOutOfRange, value=value, min=minimum, max=maximum):
        gov.execute(governor, proposal, founders[0])

    assert int(view()) == before
    assert gov.state(governor, proposal_id) == ProposalState.QUEUED


@pytest.mark.parametrize(("setter", "value", "event_name", "arguments"), AT_BOUNDS)
def test_a_setting_at_its_bound_is_executed(
    governor: Any,
    timelock: Any,
    founders: list[Any],
    setter: str,
    value: int,
    event_name: str,
    arguments: Callable[[int, int], dict[str, int]],
) -> None:
    view = getattr(governor, SETTING_VIEW[setter])
    before = int(view())
    proposal = _setting_change(governor, setter, value, founders[0])

    receipt = gov.enact(governor, proposal, founders[0], founders)

    assert emitted(receipt) == [
        log(getattr(governor, event_name), **arguments(before, value)),
        *_execution_logs(governor, timelock, proposal),
    ]
    assert int(view()) == value


@pytest.mark.parametrize("setter", sorted(SETTING_VIEW))
def test_settings_revert_unless_set_by_a_vote(
    governor: Any, admin: Any, governance: Any, setter: str
) -> None:
    """Even the timelock cannot call them outside a proposal's execution."""
    value = int(getattr(governor, SETTING_VIEW[setter])())
    with reverts(governor.GovernorOnlyExecutor, account=admin):
        getattr(governor, setter)(value, sender=admin)
    # The timelock itself passes only while the Governor executes a proposal making that very
    # call: OpenZeppelin's queue of expected governance calls is empty (Panic 0x31).
    with pytest.raises(VirtualMachineError, match="Panic error 0x31"):
        getattr(governor, setter)(value, sender=governance)
