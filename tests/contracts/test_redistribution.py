"""Unit tests of the redistribution pool (contracts/Redistribution.sol), every external function.

Expected splits, points, accumulator values and rewards come from an independent Python model
of the rules (redistribution_model.py), never from the contract's own views; every success path
checks the whole list of events the transaction emitted. The chain clock is stopped in every
test that uses the model: a test moves it past an epoch's end before an inflow can reward the
points of that epoch. Epochs, maturity, the reward cap and the governed bounds are tested in
test_epochs.py and test_pool_bounds.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from ape import chain, project
from eth_utils.address import to_checksum_address

from cmir.chain import eip712
from cmir.chain import governance as gov
from cmir.chain.governance import ProposalState, Support
from tests.contracts.chain_clock import ChainClock
from tests.contracts.redistribution_model import (
    ZERO_ADDRESS,
    PoolModel,
    assert_pool_matches,
    assert_pool_solvent,
    max_reward_cap_bps,
)
from tests.contracts.strict_checks import emitted, log, reverts

EUR = 10**6
ABEILLE = 1
UINT128_MAX = 2**128 - 1
ESS_WALLET = to_checksum_address("0x" + "e5" * 20)
OTHER_WALLET = to_checksum_address("0x" + "e6" * 20)
COLLECTIVE_RECIPIENT = to_checksum_address("0x" + "c0" * 20)
METADATA_HASH = b"\x11" * 32


def _states_bitmap(*states: ProposalState) -> bytes:
    """OpenZeppelin's `expectedStates` argument: one bit per accepted state."""
    return sum(1 << int(state) for state in states).to_bytes(32, "big")


def ref(label: str) -> bytes:
    """A 32-byte relation reference naming `label` (a meeting or introduction id)."""
    return label.encode().ljust(32, b"\0")


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def project_id(registry: Any, ess_member: Any, governance: Any) -> int:
    """An ESS project paying out to ESS_WALLET (wallet version 1), registered by the ESS-structure
    founder and activated by governance (a member's project starts inactive)."""
    receipt = registry.registerProject(ESS_WALLET, "ipfs://project", METADATA_HASH, sender=ess_member)
    registered = int(receipt.events[0].projectId)
    registry.activateProject(registered, 1, sender=governance)
    assert tuple(registry.payoutOf(registered)) == (ESS_WALLET, True, 1)
    return registered


def deploy_pool(deployer: Any, system: Any, steward: Any, settings: Any, /, **overrides: Any) -> Any:
    """A second pool wired like the deployed one, with some `overrides` of its Config fields."""
    config = {
        "token": system.token.address,
        "membership": system.membership.address,
        "registry": system.registry.address,
        "governance": system.timelock.address,
        "steward": steward.address,
        "essFloorBps": settings.ess_floor_bps,
        "shares": settings.shares.as_tuple(),
        "weights": settings.weights.as_tuple(),
        "minRelationFee": settings.min_relation_fee,
        "minRelationFeeCeiling": settings.min_relation_fee_ceiling,
        "partiesMinShareBps": settings.parties_min_share_bps,
        "epochLength": settings.epoch_length,
        "epochRewardCapBps": settings.epoch_reward_cap_bps,
        "collectiveBudget": settings.collective_budget,
        "collectiveBudgetPeriod": settings.collective_budget_period,
    }
    assert set(overrides) <= set(config), f"no Config field {set(overrides) - set(config)}"
    config.update(overrides)
    return deployer.deploy(project.Redistribution, tuple(config.values()), ZERO_ADDRESS)


@dataclass(frozen=True)
class Permit:
    """An EIP-2612 permit signature."""

    deadline: int
    v: int
    r: bytes
    s: bytes


def sign_permit(token: Any, owner: Any, spender: Any, value: int) -> Permit:
    """`owner` signs a permit letting `spender` take `value` of `token`, valid for an hour."""
    deadline = chain.pending_timestamp + 3600
    domain = eip712.Domain.from_eip712_domain(token.eip712Domain())
    data = eip712.permit(
        domain, str(owner.address), str(spender.address), value, token.nonces(owner), deadline
    )
    return Permit(deadline, *eip712.sign(data, owner.private_key))


# ---------------------------------------------------------------------------- constructor and views


def test_constructor_emits_its_settings_and_views_return_them(
    deployer: Any, system: Any, steward: Any, settings: Any
) -> None:
    new_pool = deploy_pool(deployer, system, steward, settings)

    deployed_at = new_pool.creation_metadata.receipt.timestamp
    assert emitted(new_pool.creation_metadata.receipt) == [
        log(
            new_pool.EpochLengthChanged,
            previousLength=0,
            newLength=settings.epoch_length,
            originEpoch=1,
            origin=deployed_at,
        ),
        log(new_pool.PartiesMinShareChanged, previousBps=0, newBps=settings.parties_min_share_bps),
        log(new_pool.SharesChanged, previousShares=(0, 0, 0), newShares=settings.shares.as_tuple()),
        log(
            new_pool.PointWeightsChanged,
            previousWeights=(0, 0, 0, 0),
            newWeights=settings.weights.as_tuple(),
        ),
        log(new_pool.EpochRewardCapChanged, previousCapBps=0, newCapBps=settings.epoch_reward_cap_bps),
        log(new_pool.MinRelationFeeChanged, previousFee=0, newFee=settings.min_relation_fee),
        log(new_pool.StewardChanged, previousSteward=ZERO_ADDRESS, newSteward=steward),
        log(
            new_pool.CollectiveBudgetChanged,
            amount=settings.collective_budget,
            period=settings.collective_budget_period,
        ),
    ]
    assert new_pool.token() == system.token.address
    assert new_pool.membership() == system.membership.address
    assert new_pool.registry() == system.registry.address
    assert new_pool.governance() == system.timelock.address
    assert new_pool.steward() == steward.address
    assert new_pool.essFloorBps() == settings.ess_floor_bps
    assert tuple(new_pool.shares()) == settings.shares.as_tuple()
    assert tuple(new_pool.pointWeights()) == settings.weights.as_tuple()
    assert new_pool.minRelationFee() == settings.min_relation_fee
    assert new_pool.minRelationFeeCeiling() == settings.min_relation_fee_ceiling
    assert new_pool.partiesMinShareBps() == settings.parties_min_share_bps
    assert new_pool.epochRewardCapBps() == settings.epoch_reward_cap_bps
    assert new_pool.maxEpochRewardCapBps() == max_reward_cap_bps(
        settings.shares.as_tuple(), settings.weights.as_tuple()
    )
    assert tuple(new_pool.epochClock()) == (deployed_at, settings.epoch_length, 1)
    assert new_pool.MAX_MEMO_LENGTH() == 280
    assert new_pool.MAX_WEIGHT_BPS() == 10_000
    assert new_pool.MAX_WEIGHT_SUM_BPS() == 20_000
    assert new_pool.LOWEST_PARTIES_MIN_SHARE_BPS() == 5_000
    assert new_pool.MIN_EPOCH_LENGTH() == 1
    assert new_pool.MAX_EPOCH_LENGTH() == 90 * 86_400
    assert new_pool.MAX_EPOCH_REWARD_CAP_BPS() == 10_000
    assert new_pool.MIN_BUDGET_PERIOD() == 3_600
    assert new_pool.MAX_BUDGET_PERIOD() == 365 * 86_400
    # No period running yet: it starts with the steward's first spending.
    assert tuple(new_pool.collectiveBudget()) == (
        settings.collective_budget,
        settings.collective_budget_period,
        0,
        0,
    )
    # Nothing received, no point, epoch 1 (the views run at the deployment's block).
    assert tuple(new_pool.totals()) == (0,) * 10 + (1,)
    assert new_pool.epoch() == 1
    assert (new_pool.essAvailable(), new_pool.collectiveAvailable(), new_pool.membersAvailable()) == (0, 0, 0)


@pytest.mark.parametrize("field", ["token", "membership", "registry", "governance", "steward"])
def test_constructor_reverts_on_a_zero_address(
    deployer: Any, system: Any, pool: Any, steward: Any, settings: Any, field: str
) -> None:
    with reverts(pool.RedistributionZeroAddress):
        deploy_pool(deployer, system, steward, settings, **{field: ZERO_ADDRESS})


def test_constructor_reverts_when_the_floor_exceeds_10000_bps(
    deployer: Any, system: Any, pool: Any, steward: Any, settings: Any
) -> None:
    with reverts(pool.RedistributionInvalidFloor, floorBps=10_001):
        deploy_pool(deployer, system, steward, settings, essFloorBps=10_001, shares=(0, 10_000, 0))


def test_constructor_accepts_a_floor_of_10000_bps_with_everything_to_ess(
    deployer: Any, system: Any, steward: Any, settings: Any
) -> None:
    new_pool = deploy_pool(deployer, system, steward, settings, essFloorBps=10_000, shares=(0, 10_000, 0))

    assert new_pool.essFloorBps() == 10_000
    assert tuple(new_pool.shares()) == (0, 10_000, 0)


def test_constructor_reverts_when_the_ess_share_is_below_the_floor(
    deployer: Any, system: Any, pool: Any, steward: Any, settings: Any
) -> None:
    with reverts(pool.RedistributionEssShareBelowFloor, essBps=1_999, floorBps=2_000):
        deploy_pool(deployer, system, steward, settings, essFloorBps=2_000, shares=(6_001, 1_999, 2_000))


def test_constructor_reverts_when_all_weights_are_zero(
    deployer: Any, system: Any, pool: Any, steward: Any, settings: Any
) -> None:
    with reverts(pool.RedistributionWeightsAllZero):
        deploy_pool(deployer, system, steward, settings, weights=(0, 0, 0, 0))


def test_constructor_reverts_when_the_minimum_fee_ceiling_exceeds_128_bits(
    deployer: Any, system: Any, pool: Any, steward: Any, settings: Any
) -> None:
    with reverts(pool.RedistributionAmountTooLarge, amount=2**128):
        deploy_pool(deployer, system, steward, settings, minRelationFeeCeiling=2**128)


@pytest.mark.parametrize("fee", [10**11 + 1, 2**128])
def test_constructor_reverts_when_the_minimum_fee_exceeds_the_ceiling(
    deployer: Any, system: Any, pool: Any, steward: Any, settings: Any, fee: int
) -> None:
    with reverts(pool.RedistributionMinRelationFeeAboveCeiling, fee=fee, ceiling=10**11):
        deploy_pool(deployer, system, steward, settings, minRelationFee=fee, minRelationFeeCeiling=10**11)


@pytest.mark.parametrize("length", [0, 90 * 86_400 + 1])
def test_constructor_reverts_on_an_epoch_length_out_of_range(
    deployer: Any, system: Any, pool: Any, steward: Any, settings: Any, length: int
) -> None:
    with reverts(pool.RedistributionEpochLengthOutOfRange, length=length, minLength=1, maxLength=90 * 86_400):
        deploy_pool(deployer, system, steward, settings, epochLength=length)


@pytest.mark.parametrize("minimum", [4_999, 10_001])
def test_constructor_reverts_on_a_parties_min_share_out_of_range(
    deployer: Any, system: Any, pool: Any, steward: Any, settings: Any, minimum: int
) -> None:
    with reverts(pool.RedistributionPartiesMinShareOutOfRange, minimumBps=minimum, lowestBps=5_000):
        deploy_pool(deployer, system, steward, settings, partiesMinShareBps=minimum)


def test_constructor_reverts_when_the_weights_give_the_parties_less_than_the_minimum(
    deployer: Any, system: Any, pool: Any, steward: Any, settings: Any
) -> None:
    with reverts(pool.RedistributionPartiesShareBelowMin, partiesBps=5_000, minimumBps=6_000):
        deploy_pool(deployer, system, steward, settings, weights=(2_000, 2_000, 2_000, 2_000))


def test_constructor_reverts_when_the_reward_cap_exceeds_what_a_point_costs(
    deployer: Any, system: Any, pool: Any, steward: Any, settings: Any
) -> None:
    # Members 5,000 bps, weights summing to 10,000: a point costs at least half a token unit.
    with reverts(pool.RedistributionRewardCapAboveMax, capBps=5_001, maxBps=5_000):
        deploy_pool(deployer, system, steward, settings, epochRewardCapBps=5_001)


# ---------------------------------------------------------------------------- payRelation


def test_pay_relation_awards_payer_and_counterparty_pending_points_and_splits_the_fee(
    pool: Any,
    token: Any,
    model: PoolModel,
    pay: Callable[..., Any],
    admin: Any,
    member: Any,
    everyone: list[Any],
    settings: Any,
) -> None:
    amount = 25 * EUR

    receipt = pay(admin, member, amount, "first meeting")

    payer_bps, counterparty_bps, _, _ = settings.weights.as_tuple()
    payer_points, counterparty_points = amount * payer_bps // 10_000, amount * counterparty_bps // 10_000
    epoch = model.clock.epoch_at(receipt.timestamp)
    assert pool.pointsOf(admin) == payer_points
    assert pool.pointsOf(member) == counterparty_points
    # Pending until the relation's epoch ends.
    assert tuple(pool.memberPoints(admin)) == (0, payer_points, epoch, model.clock.epoch_end(epoch))
    assert tuple(pool.memberPoints(member)) == (0, counterparty_points, epoch, model.clock.epoch_end(epoch))
    # No point had matured: the members' part went to ESS with its share, nobody can claim.
    parts = model.split(amount)
    assert receipt.events[0].split == [0, parts.to_ess + parts.to_members, parts.to_collective]
    assert pool.claimableOf(admin) == pool.claimableOf(member) == 0
    assert token.balanceOf(pool) == amount
    assert token.balanceOf(admin) == 0
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_pay_relation_shares_its_members_part_among_the_points_of_ended_epochs(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    admin: Any,
    member: Any,
    everyone: list[Any],
) -> None:
    pay(admin, member, 100 * EUR, "first meeting")
    clock.next_epoch(model.clock)

    receipt = pay(member, admin, 10 * EUR, "second meeting")

    # The first relation's points (70 EUR worth) share the second's members' part (5 EUR, under
    # the epoch's reward cap), bar rounding dust (under a unit each); the second relation's own
    # points are pending.
    members_part = model.split(10 * EUR).to_members
    assert members_part * 10_000 <= 70 * EUR * model.epoch_reward_cap_bps  # under the cap
    assert receipt.events[0].split[0] == members_part
    owed = pool.claimableOf(admin) + pool.claimableOf(member)
    assert members_part - 2 <= owed <= members_part
    assert pool.memberPoints(admin).pending == 10 * EUR * 5_000 // 10_000
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_pay_relation_awards_each_partys_active_direct_sponsor(
    pool: Any,
    token: Any,
    model: PoolModel,
    pay: Callable[..., Any],
    enrol: Callable[[Any, Any], None],
    admin: Any,
    member: Any,
    alice: Any,
    bob: Any,
    everyone: list[Any],
    settings: Any,
) -> None:
    enrol(admin, alice)
    enrol(member, bob)
    amount = 40 * EUR

    receipt = pay(alice, bob, amount)

    payer_bps, counterparty_bps, payer_sponsor_bps, counterparty_sponsor_bps = settings.weights.as_tuple()
    points = receipt.events[0].points
    assert points == [
        admin.address.lower(),
        member.address.lower(),
        amount * payer_bps // 10_000,
        amount * counterparty_bps // 10_000,
        amount * payer_sponsor_bps // 10_000,
        amount * counterparty_sponsor_bps // 10_000,
    ]
    assert pool.pointsOf(admin) == amount * payer_sponsor_bps // 10_000
    assert pool.pointsOf(member) == amount * counterparty_sponsor_bps // 10_000
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_pay_relation_gives_nothing_to_a_sponsors_sponsor(
    pool: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    contribute: Callable[..., Any],
    enrol: Callable[[Any, Any], None],
    serve_probation: Callable[..., None],
    admin: Any,
    member: Any,
    alice: Any,
    bob: Any,
    outsider: Any,
    everyone: list[Any],
) -> None:
    enrol(admin, alice)
    serve_probation(alice, invitations=1)
    enrol(alice, bob)  # admin -> alice -> bob

    receipt = pay(bob, member, 30 * EUR)
    clock.next_epoch(model.clock)
    contribute(outsider, 20 * EUR)  # rewards the points of bob's relation, now matured

    assert receipt.events[0].points[0] == alice.address.lower()
    assert pool.pointsOf(alice) > 0
    assert pool.claimableOf(alice) > 0
    assert pool.pointsOf(admin) == 0
    assert pool.claimableOf(admin) == 0
    assert_pool_matches(pool, model, everyone)


def test_pay_relation_gives_nothing_to_an_excluded_sponsor(
    pool: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    contribute: Callable[..., Any],
    enrol: Callable[[Any, Any], None],
    exclude: Callable[[Any], Any],
    serve_probation: Callable[..., None],
    admin: Any,
    member: Any,
    alice: Any,
    bob: Any,
    outsider: Any,
    everyone: list[Any],
) -> None:
    enrol(member, alice)
    serve_probation(alice, invitations=1)
    enrol(alice, bob)
    exclude(alice)

    receipt = pay(bob, admin, 30 * EUR)
    clock.next_epoch(model.clock)
    contribute(outsider, 20 * EUR)

    assert receipt.events[0].points[0] == ZERO_ADDRESS
    assert receipt.events[0].points[4] == 0
    assert pool.pointsOf(alice) == 0
    assert pool.claimableOf(alice) == 0
    assert pool.claimableOf(bob) > 0
    assert_pool_matches(pool, model, everyone)


def test_pay_relation_accepts_exactly_the_minimum_fee(
    pool: Any,
    model: PoolModel,
    pay: Callable[..., Any],
    admin: Any,
    member: Any,
    everyone: list[Any],
    settings: Any,
) -> None:
    pay(admin, member, settings.min_relation_fee)

    assert pool.totals().totalReceived == settings.min_relation_fee
    assert_pool_matches(pool, model, everyone)


def test_pay_relation_reverts_when_the_fee_is_below_the_minimum(
    pool: Any, fund: Callable[[Any, int], None], admin: Any, member: Any, settings: Any
) -> None:
    fund(admin, settings.min_relation_fee)
    with reverts(
        pool.RedistributionFeeBelowMinimum,
        amount=settings.min_relation_fee - 1,
        minimum=settings.min_relation_fee,
    ):
        pool.payRelation(member, settings.min_relation_fee - 1, ref("cheap"), sender=admin)


def test_pay_relation_reverts_on_a_zero_amount(pool: Any, governance: Any, admin: Any, member: Any) -> None:
    pool.setMinRelationFee(0, sender=governance)
    with reverts(pool.RedistributionZeroAmount):
        pool.payRelation(member, 0, ref("free"), sender=admin)


def test_pay_relation_reverts_on_a_relation_with_oneself(
    pool: Any, fund: Callable[[Any, int], None], admin: Any
) -> None:
    fund(admin, 20 * EUR)
    with reverts(pool.RedistributionSelfRelation, member=admin):
        pool.payRelation(admin, 20 * EUR, ref("mirror"), sender=admin)


@pytest.mark.parametrize("inactive_party", ["payer", "counterparty"])
@pytest.mark.parametrize("status", ["never a member", "excluded"])
def test_pay_relation_reverts_when_a_party_is_not_an_active_member(
    pool: Any,
    fund: Callable[[Any, int], None],
    exclude: Callable[[Any], Any],
    enrol: Callable[[Any, Any], None],
    admin: Any,
    member: Any,
    outsider: Any,
    alice: Any,
    inactive_party: str,
    status: str,
) -> None:
    inactive = outsider
    if status == "excluded":
        enrol(admin, alice)
        exclude(alice)
        inactive = alice
    payer, counterparty = (inactive, member) if inactive_party == "payer" else (member, inactive)
    fund(payer, 20 * EUR)
    with reverts(pool.RedistributionNotActiveMember, account=inactive):
        pool.payRelation(counterparty, 20 * EUR, ref("refused"), sender=payer)


def test_pay_relation_reverts_without_an_allowance(pool: Any, token: Any, admin: Any, member: Any) -> None:
    token.mint(admin, 20 * EUR, sender=admin)
    with reverts(token.ERC20InsufficientAllowance, spender=pool, allowance=0, needed=20 * EUR):
        pool.payRelation(member, 20 * EUR, ref("unpaid"), sender=admin)
    assert token.balanceOf(pool) == 0


@pytest.mark.parametrize("amount", [10 * EUR, 10 * EUR + 1, 10 * EUR + 3, 12_345_679, 99_999_999, 10**12 + 7])
@pytest.mark.parametrize("shares", [(5_000, 3_000, 2_000), (6_001, 2_000, 1_999), (3_333, 3_333, 3_334)])
def test_pay_relation_split_sums_to_the_amount_and_gives_ess_at_least_the_floor(
    pool: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    governance: Any,
    admin: Any,
    member: Any,
    everyone: list[Any],
    amount: int,
    shares: tuple[int, int, int],
) -> None:
    pay(admin, member, 10 * EUR, "earlier")  # its points have matured when the relation below is paid
    clock.next_epoch(model.clock)
    # Members' shares above 5,000 bps make a point cheaper: the reward cap comes down first.
    cap = min(model.epoch_reward_cap_bps, max_reward_cap_bps(shares, model.weights))
    pool.setEpochRewardCap(cap, sender=governance)
    model.epoch_reward_cap_bps = cap
    pool.setShares(shares, sender=governance)
    model.shares = shares

    receipt = pay(admin, member, amount)

    to_members, to_ess, to_collective = receipt.events[0].split
    assert to_members + to_ess + to_collective == amount
    assert to_ess * 10_000 >= amount * pool.essFloorBps()
    assert to_ess * 10_000 >= amount * shares[1]
    assert_pool_matches(pool, model, everyone)


# ---------------------------------------------------------------------------- permits


def test_pay_relation_with_permit_needs_no_prior_approval(
    pool: Any, token: Any, model: PoolModel, admin: Any, member: Any, everyone: list[Any]
) -> None:
    amount = 15 * EUR
    token.mint(admin, amount, sender=admin)
    permit = sign_permit(token, admin, pool, amount)

    receipt = pool.payRelationWithPermit(
        member, amount, ref("signed"), permit.deadline, permit.v, permit.r, permit.s, sender=admin
    )

    split, points = model.pay_relation(admin, member, amount, receipt.timestamp)
    assert emitted(receipt) == [
        log(token.Approval, owner=admin, spender=pool, value=amount),
        log(
            pool.RelationPaid,
            payer=admin,
            counterparty=member,
            relationRef=ref("signed"),
            amount=amount,
            split=split.as_tuple(),
            points=points.as_tuple(),
            rewardPerPoint=model.reward_per_point,
            epoch=model.epoch(receipt.timestamp),
        ),
        log(token.Transfer, **{"from": admin, "to": pool, "value": amount}),
    ]
    assert token.nonces(admin) == 1
    assert token.allowance(admin, pool) == 0
    assert token.balanceOf(pool) == amount
    assert_pool_matches(pool, model, everyone)


def test_pay_relation_with_permit_still_works_when_the_permit_was_front_run(
    pool: Any, token: Any, model: PoolModel, admin: Any, member: Any, outsider: Any, everyone: list[Any]
) -> None:
    amount = 15 * EUR
    token.mint(admin, amount, sender=admin)
    permit = sign_permit(token, admin, pool, amount)
    # Someone copies the signature from the mempool and submits the permit first.
    token.permit(admin, pool, amount, permit.deadline, permit.v, permit.r, permit.s, sender=outsider)

    receipt = pool.payRelationWithPermit(
        member, amount, ref("signed"), permit.deadline, permit.v, permit.r, permit.s, sender=admin
    )

    split, points = model.pay_relation(admin, member, amount, receipt.timestamp)
    assert emitted(receipt) == [
        log(
            pool.RelationPaid,
            payer=admin,
            counterparty=member,
            relationRef=ref("signed"),
            amount=amount,
            split=split.as_tuple(),
            points=points.as_tuple(),
            rewardPerPoint=model.reward_per_point,
            epoch=model.epoch(receipt.timestamp),
        ),
        log(token.Transfer, **{"from": admin, "to": pool, "value": amount}),
    ]
    assert token.balanceOf(pool) == amount
    assert_pool_matches(pool, model, everyone)


def test_pay_relation_with_an_invalid_permit_and_no_allowance_reverts(
    pool: Any, token: Any, admin: Any, member: Any
) -> None:
    amount = 15 * EUR
    token.mint(admin, amount, sender=admin)
    permit = sign_permit(token, admin, pool, amount - 1)  # signed for another amount

    with reverts(token.ERC20InsufficientAllowance, spender=pool, allowance=0, needed=amount):
        pool.payRelationWithPermit(
            member, amount, ref("forged"), permit.deadline, permit.v, permit.r, permit.s, sender=admin
        )


# ---------------------------------------------------------------------------- contribute


def test_contribute_sends_the_members_part_to_ess_while_no_point_has_matured(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    contribute: Callable[..., Any],
    pay: Callable[..., Any],
    outsider: Any,
    admin: Any,
    member: Any,
    everyone: list[Any],
) -> None:
    receipt = contribute(outsider, 9 * EUR + 1)

    # Nobody holds points: nothing is carried to later inflows, ESS takes the members' part.
    parts = model.split(9 * EUR + 1)
    assert receipt.events[0].split == [0, parts.to_ess + parts.to_members, parts.to_collective]
    assert pool.totals().rewardPerPoint == 0
    assert pool.totals().maturedPoints == pool.totals().pendingPoints == 0
    assert pool.membersAvailable() == 0
    assert_pool_matches(pool, model, everyone)

    # Points earned now are pending: a contribution in the same epoch goes to ESS as well.
    pay(admin, member, 100 * EUR)  # 70 EUR of points
    receipt = contribute(outsider, 9 * EUR + 1)

    assert receipt.events[0].split == [0, parts.to_ess + parts.to_members, parts.to_collective]
    assert pool.claimableOf(admin) == pool.claimableOf(member) == 0
    assert pool.membersAvailable() == 0
    assert_pool_matches(pool, model, everyone)

    # Once their epoch has ended, they share the next contribution's members' part (under the
    # epoch's reward cap), and only it.
    assert parts.to_members * 10_000 <= 70 * EUR * model.epoch_reward_cap_bps
    clock.next_epoch(model.clock)
    receipt = contribute(outsider, 9 * EUR + 1)

    owed = pool.claimableOf(admin) + pool.claimableOf(member)
    assert receipt.events[0].split[0] == pool.membersAvailable() == parts.to_members
    assert parts.to_members - 2 <= owed <= parts.to_members  # each floors its share
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_contribute_awards_no_points_and_rewards_the_point_holders(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    contribute: Callable[..., Any],
    pay: Callable[..., Any],
    outsider: Any,
    admin: Any,
    member: Any,
    everyone: list[Any],
) -> None:
    pay(admin, member, 20 * EUR)
    clock.next_epoch(model.clock)
    totals = pool.totals()
    points_before = (totals.maturedPoints, totals.pendingPoints)
    claimable_before = pool.claimableOf(member)

    contribute(outsider, 11 * EUR)

    assert pool.pointsOf(outsider) == 0
    assert pool.claimableOf(outsider) == 0
    totals = pool.totals()
    assert (totals.maturedPoints, totals.pendingPoints) == points_before
    assert pool.claimableOf(member) > claimable_before
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_contribute_accepts_a_memo_of_exactly_280_bytes(
    pool: Any, model: PoolModel, contribute: Callable[..., Any], outsider: Any, everyone: list[Any]
) -> None:
    contribute(outsider, EUR, "m" * 280)

    assert_pool_matches(pool, model, everyone)


@pytest.mark.parametrize(("memo", "length"), [("m" * 281, 281), ("€" * 94, 282)])
def test_contribute_reverts_on_a_memo_over_280_bytes(
    pool: Any, fund: Callable[[Any, int], None], outsider: Any, memo: str, length: int
) -> None:
    fund(outsider, EUR)
    with reverts(pool.RedistributionMemoTooLong, length=length, maxLength=280):
        pool.contribute(EUR, memo, sender=outsider)


def test_contribute_reverts_on_a_zero_amount(pool: Any, outsider: Any) -> None:
    with reverts(pool.RedistributionZeroAmount):
        pool.contribute(0, "nothing", sender=outsider)


def test_contribute_reverts_on_an_amount_over_128_bits(
    pool: Any, fund: Callable[[Any, int], None], outsider: Any
) -> None:
    fund(outsider, 2**128)
    with reverts(pool.RedistributionAmountTooLarge, amount=2**128):
        pool.contribute(2**128, "too much", sender=outsider)


def test_inflows_revert_once_the_total_received_would_exceed_128_bits(
    pool: Any,
    token: Any,
    model: PoolModel,
    contribute: Callable[..., Any],
    fund: Callable[[Any, int], None],
    outsider: Any,
    everyone: list[Any],
) -> None:
    contribute(outsider, UINT128_MAX)
    assert_pool_matches(pool, model, everyone)

    fund(outsider, 1)
    with reverts(pool.RedistributionAmountTooLarge, amount=2**128):
        pool.contribute(1, "one more", sender=outsider)
    assert_pool_solvent(pool, token, everyone)


# ---------------------------------------------------------------------------- accountSurplus


def test_account_surplus_books_tokens_sent_straight_to_the_pool_all_to_ess(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    admin: Any,
    member: Any,
    outsider: Any,
    everyone: list[Any],
) -> None:
    pay(admin, member, 20 * EUR)
    clock.next_epoch(model.clock)  # the relation's points have matured: they still get nothing
    surplus = 3 * EUR + 7
    token.mint(outsider, surplus, sender=outsider)
    token.transfer(pool, surplus, sender=outsider)  # no call to the pool: not yet booked
    assert token.balanceOf(pool) == model.balance + surplus
    claimable = [pool.claimableOf(account) for account in everyone]

    receipt = pool.accountSurplus(sender=outsider)

    split = model.account_surplus(surplus, receipt.timestamp)
    assert split.as_tuple() == (0, surplus, 0)
    assert emitted(receipt) == [
        log(
            pool.SurplusAccounted,
            caller=outsider,
            amount=surplus,
            split=split.as_tuple(),
            rewardPerPoint=model.reward_per_point,
        ),
    ]
    assert [pool.claimableOf(account) for account in everyone] == claimable
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)
    with reverts(pool.RedistributionNoSurplus):
        pool.accountSurplus(sender=outsider)


@pytest.mark.parametrize("when", ["in the relation's epoch", "just after it ended", "many epochs later"])
@pytest.mark.parametrize("caller_name", ["outsider", "admin", "steward"])
def test_account_surplus_gives_nothing_to_members_whoever_calls_it_and_whenever(
    request: pytest.FixtureRequest,
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    contribute: Callable[..., Any],
    admin: Any,
    member: Any,
    outsider: Any,
    everyone: list[Any],
    when: str,
    caller_name: str,
) -> None:
    caller = request.getfixturevalue(caller_name)
    pay(member, admin, 30 * EUR, "earlier")
    clock.next_epoch(model.clock)
    contribute(outsider, 5 * EUR)  # admin and member hold matured points and earned from them
    pay(admin, member, 20 * EUR, "pending")  # and hold pending points
    if when == "just after it ended":
        clock.next_epoch(model.clock)
    elif when == "many epochs later":
        clock.next_epoch(model.clock, 25)
    surplus = 1_000 * EUR
    token.mint(outsider, surplus, sender=outsider)
    token.transfer(pool, surplus, sender=outsider)
    claimable = [pool.claimableOf(account) for account in everyone]
    accumulator = pool.totals().rewardPerPoint

    receipt = pool.accountSurplus(sender=caller)

    split = model.account_surplus(surplus, receipt.timestamp)
    assert emitted(receipt) == [
        log(
            pool.SurplusAccounted,
            caller=caller,
            amount=surplus,
            split=(0, surplus, 0),
            rewardPerPoint=accumulator,
        ),
    ]
    assert split.as_tuple() == (0, surplus, 0)
    assert model.reward_per_point == accumulator
    assert [pool.claimableOf(account) for account in everyone] == claimable
    assert pool.essAvailable() == model.ess_available
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_account_surplus_reverts_when_the_balance_is_all_accounted(
    pool: Any, pay: Callable[..., Any], admin: Any, member: Any, outsider: Any
) -> None:
    with reverts(pool.RedistributionNoSurplus):
        pool.accountSurplus(sender=outsider)
    pay(admin, member, 20 * EUR)
    with reverts(pool.RedistributionNoSurplus):
        pool.accountSurplus(sender=outsider)


# ---------------------------------------------------------------------------- claim


def test_claim_pays_what_the_model_says(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    contribute: Callable[..., Any],
    claim: Callable[[Any], int],
    enrol: Callable[[Any, Any], None],
    admin: Any,
    member: Any,
    alice: Any,
    outsider: Any,
    everyone: list[Any],
) -> None:
    enrol(admin, alice)
    pay(alice, member, 33 * EUR + 3)
    clock.next_epoch(model.clock)
    contribute(outsider, 5 * EUR + 1)
    pay(member, admin, 17 * EUR + 9)

    for account in (alice, member, admin):
        assert claim(account) > 0
        assert pool.claimableOf(account) == 0
        assert_pool_matches(pool, model, everyone)
        assert_pool_solvent(pool, token, everyone)


def test_claim_twice_reverts_nothing_to_claim(
    pool: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    claim: Callable[[Any], int],
    admin: Any,
    member: Any,
) -> None:
    pay(admin, member, 20 * EUR)
    clock.next_epoch(model.clock)
    pay(admin, member, 20 * EUR)
    assert claim(member) > 0

    with reverts(pool.RedistributionNothingToClaim, account=member):
        pool.claim(sender=member)


def test_claim_reverts_for_an_account_that_never_earned(
    pool: Any, pay: Callable[..., Any], admin: Any, member: Any, outsider: Any
) -> None:
    pay(admin, member, 20 * EUR)
    with reverts(pool.RedistributionNothingToClaim, account=outsider):
        pool.claim(sender=outsider)


def test_claim_reverts_while_the_points_are_pending(
    pool: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    contribute: Callable[..., Any],
    admin: Any,
    member: Any,
    outsider: Any,
) -> None:
    pay(admin, member, 20 * EUR)
    contribute(outsider, 50 * EUR)  # in the same epoch: it rewards no pending point

    with reverts(pool.RedistributionNothingToClaim, account=member):
        pool.claim(sender=member)
    # Their epoch has ended, but no inflow came since: still nothing earned.
    clock.next_epoch(model.clock)
    with reverts(pool.RedistributionNothingToClaim, account=member):
        pool.claim(sender=member)


def test_an_excluded_member_claims_what_it_earned_and_earns_nothing_afterwards(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    contribute: Callable[..., Any],
    claim: Callable[[Any], int],
    exclude: Callable[[Any], Any],
    enrol: Callable[[Any, Any], None],
    admin: Any,
    member: Any,
    alice: Any,
    outsider: Any,
    everyone: list[Any],
) -> None:
    enrol(member, alice)
    pay(alice, admin, 30 * EUR, "earlier")
    clock.next_epoch(model.clock)
    pay(alice, admin, 30 * EUR, "pending")  # alice earns from the first, holds the second pending
    earned = pool.claimableOf(alice)
    assert earned > 0
    assert pool.memberPoints(alice).pending > 0

    exclude(alice)
    pay(admin, member, 50 * EUR)
    clock.next_epoch(model.clock)
    contribute(outsider, 20 * EUR)

    assert pool.pointsOf(alice) == 0
    assert pool.claimableOf(alice) == earned
    assert claim(alice) == earned
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


# ---------------------------------------------------------------------------- fundEssProject


def test_fund_ess_project_pays_the_project_wallet(
    pool: Any,
    token: Any,
    model: PoolModel,
    pay: Callable[..., Any],
    governance: Any,
    project_id: int,
    admin: Any,
    member: Any,
    everyone: list[Any],
) -> None:
    pay(admin, member, 40 * EUR)
    amount = model.ess_available // 3

    receipt = pool.fundEssProject(project_id, ESS_WALLET, 1, amount, sender=governance)

    model.fund_ess(amount)
    assert emitted(receipt) == [
        log(pool.EssProjectFunded, projectId=project_id, payoutWallet=ESS_WALLET, amount=amount),
        log(token.Transfer, **{"from": pool, "to": ESS_WALLET, "value": amount}),
    ]
    assert token.balanceOf(ESS_WALLET) == amount
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)

    rest = model.ess_available
    pool.fundEssProject(project_id, ESS_WALLET, 1, rest, sender=governance)
    model.fund_ess(rest)
    assert pool.essAvailable() == 0
    assert token.balanceOf(ESS_WALLET) == model.ess_received
    assert_pool_matches(pool, model, everyone)


def test_fund_ess_project_reverts_beyond_the_ess_bucket(
    pool: Any,
    model: PoolModel,
    pay: Callable[..., Any],
    governance: Any,
    project_id: int,
    admin: Any,
    member: Any,
) -> None:
    pay(admin, member, 40 * EUR)
    available = model.ess_available
    with reverts(pool.RedistributionInsufficientFunds, requested=available + 1, available=available):
        pool.fundEssProject(project_id, ESS_WALLET, 1, available + 1, sender=governance)


def test_fund_ess_project_reverts_for_an_unknown_project(
    pool: Any, pay: Callable[..., Any], governance: Any, project_id: int, admin: Any, member: Any
) -> None:
    pay(admin, member, 40 * EUR)
    with reverts(pool.RedistributionUnknownProject, projectId=project_id + 1):
        pool.fundEssProject(project_id + 1, ESS_WALLET, 1, EUR, sender=governance)


def test_fund_ess_project_reverts_for_a_deactivated_project(
    pool: Any,
    registry: Any,
    pay: Callable[..., Any],
    governance: Any,
    project_id: int,
    admin: Any,
    member: Any,
) -> None:
    pay(admin, member, 40 * EUR)
    registry.deactivateProject(project_id, sender=governance)
    with reverts(pool.RedistributionProjectInactive, projectId=project_id):
        pool.fundEssProject(project_id, ESS_WALLET, 1, EUR, sender=governance)


def test_fund_ess_project_reverts_for_a_member_project_governance_never_activated(
    pool: Any,
    token: Any,
    registry: Any,
    pay: Callable[..., Any],
    governance: Any,
    ess_member: Any,
    admin: Any,
    member: Any,
) -> None:
    pay(admin, member, 40 * EUR)
    receipt = registry.registerProject(OTHER_WALLET, "ipfs://new-project", METADATA_HASH, sender=ess_member)
    new_project = int(receipt.events[0].projectId)
    assert tuple(registry.payoutOf(new_project)) == (OTHER_WALLET, False, 1)

    with reverts(pool.RedistributionProjectInactive, projectId=new_project):
        pool.fundEssProject(new_project, OTHER_WALLET, 1, EUR, sender=governance)
    assert token.balanceOf(OTHER_WALLET) == 0


def test_fund_ess_project_reverts_on_a_zero_amount(pool: Any, governance: Any, project_id: int) -> None:
    with reverts(pool.RedistributionZeroAmount):
        pool.fundEssProject(project_id, ESS_WALLET, 1, 0, sender=governance)


def test_fund_ess_project_reverts_for_a_wallet_not_on_record(
    pool: Any,
    token: Any,
    pay: Callable[..., Any],
    governance: Any,
    project_id: int,
    admin: Any,
    member: Any,
) -> None:
    pay(admin, member, 40 * EUR)
    available = int(pool.essAvailable())

    for wallet, version in ((OTHER_WALLET, 1), (OTHER_WALLET, 2), (ESS_WALLET, 2), (ESS_WALLET, 0)):
        with reverts(
            pool.RedistributionPayoutMismatch,
            projectId=project_id,
            payoutWallet=wallet,
            walletVersion=version,
        ):
            pool.fundEssProject(project_id, wallet, version, EUR, sender=governance)

    assert token.balanceOf(OTHER_WALLET) == token.balanceOf(ESS_WALLET) == 0
    assert pool.essAvailable() == available


def test_fund_ess_project_reverts_for_an_earlier_wallet_version_even_with_the_same_wallet(
    pool: Any,
    token: Any,
    registry: Any,
    pay: Callable[..., Any],
    governance: Any,
    project_id: int,
    ess_member: Any,
    admin: Any,
    member: Any,
) -> None:
    """The owner switches the wallet away and back: the address voters saw is on record again,
    but not at the version they saw (version 3 now), so a funding voted at version 1 stays void."""
    pay(admin, member, 40 * EUR)
    registry.updateProject(project_id, OTHER_WALLET, "ipfs://project", METADATA_HASH, sender=ess_member)
    registry.updateProject(project_id, ESS_WALLET, "ipfs://project", METADATA_HASH, sender=ess_member)
    assert tuple(registry.payoutOf(project_id)) == (ESS_WALLET, False, 3)
    # The mismatch is reported before the project being off.
    with reverts(
        pool.RedistributionPayoutMismatch, projectId=project_id, payoutWallet=ESS_WALLET, walletVersion=1
    ):
        pool.fundEssProject(project_id, ESS_WALLET, 1, EUR, sender=governance)

    registry.activateProject(project_id, 3, sender=governance)

    with reverts(
        pool.RedistributionPayoutMismatch, projectId=project_id, payoutWallet=ESS_WALLET, walletVersion=1
    ):
        pool.fundEssProject(project_id, ESS_WALLET, 1, EUR, sender=governance)
    assert token.balanceOf(ESS_WALLET) == 0
    # A funding voted for the version on record pays.
    receipt = pool.fundEssProject(project_id, ESS_WALLET, 3, EUR, sender=governance)
    assert emitted(receipt) == [
        log(pool.EssProjectFunded, projectId=project_id, payoutWallet=ESS_WALLET, amount=EUR),
        log(token.Transfer, **{"from": pool, "to": ESS_WALLET, "value": EUR}),
    ]


def test_a_funding_queued_before_a_wallet_change_never_pays_even_after_reactivation(
    pool: Any,
    token: Any,
    registry: Any,
    governor: Any,
    pay: Callable[..., Any],
    governance: Any,
    project_id: int,
    ess_member: Any,
    admin: Any,
    member: Any,
) -> None:
    """Voted and queued for ESS_WALLET (version 1); the owner then moves the payout to
    OTHER_WALLET and governance switches the project on again for that wallet: the queued funding
    reverts at every attempt within its grace period, then expires; nobody is paid."""
    pay(admin, member, 40 * EUR)
    available = int(pool.essAvailable())
    funding = gov.fund_ess_project(pool, registry, project_id, available).by(admin)
    proposal_id = funding.proposal_id(governor)
    gov.propose(governor, funding, admin)
    gov.wait_for_voting_start(governor, proposal_id)
    for voter in (admin, member, ess_member):  # the quorum of three founders: all of them
        gov.vote(governor, proposal_id, Support.FOR, voter)
    gov.wait_for_voting_end(governor, proposal_id)
    gov.queue(governor, funding, admin)

    registry.updateProject(project_id, OTHER_WALLET, "ipfs://project", METADATA_HASH, sender=ess_member)
    registry.activateProject(project_id, 2, sender=governance)
    assert tuple(registry.payoutOf(project_id)) == (OTHER_WALLET, True, 2)
    gov.wait_for_timelock(governor, proposal_id)

    for _attempt in range(2):
        with reverts(
            pool.RedistributionPayoutMismatch, projectId=project_id, payoutWallet=ESS_WALLET, walletVersion=1
        ):
            gov.execute(governor, funding, admin)
        assert gov.state(governor, proposal_id) == ProposalState.QUEUED
        gov.wait_until(int(governor.proposalExpiresAt(proposal_id)))  # the last second of grace

    gov.wait_until(int(governor.proposalExpiresAt(proposal_id)) + 1)
    assert gov.state(governor, proposal_id) == ProposalState.EXPIRED
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal_id,
        current=ProposalState.EXPIRED,
        expectedStates=_states_bitmap(ProposalState.SUCCEEDED, ProposalState.QUEUED),
    ):
        gov.execute(governor, funding, admin)
    assert token.balanceOf(OTHER_WALLET) == token.balanceOf(ESS_WALLET) == 0
    assert pool.essAvailable() == available


# ---------------------------------------------------------------------------- spendCollective


def test_spend_collective_pays_the_recipient_with_a_memo(
    pool: Any,
    token: Any,
    model: PoolModel,
    pay: Callable[..., Any],
    steward: Any,
    admin: Any,
    member: Any,
    everyone: list[Any],
) -> None:
    pay(admin, member, 40 * EUR)
    amount = model.collective_available - 1
    memo = "Showcase of skills, Lyon, room hire"

    receipt = pool.spendCollective(COLLECTIVE_RECIPIENT, amount, memo, sender=steward)

    model.spend_collective(amount)
    assert emitted(receipt) == [
        log(
            pool.CollectiveSpent,
            steward=steward,
            recipient=COLLECTIVE_RECIPIENT,
            amount=amount,
            memo=memo,
        ),
        log(token.Transfer, **{"from": pool, "to": COLLECTIVE_RECIPIENT, "value": amount}),
    ]
    assert token.balanceOf(COLLECTIVE_RECIPIENT) == amount
    assert pool.collectiveAvailable() == 1
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


@pytest.mark.parametrize("caller_name", ["admin", "governance", "outsider"])
def test_spend_collective_reverts_unless_steward(
    request: pytest.FixtureRequest,
    pool: Any,
    pay: Callable[..., Any],
    admin: Any,
    member: Any,
    caller_name: str,
) -> None:
    pay(admin, member, 40 * EUR)
    caller = request.getfixturevalue(caller_name)
    with reverts(pool.RedistributionNotSteward, caller=caller):
        pool.spendCollective(COLLECTIVE_RECIPIENT, EUR, "not mine", sender=caller)


def test_spend_collective_reverts_on_the_zero_address(
    pool: Any, pay: Callable[..., Any], steward: Any, admin: Any, member: Any
) -> None:
    pay(admin, member, 40 * EUR)
    with reverts(pool.RedistributionZeroAddress):
        pool.spendCollective(ZERO_ADDRESS, EUR, "burn", sender=steward)


def test_spend_collective_reverts_on_a_zero_amount(pool: Any, steward: Any) -> None:
    with reverts(pool.RedistributionZeroAmount):
        pool.spendCollective(COLLECTIVE_RECIPIENT, 0, "nothing", sender=steward)


def test_spend_collective_reverts_on_a_memo_too_long(
    pool: Any, pay: Callable[..., Any], steward: Any, admin: Any, member: Any
) -> None:
    pay(admin, member, 40 * EUR)
    with reverts(pool.RedistributionMemoTooLong, length=281, maxLength=280):
        pool.spendCollective(COLLECTIVE_RECIPIENT, EUR, "m" * 281, sender=steward)


def test_spend_collective_reverts_beyond_the_collective_fund(
    pool: Any, model: PoolModel, pay: Callable[..., Any], steward: Any, admin: Any, member: Any
) -> None:
    pay(admin, member, 40 * EUR)
    available = model.collective_available
    with reverts(pool.RedistributionInsufficientFunds, requested=available + 1, available=available):
        pool.spendCollective(COLLECTIVE_RECIPIENT, available + 1, "too much", sender=steward)


# ---------------------------------------------------------------------------- the steward's budget

DAY = 86_400
BUDGET = 10_000 * EUR  # the local settings: 10,000 tEUR per day


def _budget(pool: Any) -> tuple[int, int, int, int]:
    """The pool's `collectiveBudget()`: (amount, period, periodStart, spent)."""
    budget = pool.collectiveBudget()
    return int(budget.amount), int(budget.period), int(budget.periodStart), int(budget.spent)


@pytest.fixture
def rich_collective(contribute: Callable[..., Any], model: PoolModel, outsider: Any, settings: Any) -> int:
    """A contribution leaves the collective fund well above a day's budget; returns what it holds."""
    assert (settings.collective_budget, settings.collective_budget_period) == (BUDGET, DAY)
    contribute(outsider, 200_000 * EUR)
    assert model.collective_available == 40_000 * EUR
    return model.collective_available


def test_spend_collective_within_the_budget_and_not_beyond(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    steward: Any,
    rich_collective: int,
    everyone: list[Any],
) -> None:
    assert _budget(pool) == (BUDGET, DAY, 0, 0)  # no period running before the first spending

    first = pool.spendCollective(COLLECTIVE_RECIPIENT, 6_000 * EUR, "room hire", sender=steward)
    model.spend_collective(6_000 * EUR)

    start = first.timestamp
    assert _budget(pool) == (BUDGET, DAY, start, 6_000 * EUR)
    clock.travel(3_600)
    with reverts(
        pool.RedistributionCollectiveBudgetExceeded,
        requested=4_000 * EUR + 1,
        left=4_000 * EUR,
        periodEndsAt=start + DAY,
    ):
        pool.spendCollective(COLLECTIVE_RECIPIENT, 4_000 * EUR + 1, "one unit too much", sender=steward)
    receipt = pool.spendCollective(
        COLLECTIVE_RECIPIENT, 4_000 * EUR, "the rest of the day's budget", sender=steward
    )
    model.spend_collective(4_000 * EUR)
    assert emitted(receipt) == [
        log(
            pool.CollectiveSpent,
            steward=steward,
            recipient=COLLECTIVE_RECIPIENT,
            amount=4_000 * EUR,
            memo="the rest of the day's budget",
        ),
        log(token.Transfer, **{"from": pool, "to": COLLECTIVE_RECIPIENT, "value": 4_000 * EUR}),
    ]
    assert _budget(pool) == (BUDGET, DAY, start, BUDGET)
    clock.travel_to(start + DAY - 1)  # the period's last second
    with reverts(pool.RedistributionCollectiveBudgetExceeded, requested=1, left=0, periodEndsAt=start + DAY):
        pool.spendCollective(COLLECTIVE_RECIPIENT, 1, "a unit more", sender=steward)
    assert token.balanceOf(COLLECTIVE_RECIPIENT) == BUDGET
    assert pool.collectiveAvailable() == rich_collective - BUDGET
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_the_next_budget_period_starts_with_the_first_spending_after_the_last_ended(
    pool: Any, token: Any, model: PoolModel, clock: ChainClock, steward: Any, rich_collective: int
) -> None:
    start = pool.spendCollective(COLLECTIVE_RECIPIENT, BUDGET, "the whole day", sender=steward).timestamp
    clock.travel_to(start + DAY)
    # The period ended: the view shows none running, and the whole budget is there again.
    assert _budget(pool) == (BUDGET, DAY, 0, 0)
    clock.travel(5_000)  # periods are not aligned: the next one starts with the next spending

    # Asking for more than the budget reports the period this spending would start.
    with reverts(
        pool.RedistributionCollectiveBudgetExceeded,
        requested=BUDGET + 1,
        left=BUDGET,
        periodEndsAt=clock.now + DAY,
    ):
        pool.spendCollective(COLLECTIVE_RECIPIENT, BUDGET + 1, "more than a day", sender=steward)
    second = pool.spendCollective(COLLECTIVE_RECIPIENT, 2_500 * EUR, "the second day", sender=steward)

    assert second.timestamp == start + DAY + 5_000
    assert _budget(pool) == (BUDGET, DAY, second.timestamp, 2_500 * EUR)
    clock.travel_to(second.timestamp + DAY - 1)
    with reverts(
        pool.RedistributionCollectiveBudgetExceeded,
        requested=7_500 * EUR + 1,
        left=7_500 * EUR,
        periodEndsAt=second.timestamp + DAY,
    ):
        pool.spendCollective(COLLECTIVE_RECIPIENT, 7_500 * EUR + 1, "too much", sender=steward)
    assert token.balanceOf(COLLECTIVE_RECIPIENT) == BUDGET + 2_500 * EUR
    model.spend_collective(BUDGET + 2_500 * EUR)
    assert pool.collectiveAvailable() == model.collective_available


def test_set_collective_budget_keeps_what_the_running_period_spent(
    pool: Any, token: Any, clock: ChainClock, governance: Any, steward: Any, rich_collective: int
) -> None:
    start = pool.spendCollective(COLLECTIVE_RECIPIENT, 6_000 * EUR, "room hire", sender=steward).timestamp
    clock.travel(60)

    receipt = pool.setCollectiveBudget(7_000 * EUR, DAY, sender=governance)

    assert emitted(receipt) == [log(pool.CollectiveBudgetChanged, amount=7_000 * EUR, period=DAY)]
    assert _budget(pool) == (7_000 * EUR, DAY, start, 6_000 * EUR)
    with reverts(
        pool.RedistributionCollectiveBudgetExceeded,
        requested=1_000 * EUR + 1,
        left=1_000 * EUR,
        periodEndsAt=start + DAY,
    ):
        pool.spendCollective(COLLECTIVE_RECIPIENT, 1_000 * EUR + 1, "too much", sender=steward)

    # Below what the period spent: nothing is left until the period ends.
    pool.setCollectiveBudget(5_000 * EUR, DAY, sender=governance)
    assert _budget(pool) == (5_000 * EUR, DAY, start, 6_000 * EUR)
    with reverts(pool.RedistributionCollectiveBudgetExceeded, requested=1, left=0, periodEndsAt=start + DAY):
        pool.spendCollective(COLLECTIVE_RECIPIENT, 1, "a unit", sender=steward)

    # A longer period lengthens the running one: it still started at the first spending.
    pool.setCollectiveBudget(8_000 * EUR, 2 * DAY, sender=governance)
    assert _budget(pool) == (8_000 * EUR, 2 * DAY, start, 6_000 * EUR)
    clock.travel_to(start + DAY)
    with reverts(
        pool.RedistributionCollectiveBudgetExceeded,
        requested=2_000 * EUR + 1,
        left=2_000 * EUR,
        periodEndsAt=start + 2 * DAY,
    ):
        pool.spendCollective(COLLECTIVE_RECIPIENT, 2_000 * EUR + 1, "too much", sender=steward)
    pool.spendCollective(COLLECTIVE_RECIPIENT, 2_000 * EUR, "the rest", sender=steward)
    assert _budget(pool) == (8_000 * EUR, 2 * DAY, start, 8_000 * EUR)
    assert token.balanceOf(COLLECTIVE_RECIPIENT) == 8_000 * EUR


def test_set_steward_does_not_reset_the_budget_period(
    pool: Any,
    token: Any,
    clock: ChainClock,
    governance: Any,
    steward: Any,
    outsider: Any,
    rich_collective: int,
) -> None:
    """The outgoing steward spends the whole budget once it sees its replacement coming: its
    successor can spend nothing more until the period ends (no window to empty the fund)."""
    start = pool.spendCollective(COLLECTIVE_RECIPIENT, BUDGET, "before leaving", sender=steward).timestamp
    clock.travel(60)

    pool.setSteward(outsider, sender=governance)

    assert _budget(pool) == (BUDGET, DAY, start, BUDGET)
    with reverts(pool.RedistributionCollectiveBudgetExceeded, requested=1, left=0, periodEndsAt=start + DAY):
        pool.spendCollective(COLLECTIVE_RECIPIENT, 1, "first act", sender=outsider)
    clock.travel_to(start + DAY)
    pool.spendCollective(COLLECTIVE_RECIPIENT, EUR, "first act", sender=outsider)
    assert token.balanceOf(COLLECTIVE_RECIPIENT) == BUDGET + EUR
    assert pool.collectiveAvailable() == rich_collective - BUDGET - EUR


@pytest.mark.parametrize(
    ("amount", "period"), [(0, 3_600), (1, 365 * DAY), (2**88 - 1, DAY), (BUDGET, 3_600)]
)
def test_set_collective_budget_accepts_its_bounds(
    pool: Any, governance: Any, amount: int, period: int
) -> None:
    receipt = pool.setCollectiveBudget(amount, period, sender=governance)

    assert emitted(receipt) == [log(pool.CollectiveBudgetChanged, amount=amount, period=period)]
    assert _budget(pool) == (amount, period, 0, 0)


def test_a_zero_budget_stops_the_steward(
    pool: Any, governance: Any, steward: Any, clock: ChainClock, rich_collective: int
) -> None:
    pool.setCollectiveBudget(0, DAY, sender=governance)

    with reverts(
        pool.RedistributionCollectiveBudgetExceeded, requested=1, left=0, periodEndsAt=clock.now + DAY
    ):
        pool.spendCollective(COLLECTIVE_RECIPIENT, 1, "anything", sender=steward)


@pytest.mark.parametrize("period", [0, 3_599, 365 * DAY + 1, 2**32])
def test_set_collective_budget_reverts_on_a_period_out_of_range(
    pool: Any, governance: Any, period: int
) -> None:
    with reverts(
        pool.RedistributionBudgetPeriodOutOfRange, period=period, minPeriod=3_600, maxPeriod=365 * DAY
    ):
        pool.setCollectiveBudget(EUR, period, sender=governance)
    assert _budget(pool) == (BUDGET, DAY, 0, 0)


def test_set_collective_budget_reverts_on_an_amount_over_88_bits(pool: Any, governance: Any) -> None:
    with reverts(pool.RedistributionAmountTooLarge, amount=2**88):
        pool.setCollectiveBudget(2**88, DAY, sender=governance)


@pytest.mark.parametrize("period", [0, 3_599, 365 * DAY + 1])
def test_constructor_reverts_on_a_budget_period_out_of_range(
    deployer: Any, system: Any, pool: Any, steward: Any, settings: Any, period: int
) -> None:
    with reverts(
        pool.RedistributionBudgetPeriodOutOfRange, period=period, minPeriod=3_600, maxPeriod=365 * DAY
    ):
        deploy_pool(deployer, system, steward, settings, collectiveBudgetPeriod=period)


# ---------------------------------------------------------------------------- governance settings


# Every call would succeed from governance (valid arguments), except fundEssProject (no project).
GOVERNED_CALLS: dict[str, Callable[[Any, Any], Any]] = {
    "setShares": lambda pool, caller: pool.setShares((5_000, 3_000, 2_000), sender=caller),
    "setPointWeights": lambda pool, caller: pool.setPointWeights((2_000, 5_000, 1_500, 1_500), sender=caller),
    "setMinRelationFee": lambda pool, caller: pool.setMinRelationFee(EUR, sender=caller),
    "setSteward": lambda pool, caller: pool.setSteward(caller, sender=caller),
    "setEpochLength": lambda pool, caller: pool.setEpochLength(3_600, sender=caller),
    "setEpochRewardCap": lambda pool, caller: pool.setEpochRewardCap(1_000, sender=caller),
    "setPartiesMinShare": lambda pool, caller: pool.setPartiesMinShare(5_000, sender=caller),
    "setCollectiveBudget": lambda pool, caller: pool.setCollectiveBudget(EUR, 3_600, sender=caller),
    "fundEssProject": lambda pool, caller: pool.fundEssProject(1, ESS_WALLET, 1, EUR, sender=caller),
}


@pytest.mark.parametrize("function", sorted(GOVERNED_CALLS))
@pytest.mark.parametrize("caller_name", ["admin", "steward", "deployer", "outsider"])
def test_governed_functions_revert_unless_called_by_governance(
    request: pytest.FixtureRequest, pool: Any, function: str, caller_name: str
) -> None:
    caller = request.getfixturevalue(caller_name)
    with reverts(pool.RedistributionNotGovernance, caller=caller):
        GOVERNED_CALLS[function](pool, caller)


def test_set_shares_applies_to_later_inflows(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    governance: Any,
    settings: Any,
    admin: Any,
    member: Any,
    everyone: list[Any],
) -> None:
    new_shares = (4_000, 4_500, 1_500)

    receipt = pool.setShares(new_shares, sender=governance)

    assert emitted(receipt) == [
        log(pool.SharesChanged, previousShares=settings.shares.as_tuple(), newShares=new_shares),
    ]
    assert tuple(pool.shares()) == new_shares
    model.shares = new_shares
    pay(admin, member, 21 * EUR + 1)
    clock.next_epoch(model.clock)
    pay(member, admin, 21 * EUR + 1)
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_set_shares_accepts_an_ess_share_of_exactly_the_floor(pool: Any, governance: Any) -> None:
    floor = pool.essFloorBps()
    # Members would get 8,000 bps: a point then costs 0.2 token unit, so the cap comes down first.
    pool.setEpochRewardCap(min(pool.epochRewardCapBps(), 2_000), sender=governance)
    pool.setShares((10_000 - floor, floor, 0), sender=governance)

    assert tuple(pool.shares()) == (10_000 - floor, floor, 0)


def test_set_shares_reverts_below_the_floor(pool: Any, governance: Any) -> None:
    floor = pool.essFloorBps()
    with reverts(pool.RedistributionEssShareBelowFloor, essBps=floor - 1, floorBps=floor):
        pool.setShares((10_001 - floor, floor - 1, 0), sender=governance)


@pytest.mark.parametrize("shares", [(5_000, 3_000, 1_999), (5_000, 3_000, 2_001), (0, 0, 0)])
def test_set_shares_reverts_unless_they_sum_to_10000(
    pool: Any, governance: Any, shares: tuple[int, int, int]
) -> None:
    with reverts(pool.RedistributionSharesInvalidSum, sumBps=sum(shares)):
        pool.setShares(shares, sender=governance)


def test_set_point_weights_applies_to_later_relations(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    enrol: Callable[[Any, Any], None],
    governance: Any,
    settings: Any,
    admin: Any,
    member: Any,
    alice: Any,
    everyone: list[Any],
) -> None:
    enrol(member, alice)
    new_weights = (0, 10_000, 0, 2_500)  # the payer's sponsor keeps its place in the event, with 0 points
    # 12,500 bps of points per unit paid: a point costs 0.4 token unit, so the cap comes down first.
    cap = min(model.epoch_reward_cap_bps, max_reward_cap_bps(model.shares, new_weights))
    pool.setEpochRewardCap(cap, sender=governance)
    model.epoch_reward_cap_bps = cap

    receipt = pool.setPointWeights(new_weights, sender=governance)

    assert emitted(receipt) == [
        log(pool.PointWeightsChanged, previousWeights=settings.weights.as_tuple(), newWeights=new_weights),
    ]
    assert tuple(pool.pointWeights()) == new_weights
    model.weights = new_weights
    pay(alice, admin, 12 * EUR)
    assert pool.pointsOf(alice) == 0
    assert pool.pointsOf(member) == 0
    assert pool.pointsOf(admin) == 12 * EUR
    clock.next_epoch(model.clock)
    pay(alice, admin, 12 * EUR)
    assert pool.claimableOf(admin) > 0
    assert pool.claimableOf(alice) == pool.claimableOf(member) == 0
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_set_point_weights_reverts_when_all_are_zero(pool: Any, governance: Any) -> None:
    with reverts(pool.RedistributionWeightsAllZero):
        pool.setPointWeights((0, 0, 0, 0), sender=governance)


def test_set_min_relation_fee_applies_to_later_relations(
    pool: Any,
    model: PoolModel,
    pay: Callable[..., Any],
    fund: Callable[[Any, int], None],
    governance: Any,
    settings: Any,
    admin: Any,
    member: Any,
    everyone: list[Any],
) -> None:
    new_fee = 50 * EUR

    receipt = pool.setMinRelationFee(new_fee, sender=governance)

    assert emitted(receipt) == [
        log(pool.MinRelationFeeChanged, previousFee=settings.min_relation_fee, newFee=new_fee),
    ]
    assert pool.minRelationFee() == new_fee
    fund(admin, new_fee - 1)
    with reverts(pool.RedistributionFeeBelowMinimum, amount=new_fee - 1, minimum=new_fee):
        pool.payRelation(member, new_fee - 1, ref("cheap"), sender=admin)
    pay(admin, member, new_fee)
    assert_pool_matches(pool, model, everyone)


@pytest.mark.parametrize("excess", [1, 2**128])
def test_set_min_relation_fee_reverts_above_the_ceiling(
    pool: Any, governance: Any, settings: Any, excess: int
) -> None:
    ceiling = settings.min_relation_fee_ceiling
    with reverts(pool.RedistributionMinRelationFeeAboveCeiling, fee=ceiling + excess, ceiling=ceiling):
        pool.setMinRelationFee(ceiling + excess, sender=governance)
    assert pool.minRelationFee() == settings.min_relation_fee


def test_set_min_relation_fee_accepts_the_ceiling(pool: Any, governance: Any, settings: Any) -> None:
    ceiling = settings.min_relation_fee_ceiling

    receipt = pool.setMinRelationFee(ceiling, sender=governance)

    assert emitted(receipt) == [
        log(pool.MinRelationFeeChanged, previousFee=settings.min_relation_fee, newFee=ceiling),
    ]
    assert pool.minRelationFee() == pool.minRelationFeeCeiling() == ceiling


def test_set_steward_hands_the_collective_fund_over(
    pool: Any,
    token: Any,
    pay: Callable[..., Any],
    governance: Any,
    steward: Any,
    admin: Any,
    member: Any,
    outsider: Any,
) -> None:
    pay(admin, member, 40 * EUR)

    receipt = pool.setSteward(outsider, sender=governance)

    assert emitted(receipt) == [log(pool.StewardChanged, previousSteward=steward, newSteward=outsider)]
    assert pool.steward() == outsider.address
    with reverts(pool.RedistributionNotSteward, caller=steward):
        pool.spendCollective(COLLECTIVE_RECIPIENT, EUR, "former steward", sender=steward)
    pool.spendCollective(COLLECTIVE_RECIPIENT, EUR, "new steward", sender=outsider)
    assert token.balanceOf(COLLECTIVE_RECIPIENT) == EUR


def test_set_steward_reverts_on_the_zero_address(pool: Any, governance: Any) -> None:
    with reverts(pool.RedistributionZeroAddress):
        pool.setSteward(ZERO_ADDRESS, sender=governance)


# ---------------------------------------------------------------------------- membership hooks


def test_membership_fee_paid_on_joining_is_split_into_the_buckets(
    pool: Any,
    token: Any,
    membership: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    governance: Any,
    admin: Any,
    member: Any,
    invitee: Any,
    everyone: list[Any],
    settings: Any,
) -> None:
    pay(admin, member, 20 * EUR)
    clock.next_epoch(model.clock)  # the fee rewards the relation's matured points
    fee = 5 * EUR + 1
    membership.setMembershipFee(fee, sender=governance)
    membership.invite(invitee, ABEILLE, sender=member)
    token.mint(invitee, fee, sender=invitee)
    token.approve(pool, fee, sender=invitee)

    receipt = membership.acceptInvitation(member, ABEILLE, sender=invitee)

    split = model.receive(fee, receipt.timestamp)
    model.add_member(invitee, member)
    assert split.to_members > 0
    assert emitted(receipt) == [
        log(
            membership.MemberJoined,
            member=invitee,
            sponsor=member,
            kind=ABEILLE,
            joinedAt=chain.blocks[receipt.block_number].timestamp,
            feePaid=fee,
            byGovernance=False,
            votesFrom=receipt.timestamp + settings.probation,
        ),
        # No vote yet (probation): no DelegateVotesChanged.
        log(
            membership.Transfer,
            **{"from": ZERO_ADDRESS, "to": invitee, "tokenId": int(invitee.address, 16)},
        ),
        log(membership.Locked, tokenId=int(invitee.address, 16)),
        log(
            pool.MembershipFeeReceived,
            member=invitee,
            amount=fee,
            split=split.as_tuple(),
            rewardPerPoint=model.reward_per_point,
        ),
        log(token.Transfer, **{"from": invitee, "to": pool, "value": fee}),
    ]
    assert token.balanceOf(invitee) == 0
    assert pool.pointsOf(invitee) == 0
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_collect_membership_fee_reverts_unless_called_by_membership(
    pool: Any, fund: Callable[[Any, int], None], admin: Any, governance: Any
) -> None:
    fund(admin, EUR)
    for caller in (admin, governance):
        with reverts(pool.RedistributionNotMembership, caller=caller):
            pool.collectMembershipFee(admin, EUR, sender=caller)


def test_collect_membership_fee_reverts_on_a_zero_amount(
    pool: Any, membership: Any, accounts: Any, admin: Any
) -> None:
    as_membership = accounts[str(membership.address)]
    as_membership.balance += 10**18
    with reverts(pool.RedistributionZeroAmount):
        pool.collectMembershipFee(admin, 0, sender=as_membership)


def test_freeze_member_rewards_reverts_unless_called_by_membership(
    pool: Any, pay: Callable[..., Any], admin: Any, member: Any, governance: Any
) -> None:
    pay(admin, member, 20 * EUR)
    for caller in (admin, member, governance):
        with reverts(pool.RedistributionNotMembership, caller=caller):
            pool.freezeMemberRewards(member, sender=caller)
    assert pool.pointsOf(member) > 0


def test_exclusion_emits_the_frozen_matured_and_pending_points_and_rewards(
    pool: Any,
    membership: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    contribute: Callable[..., Any],
    governance: Any,
    admin: Any,
    member: Any,
    outsider: Any,
    everyone: list[Any],
) -> None:
    pay(admin, member, 20 * EUR, "earlier")  # member: 10 EUR of points, matured below
    clock.next_epoch(model.clock)
    pay(member, admin, 30 * EUR, "pending")  # member: 6 EUR of points, pending
    accrued = model.claimable_of(member, clock.now)
    assert accrued > 0

    receipt = membership.exclude(member, "left the network", sender=governance)

    assert model.exclude(member, receipt.timestamp) == (10 * EUR, 6 * EUR, accrued)
    assert emitted(receipt) == [
        log(
            membership.MemberExcluded,
            member=member,
            excludedAt=chain.blocks[receipt.block_number].timestamp,
            reason="left the network",
        ),
        log(membership.DelegateVotesChanged, delegate=member, previousVotes=1, newVotes=0),
        log(
            membership.Transfer,
            **{"from": member, "to": ZERO_ADDRESS, "tokenId": int(member.address, 16)},
        ),
        log(
            pool.MemberRewardsFrozen,
            member=member,
            maturedRemoved=10 * EUR,
            pendingRemoved=6 * EUR,
            accrued=accrued,
            rewardPerPoint=model.reward_per_point,
        ),
    ]
    # What is left: admin's 4 EUR of matured points (paid earlier) and 15 EUR pending.
    totals = pool.totals()
    assert (totals.maturedPoints, totals.pendingPoints) == (4 * EUR, 15 * EUR)
    assert tuple(pool.memberPoints(member)) == (0, 0, 0, 0)
    assert_pool_matches(pool, model, everyone)
    # The removed pending points never mature: once the epoch ends, admin's points are all.
    clock.next_epoch(model.clock)
    assert (pool.totals().maturedPoints, pool.totals().pendingPoints) == (19 * EUR, 0)
    contribute(outsider, 10 * EUR)
    assert pool.claimableOf(member) == accrued
    assert pool.claimableOf(admin) > 0
    assert_pool_matches(pool, model, everyone)


# ---------------------------------------------------------------------------- scenario


def test_books_balance_through_a_multi_step_scenario(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    contribute: Callable[..., Any],
    claim: Callable[[Any], int],
    enrol: Callable[[Any, Any], None],
    exclude: Callable[[Any], Any],
    serve_probation: Callable[..., None],
    governance: Any,
    steward: Any,
    project_id: int,
    admin: Any,
    member: Any,
    ess_member: Any,
    alice: Any,
    bob: Any,
    carol: Any,
    outsider: Any,
    everyone: list[Any],
) -> None:
    def check() -> None:
        assert_pool_matches(pool, model, everyone)
        assert_pool_solvent(pool, token, everyone)
        assert model.total_received == (
            model.rewards_claimed + model.ess_disbursed + model.collective_spent + token.balanceOf(pool)
        )

    contribute(outsider, 3 * EUR + 1)  # to ESS: nobody has points yet
    check()
    enrol(admin, alice)
    serve_probation(alice, invitations=1)
    enrol(alice, bob)
    enrol(ess_member, carol)
    check()
    pay(alice, member, 12 * EUR + 7, "intro 1")
    check()
    pay(bob, carol, 31 * EUR + 3, "intro 2")
    check()
    clock.next_epoch(model.clock)
    contribute(outsider, 4 * EUR + 3)  # the first epoch's points share it
    check()
    claim(alice)
    check()
    token.mint(pool, 2 * EUR + 5, sender=outsider)
    receipt = pool.accountSurplus(sender=outsider)
    model.account_surplus(2 * EUR + 5, receipt.timestamp)
    check()
    exclude(alice)
    check()
    pay(bob, admin, 18 * EUR + 1, "intro 3")  # alice is excluded: bob has no active sponsor
    check()
    pool.setShares((4_500, 3_500, 2_000), sender=governance)
    model.shares = (4_500, 3_500, 2_000)
    pool.setPointWeights((1_000, 3_000, 500, 0), sender=governance)
    model.weights = (1_000, 3_000, 500, 0)
    clock.next_epoch(model.clock, 3)
    pay(carol, member, 77 * EUR + 77, "intro 4")
    check()
    pool.fundEssProject(project_id, ESS_WALLET, 1, model.ess_available // 2, sender=governance)
    model.fund_ess(model.ess_available // 2)
    check()
    pool.spendCollective(COLLECTIVE_RECIPIENT, model.collective_available - 3, "training day", sender=steward)
    model.spend_collective(model.collective_available - 3)
    check()
    contribute(steward, 9 * EUR + 9)
    check()
    clock.next_epoch(model.clock)
    contribute(steward, 250 * EUR)  # more than the cap lets the points earn: the rest goes to ESS
    check()
    for account in (alice, bob, carol, member, admin, ess_member):
        if model.claimable_of(account, clock.now) > 0:
            claim(account)
        check()
    # Everything claimable was paid: the members' bucket holds rounding dust only, under a unit
    # per booking that rewarded points (5 here) and per settlement that floored an amount.
    assert sum(pool.claimableOf(account) for account in everyone) == 0
    assert pool.membersAvailable() <= 5 + sum(model.floors.values())
