"""The deployment wires everything and leaves the deployer without power."""

from typing import Any

import ape

from cmir.deployment import ZERO_ADDRESS


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


def test_governor_is_the_only_proposer_and_anyone_executes(system: Any, deployer: Any) -> None:
    timelock, governor = system.timelock, system.governor
    assert timelock.hasRole(timelock.PROPOSER_ROLE(), governor)
    assert timelock.hasRole(timelock.CANCELLER_ROLE(), governor)
    assert timelock.hasRole(timelock.EXECUTOR_ROLE(), ZERO_ADDRESS)
    assert not timelock.hasRole(timelock.PROPOSER_ROLE(), deployer)


def test_deployer_keeps_no_admin_power(system: Any, deployer: Any) -> None:
    timelock = system.timelock
    assert not timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), deployer)
    with ape.reverts(system.membership.MembershipPoolAlreadyBound):
        system.membership.bindPool(deployer, sender=deployer)
    with ape.reverts(system.pool.RedistributionNotGovernance):
        system.pool.setSteward(deployer, sender=deployer)


def test_governor_settings_come_from_the_network_settings(system: Any, settings: Any) -> None:
    governor = system.governor
    assert governor.votingDelay() == settings.voting_delay
    assert governor.votingPeriod() == settings.voting_period
    assert governor.quorumNumerator() == settings.quorum_percent
    assert system.timelock.getMinDelay() == settings.timelock_delay
    assert governor.CLOCK_MODE() == "mode=timestamp"
