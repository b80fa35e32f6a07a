"""The pool's reward arithmetic, replayed exactly from events (Python ints, as in RewardMath.sol).

The pool keeps a reward-per-point accumulator scaled by `PRECISION`. A member's position is
(points, accrued, reward_per_point_paid); it is *settled* — what it earned since
``reward_per_point_paid`` moved into ``accrued`` — exactly when the contract settles it: before
points are awarded for a relation (only for a party whose award is not zero), on a claim and on
exclusion. Settling at other moments would round differently, so the mirror never does.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

PRECISION = 10**27
BPS = 10_000


def mul_div(x: int, y: int, denominator: int, *, ceil: bool = False) -> int:
    """OpenZeppelin's ``Math.mulDiv``: ``x * y / denominator`` rounded down (or up)."""
    quotient, remainder = divmod(x * y, denominator)
    return quotient + 1 if ceil and remainder else quotient


def split(amount: int, members_bps: int, ess_bps: int, collective_bps: int) -> tuple[int, int, int]:
    """An inflow's (to_members, to_ess, to_collective): ESS rounded up, collective down."""
    to_ess = mul_div(amount, ess_bps, BPS, ceil=True)
    to_collective = mul_div(amount, collective_bps, BPS)
    return amount - to_ess - to_collective, to_ess, to_collective


def points(amount: int, weight_bps: int) -> int:
    """Points a relation of `amount` earns at `weight_bps`."""
    return mul_div(amount, weight_bps, BPS)


def distribute(pending: int, total_points: int) -> tuple[int, int]:
    """(accumulator increase, carry) for spreading `pending` over `total_points`."""
    if total_points == 0:
        return 0, pending
    increase = mul_div(pending, PRECISION, total_points)
    carry = pending - mul_div(increase, total_points, PRECISION, ceil=True)
    return increase, carry


def earned(points_: int, current: int, paid: int) -> int:
    """Rewards earned by `points_` while the accumulator went from `paid` to `current`."""
    return mul_div(points_, current - paid, PRECISION)


def settle(account: MutableMapping[str, Any], reward_per_point: int) -> None:
    """Move what `account` earned up to `reward_per_point` into its ``accrued`` (Redistribution._settle)."""
    paid = int(account["reward_per_point_paid"])
    if paid == reward_per_point:
        return
    held = int(account["points"])
    if held:
        account["accrued"] = int(account["accrued"]) + earned(held, reward_per_point, paid)
    account["reward_per_point_paid"] = reward_per_point


def claimable(points_: int, accrued: int, reward_per_point_paid: int, reward_per_point: int) -> int:
    """What a member could claim with the pool's accumulator at `reward_per_point`
    (Redistribution.claimableOf)."""
    return accrued + earned(points_, reward_per_point, reward_per_point_paid)
