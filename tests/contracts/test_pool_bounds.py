"""The bounds governance works within on the redistribution pool: the point weights (each at most
10,000 bps, their sum at most 20,000, the parties keeping the governed minimum share), the
parties' minimum share itself ([5,000, 10,000]), the epoch length ([1 s, 90 days]) and the epoch
reward cap, never above what a point costs to buy with the current shares and weights
(`maxEpochRewardCapBps`), whichever of the three settings changes. Every revert is checked with
its error's arguments; every accepted change with its event. Who may call the setters is tested
in test_redistribution.py (`test_governed_functions_revert_unless_called_by_governance`).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts.redistribution_model import max_reward_cap_bps
from tests.contracts.strict_checks import emitted, log, reverts

DAY = 86_400
DEFAULT_SHARES = (5_000, 3_000, 2_000)
DEFAULT_WEIGHTS = (2_000, 5_000, 1_500, 1_500)


# ---------------------------------------------------------------------------- the reward cap


@pytest.mark.parametrize(
    ("shares", "weights", "expected"),
    [
        (DEFAULT_SHARES, DEFAULT_WEIGHTS, 5_000),  # 10,000 x 5,000 / 10,000
        (DEFAULT_SHARES, (2_000, 5_000, 0, 0), 7_142),  # 10,000 x 5,000 / 7,000, rounded down
        (DEFAULT_SHARES, (1_000, 1_000, 0, 0), 10_000),  # 25,000, above the absolute maximum
        (DEFAULT_SHARES, (10_000, 10_000, 0, 0), 2_500),
        ((8_000, 2_000, 0), DEFAULT_WEIGHTS, 2_000),
        ((0, 10_000, 0), DEFAULT_WEIGHTS, 10_000),
        ((6_001, 2_000, 1_999), (3_000, 3_000, 2_000, 2_000), 3_999),
    ],
)
def test_max_epoch_reward_cap_is_what_a_point_costs_with_the_shares_and_weights(
    pool: Any,
    governance: Any,
    shares: tuple[int, int, int],
    weights: tuple[int, int, int, int],
    expected: int,
) -> None:
    pool.setEpochRewardCap(0, sender=governance)  # any shares and weights then fit the cap
    pool.setShares(shares, sender=governance)
    pool.setPointWeights(weights, sender=governance)

    assert pool.maxEpochRewardCapBps() == max_reward_cap_bps(shares, weights) == expected


def test_set_epoch_reward_cap_accepts_the_max_and_emits_the_change(
    pool: Any, governance: Any, settings: Any
) -> None:
    pool.setPointWeights((2_000, 5_000, 0, 0), sender=governance)
    highest = pool.maxEpochRewardCapBps()

    receipt = pool.setEpochRewardCap(highest, sender=governance)

    assert emitted(receipt) == [
        log(pool.EpochRewardCapChanged, previousCapBps=settings.epoch_reward_cap_bps, newCapBps=highest),
    ]
    assert pool.epochRewardCapBps() == highest == 7_142


@pytest.mark.parametrize("cap", [5_001, 10_001, 2**16 + 5_000, 2**256 - 1])
def test_set_epoch_reward_cap_reverts_above_the_max(
    pool: Any, governance: Any, settings: Any, cap: int
) -> None:
    with reverts(pool.RedistributionRewardCapAboveMax, capBps=cap, maxBps=5_000):
        pool.setEpochRewardCap(cap, sender=governance)
    assert pool.epochRewardCapBps() == settings.epoch_reward_cap_bps


def test_set_shares_reverts_when_the_current_cap_would_exceed_its_new_max(pool: Any, governance: Any) -> None:
    pool.setEpochRewardCap(5_000, sender=governance)
    # Members 6,001 bps: a point costs 0.3999 token unit, under the cap of 0.5.
    with reverts(pool.RedistributionRewardCapAboveMax, capBps=5_000, maxBps=3_999):
        pool.setShares((6_001, 2_000, 1_999), sender=governance)
    assert tuple(pool.shares()) == DEFAULT_SHARES

    pool.setEpochRewardCap(3_999, sender=governance)
    pool.setShares((6_001, 2_000, 1_999), sender=governance)
    assert tuple(pool.shares()) == (6_001, 2_000, 1_999)


def test_set_point_weights_reverts_when_the_current_cap_would_exceed_its_new_max(
    pool: Any, governance: Any
) -> None:
    pool.setEpochRewardCap(5_000, sender=governance)
    # 12,000 bps of points per unit paid: a point costs 0.4166 token unit, under the cap of 0.5.
    with reverts(pool.RedistributionRewardCapAboveMax, capBps=5_000, maxBps=4_166):
        pool.setPointWeights((4_000, 6_000, 1_000, 1_000), sender=governance)
    assert tuple(pool.pointWeights()) == DEFAULT_WEIGHTS

    pool.setEpochRewardCap(4_166, sender=governance)
    pool.setPointWeights((4_000, 6_000, 1_000, 1_000), sender=governance)
    assert tuple(pool.pointWeights()) == (4_000, 6_000, 1_000, 1_000)


# ---------------------------------------------------------------------------- point weights


@pytest.mark.parametrize("weight", [10_001, 65_535])
@pytest.mark.parametrize("position", range(4))
def test_set_point_weights_reverts_when_a_weight_is_above_10000(
    pool: Any, governance: Any, position: int, weight: int
) -> None:
    weights = [5_000, 5_000, 0, 0]
    weights[position] = weight
    with reverts(pool.RedistributionWeightAboveMax, weightBps=weight, maxBps=10_000):
        pool.setPointWeights(tuple(weights), sender=governance)
    assert tuple(pool.pointWeights()) == DEFAULT_WEIGHTS


@pytest.mark.parametrize("weights", [(10_000, 10_000, 0, 0), (10_000, 0, 0, 0), (0, 10_000, 2_000, 2_000)])
def test_set_point_weights_accepts_10000_for_a_weight_and_20000_in_all(
    pool: Any, governance: Any, weights: tuple[int, int, int, int]
) -> None:
    pool.setEpochRewardCap(max_reward_cap_bps(DEFAULT_SHARES, weights), sender=governance)

    receipt = pool.setPointWeights(weights, sender=governance)

    assert emitted(receipt) == [
        log(pool.PointWeightsChanged, previousWeights=DEFAULT_WEIGHTS, newWeights=weights),
    ]
    assert tuple(pool.pointWeights()) == weights


@pytest.mark.parametrize(
    ("weights", "total"),
    [((10_000, 10_000, 1, 0), 20_001), ((10_000, 9_000, 1_000, 1_000), 21_000), ((10_000,) * 4, 40_000)],
)
def test_set_point_weights_reverts_when_their_sum_is_above_20000(
    pool: Any, governance: Any, weights: tuple[int, int, int, int], total: int
) -> None:
    pool.setEpochRewardCap(0, sender=governance)
    with reverts(pool.RedistributionWeightSumAboveMax, sumBps=total, maxBps=20_000):
        pool.setPointWeights(weights, sender=governance)


@pytest.mark.parametrize(
    ("weights", "parties_bps"),
    [((2_000, 2_000, 2_000, 2_000), 5_000), ((2_999, 3_000, 2_000, 2_000), 5_999), ((0, 1, 1, 0), 5_000)],
)
def test_set_point_weights_reverts_when_the_parties_keep_less_than_the_minimum_share(
    pool: Any, governance: Any, weights: tuple[int, int, int, int], parties_bps: int
) -> None:
    with reverts(pool.RedistributionPartiesShareBelowMin, partiesBps=parties_bps, minimumBps=6_000):
        pool.setPointWeights(weights, sender=governance)


def test_set_point_weights_accepts_the_parties_keeping_exactly_the_minimum_share(
    pool: Any, governance: Any
) -> None:
    pool.setPointWeights((3_000, 3_000, 2_000, 2_000), sender=governance)

    assert tuple(pool.pointWeights()) == (3_000, 3_000, 2_000, 2_000)


# ---------------------------------------------------------------------------- parties' minimum share


def test_set_parties_min_share_emits_the_change_and_bounds_later_weights(
    pool: Any, governance: Any, settings: Any
) -> None:
    receipt = pool.setPartiesMinShare(7_000, sender=governance)  # what the weights give now

    assert emitted(receipt) == [
        log(pool.PartiesMinShareChanged, previousBps=settings.parties_min_share_bps, newBps=7_000),
    ]
    assert pool.partiesMinShareBps() == 7_000
    with reverts(pool.RedistributionPartiesShareBelowMin, partiesBps=6_000, minimumBps=7_000):
        pool.setPointWeights((3_000, 3_000, 2_000, 2_000), sender=governance)


@pytest.mark.parametrize("minimum", [0, 4_999, 10_001, 65_535, 2**256 - 1])
def test_set_parties_min_share_reverts_outside_5000_to_10000(
    pool: Any, governance: Any, minimum: int
) -> None:
    with reverts(pool.RedistributionPartiesMinShareOutOfRange, minimumBps=minimum, lowestBps=5_000):
        pool.setPartiesMinShare(minimum, sender=governance)
    assert pool.partiesMinShareBps() == 6_000


def test_set_parties_min_share_reverts_when_the_current_weights_give_the_parties_less(
    pool: Any, governance: Any
) -> None:
    with reverts(pool.RedistributionPartiesShareBelowMin, partiesBps=7_000, minimumBps=7_001):
        pool.setPartiesMinShare(7_001, sender=governance)
    assert pool.partiesMinShareBps() == 6_000


def test_set_parties_min_share_accepts_5000_and_10000(pool: Any, governance: Any) -> None:
    pool.setPartiesMinShare(5_000, sender=governance)
    assert pool.partiesMinShareBps() == 5_000
    pool.setPointWeights((2_000, 5_000, 0, 0), sender=governance)  # no sponsor points

    receipt = pool.setPartiesMinShare(10_000, sender=governance)

    assert emitted(receipt) == [log(pool.PartiesMinShareChanged, previousBps=5_000, newBps=10_000)]
    assert pool.partiesMinShareBps() == 10_000


# ---------------------------------------------------------------------------- epoch length


@pytest.mark.parametrize("length", [0, 90 * DAY + 1, 2**32, 2**256 - 1])
def test_set_epoch_length_reverts_outside_1_second_to_90_days(
    pool: Any, governance: Any, length: int
) -> None:
    clock = tuple(pool.epochClock())
    with reverts(pool.RedistributionEpochLengthOutOfRange, length=length, minLength=1, maxLength=90 * DAY):
        pool.setEpochLength(length, sender=governance)
    assert tuple(pool.epochClock()) == clock


@pytest.mark.parametrize("length", [1, 90 * DAY])
def test_set_epoch_length_accepts_1_second_and_90_days(pool: Any, governance: Any, length: int) -> None:
    receipt = pool.setEpochLength(length, sender=governance)

    assert receipt.events[0].newLength == length
    assert pool.epochClock().length == length
