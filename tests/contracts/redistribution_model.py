"""An independent Python model of the redistribution pool's rules, for the contract tests.

It follows the rules as the design states them, not the Solidity code: every inflow is split
with the ESS part rounded up, the collective part rounded down and the members getting the rest;
a relation awards `amount * weightBps // 10_000` points to the payer, the counterparty and each
one's *active* direct sponsor (one level only) BEFORE its members' part is distributed; the
members' part (plus what earlier inflows could not spread) raises a reward-per-point accumulator
scaled by 1e27, and what rounding leaves is carried to the next inflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BPS = 10_000
PRECISION = 10**27
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def key(account: Any) -> str:
    """A lower-case address string for an account, contract or address."""
    return str(getattr(account, "address", account)).lower()


def ceil_div(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded up, for non-negative integers."""
    return -(-numerator // denominator)


@dataclass(frozen=True)
class Split:
    """How one inflow is split; `as_tuple` is the order of the Solidity struct."""

    to_members: int
    to_ess: int
    to_collective: int

    def as_tuple(self) -> tuple[int, int, int]:
        """The Solidity `Split` struct, as decoded from an event."""
        return (self.to_members, self.to_ess, self.to_collective)


@dataclass(frozen=True)
class RelationPoints:
    """Points awarded for one relation; sponsors are lower-case addresses (zero when none)."""

    payer_sponsor: str
    counterparty_sponsor: str
    payer_points: int
    counterparty_points: int
    payer_sponsor_points: int
    counterparty_sponsor_points: int

    def as_tuple(self) -> tuple[str, str, int, int, int, int]:
        """The Solidity `RelationPoints` struct, as decoded from an event."""
        return (
            self.payer_sponsor,
            self.counterparty_sponsor,
            self.payer_points,
            self.counterparty_points,
            self.payer_sponsor_points,
            self.counterparty_sponsor_points,
        )

    @property
    def total(self) -> int:
        """All the points this relation awarded."""
        return (
            self.payer_points
            + self.counterparty_points
            + self.payer_sponsor_points
            + (self.counterparty_sponsor_points)
        )


@dataclass
class Position:
    """One account's reward position."""

    points: int = 0
    accrued: int = 0
    paid: int = 0


@dataclass
class PoolModel:
    """The pool's books, recomputed in Python from the operations a test performs.

    Membership is modelled too (sponsor and exclusion of each account) so that the sponsors a
    relation rewards are derived from the test's own actions, not read back from the chain.
    """

    shares: tuple[int, int, int]
    weights: tuple[int, int, int, int]
    min_relation_fee: int
    total_received: int = 0
    ess_received: int = 0
    collective_received: int = 0
    rewards_claimed: int = 0
    ess_disbursed: int = 0
    collective_spent: int = 0
    undistributed: int = 0
    total_points: int = 0
    reward_per_point: int = 0
    positions: dict[str, Position] = field(default_factory=dict)
    sponsors: dict[str, str] = field(default_factory=dict)
    excluded: set[str] = field(default_factory=set)

    # ---------------------------------------------------------------- membership

    def add_member(self, account: Any, sponsor: Any = None) -> None:
        """Record that `account` joined, sponsored by `sponsor` (None for none)."""
        self.sponsors[key(account)] = ZERO_ADDRESS if sponsor is None else key(sponsor)

    def is_active(self, account: Any) -> bool:
        """Whether `account` joined and was not excluded."""
        return key(account) in self.sponsors and key(account) not in self.excluded

    def active_sponsor(self, account: Any) -> str:
        """`account`'s direct sponsor if that sponsor is active, else the zero address."""
        sponsor = self.sponsors.get(key(account), ZERO_ADDRESS)
        return sponsor if sponsor != ZERO_ADDRESS and self.is_active(sponsor) else ZERO_ADDRESS

    def exclude(self, account: Any) -> tuple[int, int]:
        """Exclude `account`: settle it and drop its points. Returns (points removed, accrued)."""
        self.excluded.add(key(account))
        position = self._settle(key(account))
        removed = position.points
        self.total_points -= removed
        position.points = 0
        return removed, position.accrued

    # ---------------------------------------------------------------- inflows

    def split(self, amount: int) -> Split:
        """The split of an inflow of `amount` under the current shares."""
        _, ess_bps, collective_bps = self.shares
        to_ess = ceil_div(amount * ess_bps, BPS)
        to_collective = amount * collective_bps // BPS
        return Split(amount - to_ess - to_collective, to_ess, to_collective)

    def pay_relation(self, payer: Any, counterparty: Any, amount: int) -> tuple[Split, RelationPoints]:
        """A relation of `amount` paid by `payer` to `counterparty`: points, then the inflow."""
        payer_bps, counterparty_bps, payer_sponsor_bps, counterparty_sponsor_bps = self.weights
        payer_sponsor = self.active_sponsor(payer)
        counterparty_sponsor = self.active_sponsor(counterparty)
        awarded = RelationPoints(
            payer_sponsor=payer_sponsor,
            counterparty_sponsor=counterparty_sponsor,
            payer_points=self._award(key(payer), amount, payer_bps),
            counterparty_points=self._award(key(counterparty), amount, counterparty_bps),
            payer_sponsor_points=(
                self._award(payer_sponsor, amount, payer_sponsor_bps) if payer_sponsor != ZERO_ADDRESS else 0
            ),
            counterparty_sponsor_points=(
                self._award(counterparty_sponsor, amount, counterparty_sponsor_bps)
                if counterparty_sponsor != ZERO_ADDRESS
                else 0
            ),
        )
        self.total_points += awarded.total
        return self.receive(amount), awarded

    def receive(self, amount: int) -> Split:
        """Book an inflow of `amount` that awards no points (contribution, fee, surplus)."""
        parts = self.split(amount)
        self.total_received += amount
        self.ess_received += parts.to_ess
        self.collective_received += parts.to_collective
        pending = parts.to_members + self.undistributed
        if self.total_points == 0:
            self.undistributed = pending
            return parts
        increase = pending * PRECISION // self.total_points
        self.undistributed = pending - ceil_div(increase * self.total_points, PRECISION)
        self.reward_per_point += increase
        return parts

    # ---------------------------------------------------------------- outflows

    def claim(self, account: Any) -> int:
        """Claim everything `account` earned; returns the amount (0 when nothing)."""
        position = self._settle(key(account))
        amount = position.accrued
        position.accrued = 0
        self.rewards_claimed += amount
        return amount

    def fund_ess(self, amount: int) -> None:
        """Pay `amount` of the ESS bucket out."""
        assert amount <= self.ess_available
        self.ess_disbursed += amount

    def spend_collective(self, amount: int) -> None:
        """Spend `amount` of the collective fund."""
        assert amount <= self.collective_available
        self.collective_spent += amount

    # ---------------------------------------------------------------- views

    def points_of(self, account: Any) -> int:
        """Contribution points of `account`."""
        return self.positions.get(key(account), Position()).points

    def claimable_of(self, account: Any) -> int:
        """What `account` could claim now."""
        position = self.positions.get(key(account), Position())
        return position.accrued + position.points * (self.reward_per_point - position.paid) // PRECISION

    @property
    def members_received(self) -> int:
        """Everything the members' bucket received."""
        return self.total_received - self.ess_received - self.collective_received

    @property
    def ess_available(self) -> int:
        """What the ESS bucket holds."""
        return self.ess_received - self.ess_disbursed

    @property
    def collective_available(self) -> int:
        """What the collective fund holds."""
        return self.collective_received - self.collective_spent

    @property
    def members_available(self) -> int:
        """What the members' bucket holds (unclaimed rewards, carry and dust)."""
        return self.members_received - self.rewards_claimed

    @property
    def balance(self) -> int:
        """What the pool's token balance must be."""
        return self.total_received - self.rewards_claimed - self.ess_disbursed - self.collective_spent

    def totals(self) -> tuple[int, ...]:
        """The Solidity `Totals` struct, field by field."""
        return (
            self.total_received,
            self.members_received,
            self.ess_received,
            self.collective_received,
            self.rewards_claimed,
            self.ess_disbursed,
            self.collective_spent,
            self.undistributed,
            self.total_points,
            self.reward_per_point,
        )

    # ---------------------------------------------------------------- internals

    def _settle(self, account: str) -> Position:
        position = self.positions.setdefault(account, Position())
        position.accrued += position.points * (self.reward_per_point - position.paid) // PRECISION
        position.paid = self.reward_per_point
        return position

    def _award(self, account: str, amount: int, weight_bps: int) -> int:
        points = amount * weight_bps // BPS
        if points == 0:
            return 0
        self._settle(account).points += points
        return points


def assert_pool_matches(pool: Any, model: PoolModel, accounts: list[Any]) -> None:
    """Every view of `pool` equals the model, for the totals and for each of `accounts`."""
    assert tuple(pool.totals()) == model.totals()
    assert pool.essAvailable() == model.ess_available
    assert pool.collectiveAvailable() == model.collective_available
    assert pool.membersAvailable() == model.members_available
    for account in accounts:
        assert pool.pointsOf(account) == model.points_of(account), f"points of {key(account)}"
        assert pool.claimableOf(account) == model.claimable_of(account), f"claimable of {key(account)}"


def assert_pool_solvent(pool: Any, token: Any, accounts: list[Any]) -> None:
    """The conservation identity: the balance is exactly the three buckets, and the members'
    bucket covers every claimable reward plus the undistributed carry."""
    members_available = pool.membersAvailable()
    assert token.balanceOf(pool) == members_available + pool.essAvailable() + pool.collectiveAvailable()
    owed = sum(pool.claimableOf(account) for account in accounts)
    assert owed <= members_available - pool.totals().undistributedRewards
