"""The deployment wires everything and leaves the deployer without power: the Governor is the
timelock's only proposer, canceller and executor (an approval runs only through the Governor,
which refuses expired ones), and every governed setting comes from the network's settings."""

import json
import re
from typing import Any

import ape
import pytest
import yaml

from cmir.chain import governance as gov
from cmir.chain.deploy import (
    DEV_CHAIN_ID,
    LOCAL_ONLY_TOKENS,
    ZERO_ADDRESS,
    DeploymentError,
    check_token,
    deploy_on_test_accounts,
    settings_file,
)
from cmir.chain.governance import ProposalState, Support
from tests.contracts.strict_checks import reverts

ZERO_BYTES32 = b"\x00" * 32
TIMELOCK_ROLES = ("PROPOSER_ROLE", "CANCELLER_ROLE", "EXECUTOR_ROLE")


def timelock_salt(governor: Any, proposal: gov.Proposal) -> bytes:
    """The salt the Governor schedules `proposal` with in the timelock (OpenZeppelin's
    GovernorTimelockControl: its own address, left-aligned, XOR the description hash)."""
    address = bytes.fromhex(str(governor.address)[2:]).ljust(32, b"\0")
    return bytes(a ^ b for a, b in zip(address, proposal.description_hash, strict=True))


@pytest.fixture
def ready_proposal(
    governor: Any, timelock: Any, membership: Any, admin: Any, member: Any, ess_member: Any, outsider: Any
) -> gov.Proposal:
    """A proposal (naming an attester) voted by the three founders, queued, its timelock delay
    over: ready to execute."""
    proposal = gov.make_proposal(
        [gov.call(membership, "setAttester", outsider, True)], "Nommer une CRESS attestatrice"
    ).by(admin)
    proposal_id = proposal.proposal_id(governor)
    gov.propose(governor, proposal, admin)
    ape.chain.mine(timestamp=int(governor.proposalSnapshot(proposal_id)) + 1)
    for voter in (admin, member, ess_member):
        gov.vote(governor, proposal_id, Support.FOR, voter)
    ape.chain.mine(timestamp=int(governor.proposalDeadline(proposal_id)) + 1)
    gov.queue(governor, proposal, outsider)
    ape.chain.mine(timestamp=int(governor.proposalEta(proposal_id)))
    operation = timelock.hashOperationBatch(
        proposal.targets, proposal.values, proposal.calldatas, ZERO_BYTES32, timelock_salt(governor, proposal)
    )
    assert timelock.isOperationReady(operation)
    return proposal


def test_pool_is_wired_to_membership_registry_token_and_timelock(
    system: Any, settings: Any, steward: Any
) -> None:
    pool = system.pool
    assert pool.token() == system.token.address
    assert pool.membership() == system.membership.address
    assert pool.registry() == system.registry.address
    assert pool.governance() == system.timelock.address
    assert pool.steward() == steward.address
    assert pool.essFloorBps() == settings.ess_floor_bps
    assert system.membership.pool() == pool.address
    assert system.membership.governance() == system.timelock.address
    assert system.registry.governance() == system.timelock.address


def test_pool_settings_come_from_the_network_settings(system: Any, settings: Any) -> None:
    pool = system.pool
    assert tuple(pool.shares()) == settings.shares.as_tuple()
    assert tuple(pool.pointWeights()) == settings.weights.as_tuple()
    assert pool.minRelationFee() == settings.min_relation_fee
    assert pool.minRelationFeeCeiling() == settings.min_relation_fee_ceiling
    assert pool.partiesMinShareBps() == settings.parties_min_share_bps
    assert pool.epochRewardCapBps() == settings.epoch_reward_cap_bps
    deployed_at = pool.creation_metadata.receipt.timestamp
    assert tuple(pool.epochClock()) == (deployed_at, settings.epoch_length, 1)


def test_collective_budget_comes_from_the_network_settings(system: Any, settings: Any) -> None:
    # No period runs until the steward first spends.
    assert tuple(system.pool.collectiveBudget()) == (
        settings.collective_budget,
        settings.collective_budget_period,
        0,
        0,
    )


def test_membership_rules_come_from_the_network_settings(system: Any, settings: Any) -> None:
    assert tuple(system.membership.rules()) == settings.membership_rules()
    assert settings.membership_rules() == (
        settings.probation,
        settings.invitation_refill_period,
        settings.invitation_cap,
        settings.invitation_ttl,
    )


@pytest.mark.parametrize("role", TIMELOCK_ROLES)
def test_governor_is_the_timelocks_only_proposer_canceller_and_executor(
    system: Any,
    deployer: Any,
    admin: Any,
    member: Any,
    ess_member: Any,
    steward: Any,
    guardian: Any,
    outsider: Any,
    role: str,
) -> None:
    timelock = system.timelock
    role_id = getattr(timelock, role)()
    assert timelock.hasRole(role_id, system.governor)
    for account in (ZERO_ADDRESS, deployer, admin, member, ess_member, steward, guardian, outsider, timelock):
        assert not timelock.hasRole(role_id, account), f"{account} holds {role}"


def test_governor_holds_the_roles_it_was_granted_and_no_other_account_was(system: Any) -> None:
    # Every grant since the timelock was deployed: the three roles, to the Governor only (the
    # deployer's admin role came with the timelock's constructor and was renounced).
    timelock = system.timelock
    granted = timelock.RoleGranted.range(system.deployment_block, ape.chain.blocks.height + 1)
    grants = {(bytes(event.role), str(event.account)) for event in granted}
    governor = str(system.governor.address)
    assert {(bytes(getattr(timelock, role)()), governor) for role in TIMELOCK_ROLES} <= grants
    assert {account for role, account in grants if role != bytes(timelock.DEFAULT_ADMIN_ROLE())} == {governor}


@pytest.mark.parametrize("caller", ["deployer", "admin", "member", "guardian", "outsider"])
def test_nobody_executes_on_the_timelock_directly(
    request: pytest.FixtureRequest, governor: Any, timelock: Any, ready_proposal: gov.Proposal, caller: str
) -> None:
    sender = request.getfixturevalue(caller)

    with reverts(
        timelock.AccessControlUnauthorizedAccount, account=sender, neededRole=timelock.EXECUTOR_ROLE()
    ):
        timelock.executeBatch(
            ready_proposal.targets,
            ready_proposal.values,
            ready_proposal.calldatas,
            ZERO_BYTES32,
            timelock_salt(governor, ready_proposal),
            sender=sender,
        )
    assert gov.state(governor, ready_proposal.proposal_id(governor)) == ProposalState.QUEUED


def test_anyone_executes_a_ready_approval_through_the_governor(
    governor: Any, membership: Any, ready_proposal: gov.Proposal, outsider: Any
) -> None:
    gov.execute(governor, ready_proposal, outsider)

    assert gov.state(governor, ready_proposal.proposal_id(governor)) == ProposalState.EXECUTED
    assert membership.isAttester(outsider)


def test_deployer_keeps_no_admin_power(system: Any, deployer: Any) -> None:
    timelock = system.timelock
    assert not timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), deployer)
    with reverts(system.membership.MembershipPoolAlreadyBound, pool=system.pool):
        system.membership.bindPool(deployer, sender=deployer)
    with reverts(system.pool.RedistributionNotGovernance, caller=deployer):
        system.pool.setSteward(deployer, sender=deployer)


def test_governor_settings_come_from_the_network_settings(system: Any, settings: Any, guardian: Any) -> None:
    governor = system.governor
    assert governor.votingDelay() == settings.voting_delay
    assert governor.votingPeriod() == settings.voting_period
    assert governor.quorumNumerator() == settings.quorum_percent
    assert governor.quorumFloor() == settings.quorum_floor
    assert governor.approvalGracePeriod() == settings.approval_grace_period
    assert governor.guardian() == guardian.address
    assert governor.proposalThreshold() == 1
    assert system.timelock.getMinDelay() == settings.timelock_delay
    assert governor.CLOCK_MODE() == "mode=timestamp"


# Settings entries deployed on the local development chain (`demo` is `make up`'s, on anvil).
LOCAL_ENTRIES = {"ethereum:local", "demo"}


@pytest.mark.parametrize("chain_id", [1, 11155111, 31338])
def test_the_open_faucet_token_is_refused_on_any_chain_but_the_local_one(
    monkeypatch: pytest.MonkeyPatch, settings: Any, accounts: Any, chain_id: int
) -> None:
    # The chain answers another id (Sepolia, mainnet, the testnet rehearsal): TestEuro's open
    # faucet would let anyone mint, so nothing is sent.
    assert settings.token in LOCAL_ONLY_TOKENS
    height = ape.chain.blocks.height
    monkeypatch.setattr(type(ape.chain), "chain_id", property(lambda _: chain_id))

    with pytest.raises(
        DeploymentError, match=rf"TestEuro .* local development chain .* not on chain id {chain_id}"
    ):
        deploy_on_test_accounts(settings, accounts)
    assert ape.chain.blocks.height == height


def test_the_open_faucet_token_deploys_on_the_local_chain_only() -> None:
    assert ape.chain.chain_id == DEV_CHAIN_ID
    check_token("TestEuro", DEV_CHAIN_ID)
    for chain_id in (1, 11155111, 31338):
        check_token("TestnetEuro", chain_id)
        check_token("0x" + "11" * 20, chain_id)  # an existing token, by address
        with pytest.raises(DeploymentError):
            check_token("TestEuro", chain_id)


def test_test_networks_get_the_token_of_contracts_tokens_which_slither_analyses() -> None:
    root = settings_file().parent.parent
    table = yaml.safe_load(settings_file().read_text())
    sources = {path.stem: path.relative_to(root).as_posix() for path in (root / "contracts").rglob("*.sol")}
    assert sources["TestEuro"] == "contracts/test/TestEuro.sol"
    # Slither's filter (comma-separated regular expressions, trimmed as Slither trims them) skips
    # contracts/test/, not contracts/tokens/.
    config = json.loads((root / "slither.config.json").read_text())
    skipped = [rule.split("..")[-1].strip(".").strip("/") for rule in config["filter_paths"].split(",")]
    for entry, values in table.items():
        token = str(values["token"])
        if entry in LOCAL_ENTRIES or not token.isidentifier():
            continue  # the local chain's open faucet, or an existing token's address
        assert token not in LOCAL_ONLY_TOKENS, entry
        assert sources[token].startswith("contracts/tokens/"), entry
        assert not any(re.search(rule, (root / sources[token]).as_posix()) for rule in skipped), entry
    assert any(re.search(rule, (root / sources["TestEuro"]).as_posix()) for rule in skipped)
