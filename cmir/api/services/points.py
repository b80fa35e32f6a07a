"""Points maturity at read time: the pool's epoch clock, and a member's matured and pending
points and claimable rewards as the pool's views (`memberPoints`, `claimableOf`) give them at the
indexed block's time.

A members row holds its points as of the member's last event. Pending points whose epoch has
ended since (``matures_at <= now``) have matured: the contract counts them as matured from the
accumulator value recorded when their epoch rolled over, which is the accumulator after the last
inflow booked in that epoch or before (the accumulator moves only with inflows)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from cmir.api.schemas.common import AsOf
from cmir.api.services.context import Context
from cmir.api.statements import Prepared
from cmir.store import Inflow
from cmir.store.epochs import Clock
from cmir.store.rewards import BPS, claimable

IN = Inflow.__table__

#: The highest reward cap whatever the shares and weights (MAX_EPOCH_REWARD_CAP_BPS).
MAX_EPOCH_REWARD_CAP_BPS = 10_000


def clock_of(state: Any) -> Clock | None:
    """The epoch clock of a dao_state row (the last EpochLengthChanged); None before it is indexed."""
    return Clock.from_state(state._mapping)


def max_reward_cap_bps(members_bps: int | None, weights: tuple[int | None, ...]) -> int | None:
    """maxEpochRewardCapBps(): what a point costs a buyer holding every other matured point,
    ``10,000 x (10,000 - members_bps) / sum of weights``, at most 10,000."""
    if members_bps is None or any(w is None for w in weights):
        return None
    total = sum(int(w or 0) for w in weights)
    if total == 0:
        return MAX_EPOCH_REWARD_CAP_BPS
    return min(MAX_EPOCH_REWARD_CAP_BPS, BPS * (BPS - members_bps) // total)


def now_of(as_of: AsOf) -> int:
    """The indexed block's time (unix seconds): the clock every maturity is read at."""
    return int(as_of.time.timestamp()) if as_of.time is not None else 0


# The accumulator when the epoch :epoch rolled over: that of the last inflow booked in it or
# before (an index range of (chain, epoch, block, log index), read backwards, one row).
_MATURED_AT = Prepared(
    select(IN.c.reward_per_point)
    .where(IN.c.chain_id == bindparam("chain"), IN.c.epoch <= bindparam("epoch"))
    .order_by(IN.c.epoch.desc(), IN.c.block_number.desc(), IN.c.log_index.desc())
    .limit(1)
)


def matured_at(connection: Connection, ctx: Context) -> Callable[[int], int]:
    """The accumulator value at which points pending in an epoch matured (the contract's
    ``_maturedAt``), by epoch: one indexed read per epoch asked, remembered for the request."""
    known: dict[int, int] = {}

    def lookup(epoch: int) -> int:
        if epoch not in known:
            value = _MATURED_AT.scalar(connection, {"chain": ctx.chain_id, "epoch": epoch})
            known[epoch] = int(value or 0)
        return known[epoch]

    return lookup


@dataclass(frozen=True)
class Position:
    """A member's points and claimable rewards at a time (memberPoints and claimableOf)."""

    matured: int
    pending: int
    pending_epoch: int | None
    matures_at: int | None
    claimable: int

    @property
    def points(self) -> int:
        """matured + pending (pointsOf)."""
        return self.matured + self.pending


def position(row: Any, now: int, reward_per_point: int, matured_at: Callable[[int], int]) -> Position:
    """The position of a members row at time `now` with the pool's accumulator at
    `reward_per_point`: pending points whose epoch has ended count as matured, from the
    accumulator value of their epoch's end (Redistribution.memberPoints and claimableOf)."""
    matured, pending = int(row.matured_points), int(row.pending_points)
    paid, accrued = int(row.reward_per_point_paid), int(row.accrued)
    if pending and row.matures_at is not None and int(row.matures_at) <= now:
        due = claimable(
            matured,
            accrued,
            paid,
            reward_per_point,
            pending=pending,
            matured_at=matured_at(int(row.pending_epoch)),
        )
        return Position(
            matured=matured + pending, pending=0, pending_epoch=None, matures_at=None, claimable=due
        )
    return Position(
        matured=matured,
        pending=pending,
        pending_epoch=int(row.pending_epoch) if pending and row.pending_epoch is not None else None,
        matures_at=int(row.matures_at) if pending and row.matures_at is not None else None,
        claimable=claimable(matured, accrued, paid, reward_per_point),
    )
