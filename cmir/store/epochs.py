"""The pool's epoch clock and points maturity, for the mirror and its readers.

Epoch ``origin_epoch`` starts at ``origin`` and each epoch from then on lasts ``length`` seconds;
a time before ``origin`` is in the epoch before ``origin_epoch`` (RewardMath.epochAt). Every
``EpochLengthChanged`` event sets the whole clock, so the latest ``epoch_length`` parameter
change (its ``new_value`` is ``{"length", "origin_epoch", "origin"}``) or the ``dao_state`` row
gives it. Points pending in an ended epoch count as matured from the accumulator at that epoch's
end: the ``reward_per_point`` of the last inflow of that epoch or before (the first booking of a
later epoch, which matures them on chain, records it before changing anything).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from cmir.store import Inflow, ParameterChange
from cmir.store.rewards import claimable

INFLOWS = Inflow.__table__
PARAMETERS = ParameterChange.__table__


@dataclass(frozen=True)
class Clock:
    """An epoch clock (Redistribution.epochClock)."""

    origin: int
    length: int
    origin_epoch: int

    def epoch_at(self, timestamp: int) -> int:
        """The epoch of `timestamp`."""
        if timestamp < self.origin:
            return self.origin_epoch - 1
        return self.origin_epoch + (timestamp - self.origin) // self.length

    def epoch_end(self, epoch: int) -> int:
        """When `epoch` ends (for an epoch before ``origin_epoch``: at ``origin`` at the latest,
        exact for the one just before it; a length change keeps the running epoch's end)."""
        if epoch < self.origin_epoch:
            return self.origin
        return self.origin + (epoch - self.origin_epoch + 1) * self.length

    def as_json(self) -> dict[str, int]:
        """The clock as an ``epoch_length`` parameter change records it."""
        return {"length": self.length, "origin_epoch": self.origin_epoch, "origin": self.origin}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Clock:
        """The clock of an ``epoch_length`` parameter change's ``new_value``."""
        return cls(int(value["origin"]), int(value["length"]), int(value["origin_epoch"]))

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Clock | None:
        """The clock of a ``dao_state`` row (None before the pool's deployment is indexed)."""
        if state.get("epoch_length") is None:
            return None
        return cls(int(state["epoch_origin"]), int(state["epoch_length"]), int(state["epoch_origin_epoch"]))


def latest_clock(connection: Connection, chain_id: int) -> Clock | None:
    """The clock set by the latest ``epoch_length`` change indexed (None if there is none)."""
    value = connection.execute(
        select(PARAMETERS.c.new_value)
        .where(PARAMETERS.c.chain_id == chain_id, PARAMETERS.c.parameter == "epoch_length")
        .order_by(PARAMETERS.c.block_number.desc(), PARAMETERS.c.log_index.desc())
        .limit(1)
    ).scalar()
    return Clock.from_json(value) if value is not None else None


def matured_at(connection: Connection, chain_id: int, epoch: int) -> int:
    """The accumulator when `epoch` ended, as far as the mirror knows: after the last inflow of
    that epoch or before (only inflows move it; 0 before the first)."""
    value = connection.execute(
        select(INFLOWS.c.reward_per_point)
        .where(INFLOWS.c.chain_id == chain_id, INFLOWS.c.epoch <= epoch)
        .order_by(INFLOWS.c.epoch.desc(), INFLOWS.c.block_number.desc(), INFLOWS.c.log_index.desc())
        .limit(1)
    ).scalar()
    return int(value) if value is not None else 0


@dataclass(frozen=True)
class MemberNow:
    """A member's points and claimable rewards at a time, as the pool's views give them
    (``memberPoints``: pending points of an ended epoch counted matured; ``claimableOf``)."""

    matured: int
    pending: int
    pending_epoch: int | None
    matures_at: int | None
    claimable: int


def member_now(
    connection: Connection, member: Mapping[str, Any], state: Mapping[str, Any], now: int
) -> MemberNow:
    """`member`'s row (``members``) seen at unix time `now`, with the pool's accumulator of
    `state` (``dao_state``, indexed at least up to the member's last event, and up to `now`)."""
    matured, pending = int(member["matured_points"]), int(member["pending_points"])
    accrued, paid = int(member["accrued"]), int(member["reward_per_point_paid"])
    rate = int(state["reward_per_point"])
    matures_at = member["matures_at"]
    if not pending or matures_at is None or matures_at > now:
        return MemberNow(
            matured,
            pending,
            member["pending_epoch"] if pending else None,
            matures_at if pending else None,
            claimable(matured, accrued, paid, rate),
        )
    epoch = int(member["pending_epoch"])
    ended_at = (
        rate if epoch == state["points_epoch"] else matured_at(connection, int(member["chain_id"]), epoch)
    )
    due = claimable(matured, accrued, paid, rate, pending=pending, matured_at=ended_at)
    return MemberNow(matured + pending, 0, None, None, due)
