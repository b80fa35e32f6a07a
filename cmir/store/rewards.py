"""The pool's reward arithmetic, replayed exactly from events (Python ints, as in RewardMath.sol).

The pool keeps a reward-per-point accumulator scaled by `PRECISION`, raised by each inflow's
members' share spread over the *matured* points only, within the epoch's reward cap. A member's
position is (matured, pending, pending_epoch, accrued, reward_per_point_paid): pending points
were earned in ``pending_epoch`` and join the matured ones once it has ended, from the
accumulator value at the end of that epoch (``matured_at``). The position is *settled* — what it
earned moved into ``accrued`` — exactly when the contract settles it: before points are awarded
to a party whose pending points are of an ended epoch, on a claim and on exclusion. Settling at
other moments would round differently, so the mirror never does.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

PRECISION = 10**27
BPS = 10_000


def mul_div(x: int, y: int, denominator: int, *, ceil: bool = False) -> int:
    """OpenZeppelin's ``Math.mulDiv``: ``x * y / denominator`` rounded down (or up)."""
    quotient, remainder = divmod(x * y, denominator)
    return quotient + 1 if ceil and remainder else quotient


def split(amount: int, members_bps: int, ess_bps: int, collective_bps: int) -> tuple[int, int, int]:
    """An inflow's (to_members, to_ess, to_collective) by the shares alone: ESS rounded up,
    collective down, members the rest (before `distribute` decides what matured points get)."""
    to_ess = mul_div(amount, ess_bps, BPS, ceil=True)
    to_collective = mul_div(amount, collective_bps, BPS)
    return amount - to_ess - to_collective, to_ess, to_collective


def points(amount: int, weight_bps: int) -> int:
    """Points a relation of `amount` earns at `weight_bps`."""
    return mul_div(amount, weight_bps, BPS)


def cap_increase(cap_bps: int) -> int:
    """The accumulator increase a reward cap of `cap_bps` allows in one epoch."""
    return cap_bps * PRECISION // BPS


def distribute(to_members: int, matured_points: int, headroom: int) -> tuple[int, int]:
    """(accumulator increase, distributed) for spreading `to_members` over `matured_points`,
    raising the accumulator by at most `headroom` (RewardMath.distribute). The rest of
    `to_members` goes to ESS."""
    if matured_points == 0:
        return 0, 0
    increase = min(to_members * PRECISION // matured_points, headroom)
    return increase, mul_div(increase, matured_points, PRECISION, ceil=True)


def earned(points_: int, current: int, paid: int) -> int:
    """Rewards earned by `points_` while the accumulator went from `paid` to `current`."""
    return mul_div(points_, current - paid, PRECISION)


def settle(
    account: MutableMapping[str, Any],
    reward_per_point: int,
    current_epoch: int,
    last_epoch: int,
    matured_at: Callable[[int], int],
) -> None:
    """Settle `account` (a member row) at `reward_per_point` in `current_epoch`, the last
    booking being of `last_epoch` (Redistribution._settled): pending points of an ended epoch
    join the matured ones from the accumulator their epoch ended at — the current one if that
    epoch is the last booking's (nothing was booked since), else ``matured_at(epoch)`` — then
    everything earned moves into ``accrued``."""
    paid = int(account["reward_per_point_paid"])
    accrued = int(account["accrued"])
    matured = int(account["matured_points"])
    pending = int(account["pending_points"])
    if pending and account["pending_epoch"] < current_epoch:
        epoch = int(account["pending_epoch"])
        rate = reward_per_point if epoch == last_epoch else matured_at(epoch)
        accrued += earned(matured, rate, paid)
        matured += pending
        paid = rate
        account.update(matured_points=matured, pending_points=0, pending_epoch=None, matures_at=None)
    account["accrued"] = accrued + earned(matured, reward_per_point, paid)
    account["reward_per_point_paid"] = reward_per_point


def claimable(
    matured: int,
    accrued: int,
    reward_per_point_paid: int,
    reward_per_point: int,
    *,
    pending: int = 0,
    matured_at: int | None = None,
) -> int:
    """What a member could claim with the pool's accumulator at `reward_per_point`
    (Redistribution.claimableOf). `pending` points count only when their epoch has ended, from
    `matured_at`, the accumulator at its end (None: not ended yet)."""
    if pending and matured_at is not None:
        accrued += earned(matured, matured_at, reward_per_point_paid)
        matured += pending
        reward_per_point_paid = matured_at
    return accrued + earned(matured, reward_per_point, reward_per_point_paid)
