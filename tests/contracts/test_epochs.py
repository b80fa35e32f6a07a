"""Epochs and maturity in the redistribution pool: the epoch clock (`epoch`, `epochClock`,
`epochEndsAt`, `setEpochLength` keeping the running epoch's end), points pending in their
relation's epoch and sharing only in inflows booked after it has ended, the accumulator a
member's pending points mature at however many idle epochs pass, the `memberPoints` and `totals`
views, and the per-epoch reward cap whose excess funds ESS.

The chain clock is stopped (the `clock` fixture): each test moves it to the second it needs.
Expected figures come from the independent model (redistribution_model.py) and, where the rule
is the point of the test, from the arithmetic written out here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.contracts.chain_clock import ChainClock
from tests.contracts.redistribution_model import (
    PRECISION,
    PoolModel,
    assert_pool_matches,
    assert_pool_solvent,
)
from tests.contracts.strict_checks import emitted, log

EUR = 10**6
HOUR = 3_600


def ref(label: str) -> bytes:
    """A 32-byte relation reference naming `label`."""
    return label.encode().ljust(32, b"\0")


def set_reward_cap(pool: Any, model: PoolModel, governance: Any, cap_bps: int) -> None:
    """Governance sets the epoch reward cap to `cap_bps` (whatever the deployment's), as the
    model does."""
    pool.setEpochRewardCap(cap_bps, sender=governance)
    model.epoch_reward_cap_bps = cap_bps


# ---------------------------------------------------------------------------- the clock


def test_epochs_count_from_one_at_deployment_in_steps_of_the_epoch_length(
    pool: Any, model: PoolModel, clock: ChainClock, settings: Any
) -> None:
    origin, length = model.clock.origin, settings.epoch_length
    assert tuple(pool.epochClock()) == (origin, length, 1)
    current = (clock.now - origin) // length + 1
    assert pool.epoch() == pool.totals().epoch == current
    assert pool.epochEndsAt(0) == origin  # the epoch before the origin's ends at the origin
    for epoch in (1, current, 1_000, 10**9):
        assert pool.epochEndsAt(epoch) == origin + epoch * length

    clock.travel_to(origin + current * length - 1)  # the epoch's last second
    assert pool.epoch() == pool.totals().epoch == current
    clock.travel(1)
    assert pool.epoch() == pool.totals().epoch == current + 1
    clock.travel(length * 1_000 - 1)
    assert pool.epoch() == current + 1_000
    clock.travel(1)
    assert pool.epoch() == current + 1_001


def test_set_epoch_length_keeps_the_running_epochs_end(
    pool: Any,
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
    clock.next_epoch(model.clock)
    clock.travel(20)
    pay(admin, member, 20 * EUR)
    current = model.epoch(clock.now)
    end = model.clock.epoch_end(current)

    receipt = pool.setEpochLength(HOUR, sender=governance)

    assert model.set_epoch_length(HOUR, receipt.timestamp) == (60, HOUR, current + 1, end)
    assert emitted(receipt) == [
        log(pool.EpochLengthChanged, previousLength=60, newLength=HOUR, originEpoch=current + 1, origin=end)
    ]
    assert tuple(pool.epochClock()) == (end, HOUR, current + 1)
    assert pool.epoch() == current
    assert pool.epochEndsAt(current) == end
    assert pool.epochEndsAt(current + 1) == end + HOUR
    assert pool.memberPoints(admin).maturesAt == end  # announced before the change: unchanged
    clock.travel_to(end - 1)
    assert pool.epoch() == current
    contribute(outsider, 10 * EUR)  # the relation's epoch still runs: nothing for its points
    assert pool.claimableOf(admin) == 0
    clock.travel_to(end)
    assert pool.epoch() == current + 1
    contribute(outsider, 10 * EUR)  # the epoch ended when it was due to: the points share
    assert pool.claimableOf(admin) > 0
    pay(member, admin, 20 * EUR)
    assert pool.memberPoints(member).maturesAt == end + HOUR
    clock.travel_to(end + HOUR - 1)
    assert pool.epoch() == current + 1
    clock.travel_to(end + HOUR)
    assert pool.epoch() == current + 2
    assert_pool_matches(pool, model, everyone)


def test_set_epoch_length_again_before_the_new_length_applies_only_swaps_the_length(
    pool: Any, model: PoolModel, clock: ChainClock, governance: Any
) -> None:
    current = model.epoch(clock.now)
    end = model.clock.epoch_end(current)
    pool.setEpochLength(HOUR, sender=governance)
    model.set_epoch_length(HOUR, clock.now)

    receipt = pool.setEpochLength(120, sender=governance)

    assert model.set_epoch_length(120, receipt.timestamp) == (HOUR, 120, current + 1, end)
    assert emitted(receipt) == [
        log(pool.EpochLengthChanged, previousLength=HOUR, newLength=120, originEpoch=current + 1, origin=end)
    ]
    assert tuple(pool.epochClock()) == (end, 120, current + 1)
    assert pool.epoch() == current
    clock.travel_to(end + 119)
    assert pool.epoch() == current + 1
    clock.travel(1)
    assert pool.epoch() == current + 2


def test_a_shorter_epoch_length_never_matures_pending_points_earlier(
    pool: Any,
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
    clock.next_epoch(model.clock)
    pay(admin, member, 20 * EUR)
    end = model.clock.epoch_end(model.epoch(clock.now))
    pool.setEpochLength(1, sender=governance)
    model.set_epoch_length(1, clock.now)

    clock.travel(30)  # 30 one-second epochs would have gone by, had the running one been cut short
    receipt = contribute(outsider, 10 * EUR)

    assert receipt.events[0].split[0] == 0
    assert pool.memberPoints(admin).maturesAt == end
    assert pool.claimableOf(admin) == pool.claimableOf(member) == 0
    clock.travel_to(end)
    contribute(outsider, 10 * EUR)
    assert pool.claimableOf(admin) > 0
    assert pool.epoch() == model.epoch(end) == model.clock.origin_epoch
    assert_pool_matches(pool, model, everyone)


# ---------------------------------------------------------------------------- maturity


def test_points_share_only_in_inflows_booked_after_their_epoch_ends(
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
) -> None:
    pay(admin, member, 100 * EUR)  # 20 EUR of points to admin, 50 EUR to member
    end = model.clock.epoch_end(model.epoch(clock.now))
    clock.travel_to(end - 1)

    receipt = contribute(outsider, 10 * EUR)  # the epoch's last second

    parts = model.split(10 * EUR)
    assert receipt.events[0].split == [0, parts.to_ess + parts.to_members, parts.to_collective]
    assert pool.claimableOf(admin) == pool.claimableOf(member) == 0

    clock.travel_to(end)
    receipt = contribute(outsider, 10 * EUR)  # the next epoch's first second

    # 5 EUR over 70 EUR of points: under the epoch's reward cap.
    increase = parts.to_members * PRECISION // (70 * EUR)
    assert increase <= model.epoch_reward_cap_bps * PRECISION // 10_000
    assert receipt.events[0].rewardPerPoint == increase
    assert receipt.events[0].split[0] == -(-increase * 70 * EUR // PRECISION)
    assert pool.claimableOf(admin) == 20 * EUR * increase // PRECISION
    assert pool.claimableOf(member) == 50 * EUR * increase // PRECISION
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_an_inflow_in_the_same_block_as_a_relation_gives_its_points_nothing(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    fund: Callable[[Any, int], None],
    admin: Any,
    member: Any,
    ess_member: Any,
    outsider: Any,
    everyone: list[Any],
) -> None:
    pay(admin, member, 200 * EUR, "earlier")  # 140 EUR of points, matured below
    clock.next_epoch(model.clock)
    fund(ess_member, 10 * EUR)
    fund(outsider, 10 * EUR)

    paid, contributed = clock.in_one_block(
        (ess_member, pool.payRelation, (member, 10 * EUR, ref("same block"))),
        (outsider, pool.contribute, (10 * EUR, "same block")),
    )

    now = paid.timestamp
    split, points = model.pay_relation(ess_member, member, 10 * EUR, now)
    assert emitted(paid) == [
        log(
            pool.RelationPaid,
            payer=ess_member,
            counterparty=member,
            relationRef=ref("same block"),
            amount=10 * EUR,
            split=split.as_tuple(),
            points=points.as_tuple(),
            rewardPerPoint=model.reward_per_point,
            epoch=model.epoch(now),
        ),
        log(token.Transfer, **{"from": ess_member, "to": pool, "value": 10 * EUR}),
    ]
    before = model.reward_per_point
    split = model.receive(10 * EUR, now)
    assert emitted(contributed) == [
        log(
            pool.Contributed,
            contributor=outsider,
            amount=10 * EUR,
            split=split.as_tuple(),
            rewardPerPoint=model.reward_per_point,
            memo="same block",
        ),
        log(token.Transfer, **{"from": outsider, "to": pool, "value": 10 * EUR}),
    ]
    # The contribution went to the 140 EUR of matured points only (under the epoch's reward cap,
    # with the relation's own part); the relation's 7 EUR of new points, pending, got nothing.
    assert model.reward_per_point < model.epoch_reward_cap_bps * PRECISION // 10_000
    assert model.reward_per_point - before == model.split(10 * EUR).to_members * PRECISION // (140 * EUR)
    assert pool.claimableOf(ess_member) == 0
    assert tuple(pool.memberPoints(ess_member)) == (
        0,
        2 * EUR,
        model.epoch(now),
        model.clock.epoch_end(model.epoch(now)),
    )
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_pending_points_mature_at_the_accumulator_of_their_epochs_end_after_many_idle_epochs(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    contribute: Callable[..., Any],
    claim: Callable[[Any], int],
    admin: Any,
    member: Any,
    ess_member: Any,
    outsider: Any,
    everyone: list[Any],
) -> None:
    pay(member, ess_member, 400 * EUR, "first")  # member 80 EUR, ess_member 200 EUR of points
    clock.next_epoch(model.clock)
    pay(admin, member, 20 * EUR, "second")  # admin 4 EUR, member 10 EUR more, pending
    raised = contribute(outsider, 10 * EUR)  # both reward the first relation's points only
    matured_at = raised.events[0].rewardPerPoint
    assert matured_at > 0
    assert pool.claimableOf(admin) == 0

    clock.next_epoch(model.clock, 100)  # a hundred epochs without a booking
    # Matured, though not yet booked as such: the views count them.
    assert tuple(pool.memberPoints(admin)) == (4 * EUR, 0, 0, 0)
    assert tuple(pool.memberPoints(member)) == (90 * EUR, 0, 0, 0)
    assert pool.totals().maturedPoints == 294 * EUR
    assert pool.claimableOf(admin) == 0
    later = contribute(outsider, 10 * EUR)

    # Admin's points earn from the accumulator when their epoch ended (after the contribution
    # in that epoch): not from 0, nor from the accumulator now.
    accumulator = later.events[0].rewardPerPoint
    assert accumulator - matured_at == model.split(10 * EUR).to_members * PRECISION // (294 * EUR)
    assert pool.claimableOf(admin) == 4 * EUR * (accumulator - matured_at) // PRECISION > 0
    clock.next_epoch(model.clock, 7)
    # Admin's new points settle it from the recorded value; then the relation rewards it too.
    third = pay(admin, ess_member, 10 * EUR, "third")
    accumulator = third.events[0].rewardPerPoint
    earned = 4 * EUR * (accumulator - matured_at) // PRECISION
    claimable = pool.claimableOf(admin)
    assert earned - 1 <= claimable <= earned  # settled in two steps: a unit of dust at most
    epoch = model.epoch(clock.now)
    assert tuple(pool.memberPoints(admin)) == (4 * EUR, 2 * EUR, epoch, model.clock.epoch_end(epoch))
    assert claim(admin) == claimable
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_pending_points_of_the_last_booking_mature_virtually_however_long_the_pool_sleeps(
    pool: Any,
    token: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    contribute: Callable[..., Any],
    claim: Callable[[Any], int],
    admin: Any,
    member: Any,
    outsider: Any,
    everyone: list[Any],
) -> None:
    pay(admin, member, 20 * EUR, "first")  # admin 4 EUR, member 10 EUR of points
    clock.next_epoch(model.clock)
    contribute(outsider, 10 * EUR)
    second = pay(member, admin, 30 * EUR, "second")  # the last booking: member 6, admin 15 EUR pending
    accumulator = second.events[0].rewardPerPoint
    clock.next_epoch(model.clock, 1_000)

    assert tuple(pool.memberPoints(member)) == (16 * EUR, 0, 0, 0)
    totals = pool.totals()
    assert (totals.maturedPoints, totals.pendingPoints) == (35 * EUR, 0)
    # The claim settles the pending points as matured from the accumulator now (nothing was
    # booked since their epoch ended): they have earned nothing yet.
    claimed = claim(member)
    # What its 10 EUR of first points earned (settled twice: a unit of dust at most each time).
    assert 10 * EUR * accumulator // PRECISION - 2 <= claimed <= 10 * EUR * accumulator // PRECISION
    assert tuple(pool.memberPoints(member)) == (16 * EUR, 0, 0, 0)
    receipt = contribute(outsider, 2 * EUR)  # 1 EUR for 35 EUR of points: under the reward cap

    increase = receipt.events[0].rewardPerPoint - accumulator
    assert increase == model.split(2 * EUR).to_members * PRECISION // (35 * EUR)
    assert pool.claimableOf(member) == 16 * EUR * increase // PRECISION
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_member_points_and_totals_show_points_pending_then_matured(
    pool: Any,
    model: PoolModel,
    clock: ChainClock,
    pay: Callable[..., Any],
    admin: Any,
    member: Any,
    outsider: Any,
    everyone: list[Any],
) -> None:
    assert tuple(pool.memberPoints(outsider)) == (0, 0, 0, 0)
    pay(admin, member, 20 * EUR, "first")
    epoch = model.epoch(clock.now)
    end = model.clock.epoch_end(epoch)

    assert tuple(pool.memberPoints(admin)) == (0, 4 * EUR, epoch, end)
    assert pool.pointsOf(admin) == 4 * EUR
    totals = pool.totals()
    assert (totals.maturedPoints, totals.pendingPoints, totals.epoch) == (0, 14 * EUR, epoch)

    clock.travel_to(end)
    assert tuple(pool.memberPoints(admin)) == (4 * EUR, 0, 0, 0)
    assert pool.pointsOf(admin) == 4 * EUR
    totals = pool.totals()
    assert (totals.maturedPoints, totals.pendingPoints, totals.epoch) == (14 * EUR, 0, epoch + 1)

    pay(member, admin, 30 * EUR, "second")
    assert tuple(pool.memberPoints(admin)) == (4 * EUR, 15 * EUR, epoch + 1, end + 60)
    assert tuple(pool.memberPoints(member)) == (10 * EUR, 6 * EUR, epoch + 1, end + 60)
    assert pool.pointsOf(admin) == 19 * EUR
    totals = pool.totals()
    assert (totals.maturedPoints, totals.pendingPoints) == (14 * EUR, 21 * EUR)
    assert_pool_matches(pool, model, everyone)


# ---------------------------------------------------------------------------- the reward cap


def test_the_members_part_above_the_epoch_cap_goes_to_ess(
    pool: Any,
    token: Any,
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
    set_reward_cap(pool, model, governance, 5_000)  # half a token unit per point per epoch
    pay(admin, member, 20 * EUR)  # 14 EUR of points
    clock.next_epoch(model.clock)

    receipt = contribute(outsider, 100 * EUR)

    # 50 EUR for 14 EUR of points is above the cap (5,000 bps: half a unit per point per
    # epoch): the points get 7 EUR, ESS its 30 EUR and the other 43 EUR.
    assert receipt.events[0].split == [7 * EUR, 73 * EUR, 20 * EUR]
    assert receipt.events[0].rewardPerPoint == PRECISION // 2
    assert pool.claimableOf(admin) == 2 * EUR
    assert pool.claimableOf(member) == 5 * EUR
    assert pool.essAvailable() == model.ess_available
    assert_pool_matches(pool, model, everyone)
    assert_pool_solvent(pool, token, everyone)


def test_the_cap_spans_every_inflow_of_an_epoch_and_starts_again_in_the_next(
    pool: Any,
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
    set_reward_cap(pool, model, governance, 5_000)  # half a token unit per point per epoch
    pay(admin, member, 20 * EUR)  # 14 EUR of points
    clock.next_epoch(model.clock)
    first = contribute(outsider, 11_200_000)  # 5.6 EUR to members: 0.4 unit per point
    assert first.events[0].rewardPerPoint == 4 * PRECISION // 10

    second = contribute(outsider, 11_200_000)  # 0.1 unit per point left this epoch

    assert second.events[0].rewardPerPoint == 5 * PRECISION // 10
    assert second.events[0].split == [1_400_000, 3_360_000 + 4_200_000, 2_240_000]
    third = contribute(outsider, 11_200_000)
    assert third.events[0].split == [0, 3_360_000 + 5_600_000, 2_240_000]
    assert pool.claimableOf(admin) + pool.claimableOf(member) == 7 * EUR

    clock.next_epoch(model.clock)
    fourth = contribute(outsider, 11_200_000)
    assert fourth.events[0].rewardPerPoint == 9 * PRECISION // 10
    assert fourth.events[0].split[0] == 5_600_000
    assert_pool_matches(pool, model, everyone)


def test_lowering_the_cap_mid_epoch_sends_later_inflows_of_the_epoch_to_ess(
    pool: Any,
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
    set_reward_cap(pool, model, governance, 5_000)  # half a token unit per point per epoch
    pay(admin, member, 20 * EUR)  # 14 EUR of points
    clock.next_epoch(model.clock)
    contribute(outsider, 5_600_000)  # 0.2 unit per point

    receipt = pool.setEpochRewardCap(1_000, sender=governance)
    model.epoch_reward_cap_bps = 1_000

    assert emitted(receipt) == [log(pool.EpochRewardCapChanged, previousCapBps=5_000, newCapBps=1_000)]
    assert pool.epochRewardCapBps() == 1_000
    # The points already earned 0.2 unit this epoch, above the new cap: no more until it ends.
    held_back = contribute(outsider, 5_600_000)
    assert held_back.events[0].split == [0, 1_680_000 + 2_800_000, 1_120_000]
    assert held_back.events[0].rewardPerPoint == 2 * PRECISION // 10
    pool.setEpochRewardCap(3_000, sender=governance)
    model.epoch_reward_cap_bps = 3_000
    raised_again = contribute(outsider, 5_600_000)
    assert raised_again.events[0].split[0] == 1_400_000  # 0.1 unit per point left
    clock.next_epoch(model.clock)
    next_epoch = contribute(outsider, 5_600_000)
    assert next_epoch.events[0].split[0] == 2_800_000
    assert_pool_matches(pool, model, everyone)
