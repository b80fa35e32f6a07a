"""The pool's books in the bench's synthetic year, kept as the contract keeps them: the epoch
roll-over, points pending until their epoch ends, the members' share spread over matured points
within the epoch's reward cap (the rest to ESS), and members settled when the contract settles
them (an award after their pending epoch ended, a claim, an exclusion). The synthetic events
carry what these books say (splits, accumulator, claimed amounts, frozen points); the indexer's
projector replays them and counts every disagreement as an accumulator mismatch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cmir.store import rewards
from cmir.store.epochs import Clock

SHARES = (5000, 3000, 2000)


@dataclass(frozen=True)
class PoolSettings:
    """The deployed pool's epoch clock and settings (read from the bench chain)."""

    clock: Clock
    reward_cap_bps: int
    parties_min_share_bps: int


POINT_TOTALS = ("matured_points", "pending_points", "points_epoch", "epoch_start_reward_per_point")


@dataclass
class Ledger:
    """The pool's totals while events are generated in chain order, replayed as the contract
    books them (Redistribution._advance, _award, _distribute, _settled)."""

    settings: PoolSettings
    totals: dict[str, int] = field(
        default_factory=lambda: (
            dict.fromkeys(
                (
                    "total_received",
                    "members_received",
                    "ess_received",
                    "collective_received",
                    "rewards_claimed",
                    "ess_disbursed",
                    "collective_spent",
                    "reward_per_point",
                    *POINT_TOTALS,
                ),
                0,
            )
            | {"points_epoch": 1}
        )
    )
    #: epoch -> the accumulator after its last inflow: where its pending points matured
    epoch_rates: dict[int, int] = field(default_factory=dict)

    def epoch_at(self, timestamp: int) -> int:
        """The pool's epoch at `timestamp`."""
        return self.settings.clock.epoch_at(timestamp)

    def advance(self, current: int) -> None:
        """Roll the totals over to epoch `current`: the last booking's pending points mature."""
        t = self.totals
        if current == t["points_epoch"]:
            return
        t["matured_points"] += t["pending_points"]
        t["pending_points"] = 0
        t["points_epoch"] = current
        t["epoch_start_reward_per_point"] = t["reward_per_point"]

    def settle(self, member: dict[str, Any], current: int) -> None:
        """Settle `member` in epoch `current` (its pending points of an ended epoch mature)."""
        t = self.totals
        rewards.settle(
            member, t["reward_per_point"], current, t["points_epoch"], self.epoch_rates.__getitem__
        )

    def award(self, member: dict[str, Any], points: int, current: int) -> None:
        """Add `points` pending in epoch `current` (after `advance`)."""
        if points == 0:
            return
        if member["pending_points"] and member["pending_epoch"] != current:
            self.settle(member, current)
        if not member["pending_points"]:
            member["pending_epoch"] = current
            member["matures_at"] = self.settings.clock.epoch_end(current)
        member["pending_points"] += points
        self.totals["pending_points"] += points

    def receive(self, amount: int, current: int) -> tuple[int, int, int, int, int]:
        """Book an inflow in epoch `current` (after `advance` and the awards): (to_members,
        to_ess, to_collective, accumulator increase, members' share gone to ESS)."""
        members, ess, collective = rewards.split(amount, *SHARES)
        t = self.totals
        ceiling = t["epoch_start_reward_per_point"] + rewards.cap_increase(self.settings.reward_cap_bps)
        increase, distributed = rewards.distribute(
            members, t["matured_points"], max(ceiling - t["reward_per_point"], 0)
        )
        to_ess = ess + members - distributed
        t["total_received"] += amount
        t["members_received"] += distributed
        t["ess_received"] += to_ess
        t["collective_received"] += collective
        t["reward_per_point"] += increase
        self.epoch_rates[current] = t["reward_per_point"]
        return distributed, to_ess, collective, increase, members - distributed

    def freeze(self, member: dict[str, Any], current: int) -> tuple[int, int]:
        """Exclude `member` in epoch `current`: its matured and pending points leave the totals."""
        self.advance(current)
        self.settle(member, current)
        matured, pending = member["matured_points"], member["pending_points"]
        self.totals["matured_points"] -= matured
        self.totals["pending_points"] -= pending
        member.update(matured_points=0, pending_points=0, pending_epoch=None, matures_at=None)
        return matured, pending
