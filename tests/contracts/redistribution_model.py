"""An independent Python model of the redistribution pool's rules, for the contract tests.

It follows the rules as the design states them, in integers rounded exactly as RewardMath rounds:

- Epochs are a timestamp clock: epoch `origin_epoch` starts at `origin` and each lasts `length`
  seconds; a timestamp before `origin` is in epoch `origin_epoch - 1`. A length change keeps the
  running epoch's end (the new length applies from the next epoch).
- Every inflow is split by the shares: ESS rounded up, collective rounded down, members the rest.
- A relation awards `amount * weightBps // 10_000` points to the payer, the counterparty and each
  one's *active* direct sponsor (one level only). They are *pending* in the relation's epoch and
  share only in inflows booked after that epoch ends.
- The first booking (inflow or exclusion) of a later epoch rolls over: the last booking's pending
  total joins the matured total, the accumulator then is recorded as "matured at" for that epoch,
  and the epoch's cap starts from it (`at_epoch_start`).
- The members' part raises the reward-per-point accumulator (scaled by 1e27) over MATURED points
  only, by `min(members * 1e27 // matured, headroom)` where the headroom is what is left of the
  epoch's cap; `ceil(increase * matured / 1e27)` is counted as distributed and the rest of the
  members' part goes to ESS (nothing is carried). Money booked as a surplus goes all to ESS.
- A member is settled (`accrued += matured * (rpp - paid) // 1e27`) when it claims, is excluded,
  or is awarded points while it holds pending points of an ended epoch; then those pending points
  first mature from the accumulator recorded for their epoch. Views settle virtually.

Every time-dependent operation takes `now`, the block timestamp the chain saw: the transaction's
block for an operation, the latest block for a view (anvil runs `eth_call` at "latest" with that
block's timestamp).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

BPS = 10_000
PRECISION = 10**27
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_WEIGHT_BPS = 10_000
MAX_WEIGHT_SUM_BPS = 20_000
LOWEST_PARTIES_MIN_SHARE_BPS = 5_000
MIN_EPOCH_LENGTH = 1
MAX_EPOCH_LENGTH = 90 * 86_400
MAX_EPOCH_REWARD_CAP_BPS = 10_000


def key(account: Any) -> str:
    """A lower-case address string for an account, contract or address."""
    return str(getattr(account, "address", account)).lower()


def ceil_div(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded up, for non-negative integers."""
    return -(-numerator // denominator)


def max_reward_cap_bps(shares: tuple[int, int, int], weights: tuple[int, int, int, int]) -> int:
    """The highest epoch reward cap these shares and weights allow (what a point costs to buy)."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        return MAX_EPOCH_REWARD_CAP_BPS
    return min(MAX_EPOCH_REWARD_CAP_BPS, BPS * (BPS - shares[0]) // weight_sum)


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
            + self.counterparty_sponsor_points
        )


@dataclass(frozen=True)
class Distribution:
    """What one booking did with its members' part (for property tests' own bookkeeping)."""

    members_part: int
    matured: int
    headroom: int
    increase: int
    distributed: int

    @property
    def capped(self) -> bool:
        """Whether the epoch's cap (not the members' part) limited the increase."""
        return (
            self.matured > 0
            and self.increase == self.headroom < self.members_part * PRECISION // self.matured
        )


@dataclass
class EpochClock:
    """The epoch clock: epoch `origin_epoch` starts at `origin`, each lasts `length` seconds."""

    origin: int
    length: int
    origin_epoch: int = 1

    def epoch_at(self, timestamp: int) -> int:
        """The epoch `timestamp` falls in."""
        if timestamp < self.origin:
            return self.origin_epoch - 1
        return self.origin_epoch + (timestamp - self.origin) // self.length

    def epoch_end(self, epoch: int) -> int:
        """When `epoch` ends (an epoch before `origin_epoch`: at `origin` at the latest)."""
        if epoch < self.origin_epoch:
            return self.origin
        return self.origin + (epoch - self.origin_epoch + 1) * self.length

    def set_length(self, length: int, now: int) -> tuple[int, int, int, int]:
        """Epochs last `length` from the end of the running one; returns the event's fields
        (previous length, new length, origin epoch, origin)."""
        previous = self.length
        if now >= self.origin:
            current = self.epoch_at(now)
            self.origin, self.origin_epoch = self.epoch_end(current), current + 1
        self.length = length
        return previous, length, self.origin_epoch, self.origin

    def as_tuple(self) -> tuple[int, int, int]:
        """The Solidity `EpochClock` struct."""
        return (self.origin, self.length, self.origin_epoch)


@dataclass
class Position:
    """One account's reward position, as the pool stores it."""

    matured: int = 0
    pending: int = 0
    pending_epoch: int = 0
    accrued: int = 0
    paid: int = 0

    @property
    def points(self) -> int:
        """Matured and pending points."""
        return self.matured + self.pending


@dataclass
class PoolModel:
    """The pool's books, recomputed in Python from the operations a test performs.

    Membership is modelled too (sponsor and exclusion of each account) so that the sponsors a
    relation rewards are derived from the test's own actions, not read back from the chain.
    """

    shares: tuple[int, int, int]
    weights: tuple[int, int, int, int]
    min_relation_fee: int
    clock: EpochClock
    epoch_reward_cap_bps: int
    parties_min_share_bps: int = LOWEST_PARTIES_MIN_SHARE_BPS
    total_received: int = 0
    ess_received: int = 0
    collective_received: int = 0
    rewards_claimed: int = 0
    ess_disbursed: int = 0
    collective_spent: int = 0
    matured_points: int = 0
    pending_points: int = 0
    last_epoch: int = 1
    reward_per_point: int = 0
    at_epoch_start: int = 0
    matured_at: dict[int, int] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    sponsors: dict[str, str] = field(default_factory=dict)
    excluded: set[str] = field(default_factory=set)
    # What happened, for property tests: roll-overs, how the last booking distributed, and how
    # often each account's settlement floored an amount (each floor loses less than one unit).
    roll_overs: int = 0
    last_distribution: Distribution | None = None
    floors: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_settings(cls, settings: Any, origin: int) -> PoolModel:
        """The freshly deployed pool of `settings` (a `NetworkSettings`), deployed at `origin`."""
        return cls(
            shares=settings.shares.as_tuple(),
            weights=settings.weights.as_tuple(),
            min_relation_fee=settings.min_relation_fee,
            clock=EpochClock(origin, settings.epoch_length),
            epoch_reward_cap_bps=settings.epoch_reward_cap_bps,
            parties_min_share_bps=settings.parties_min_share_bps,
        )

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

    def exclude(self, account: Any, now: int) -> tuple[int, int, int]:
        """Exclude `account` at `now`: settle it, drop its matured and pending points.
        Returns the `MemberRewardsFrozen` fields (matured removed, pending removed, accrued)."""
        self.excluded.add(key(account))
        current = self._advance(now)
        position = self._settle(key(account), current)
        removed = (position.matured, position.pending)
        self.matured_points -= position.matured
        self.pending_points -= position.pending
        position.matured = position.pending = 0
        return removed[0], removed[1], position.accrued

    # ---------------------------------------------------------------- inflows

    def split(self, amount: int) -> Split:
        """The split of `amount` by the current shares, before the members' part is distributed."""
        _, ess_bps, collective_bps = self.shares
        to_ess = ceil_div(amount * ess_bps, BPS)
        to_collective = amount * collective_bps // BPS
        return Split(amount - to_ess - to_collective, to_ess, to_collective)

    def pay_relation(
        self, payer: Any, counterparty: Any, amount: int, now: int
    ) -> tuple[Split, RelationPoints]:
        """A relation of `amount` paid by `payer` to `counterparty` at `now`: roll over, award
        the pending points, then book the inflow. Returns the event's split and points."""
        current = self._advance(now)
        payer_bps, counterparty_bps, payer_sponsor_bps, counterparty_sponsor_bps = self.weights
        payer_sponsor = self.active_sponsor(payer)
        counterparty_sponsor = self.active_sponsor(counterparty)
        awarded = RelationPoints(
            payer_sponsor=payer_sponsor,
            counterparty_sponsor=counterparty_sponsor,
            payer_points=self._award(key(payer), amount, payer_bps, current),
            counterparty_points=self._award(key(counterparty), amount, counterparty_bps, current),
            payer_sponsor_points=(
                self._award(payer_sponsor, amount, payer_sponsor_bps, current)
                if payer_sponsor != ZERO_ADDRESS
                else 0
            ),
            counterparty_sponsor_points=(
                self._award(counterparty_sponsor, amount, counterparty_sponsor_bps, current)
                if counterparty_sponsor != ZERO_ADDRESS
                else 0
            ),
        )
        self.pending_points += awarded.total
        return self._book(amount, self._distribute(amount)), awarded

    def receive(self, amount: int, now: int) -> Split:
        """A contribution or membership fee of `amount` at `now` (it awards no points)."""
        self._advance(now)
        return self._book(amount, self._distribute(amount))

    def account_surplus(self, amount: int, now: int) -> Split:
        """Tokens sent straight to the pool, booked at `now`: all of them to ESS."""
        self._advance(now)
        self.last_distribution = None
        return self._book(amount, Split(0, amount, 0))

    # ---------------------------------------------------------------- outflows

    def claim(self, account: Any, now: int) -> int:
        """`account` claims at `now` (no roll-over: ended pending points mature virtually);
        returns the amount (0 when nothing: the call would revert)."""
        position = self._settle(key(account), self.clock.epoch_at(now))
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

    # ---------------------------------------------------------------- governance

    def set_epoch_length(self, length: int, now: int) -> tuple[int, int, int, int]:
        """Epochs last `length` from the end of the current one; the event's fields."""
        assert MIN_EPOCH_LENGTH <= length <= MAX_EPOCH_LENGTH
        return self.clock.set_length(length, now)

    @property
    def max_epoch_reward_cap_bps(self) -> int:
        """The highest reward cap the current shares and weights allow."""
        return max_reward_cap_bps(self.shares, self.weights)

    # ---------------------------------------------------------------- views

    def epoch(self, now: int) -> int:
        """The epoch at `now`."""
        return self.clock.epoch_at(now)

    def points_of(self, account: Any) -> int:
        """Contribution points of `account`, matured and pending."""
        return self.positions.get(key(account), Position()).points

    def member_points(self, account: Any, now: int) -> tuple[int, int, int, int]:
        """The Solidity `MemberPoints` struct at `now`: (matured, pending, pendingEpoch,
        maturesAt), pending points of an ended epoch counted as matured."""
        position = self._settled(self.positions.get(key(account), Position()), self.epoch(now), count=None)
        if position.pending == 0:
            return (position.matured, 0, 0, 0)
        epoch = position.pending_epoch
        return (position.matured, position.pending, epoch, self.clock.epoch_end(epoch))

    def claimable_of(self, account: Any, now: int) -> int:
        """What `account` could claim at `now`."""
        position = self.positions.get(key(account), Position())
        return self._settled(position, self.epoch(now), count=None).accrued

    @property
    def members_received(self) -> int:
        """Everything the members' bucket received (what was distributed)."""
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
        """What the members' bucket holds (unclaimed rewards and rounding dust)."""
        return self.members_received - self.rewards_claimed

    @property
    def balance(self) -> int:
        """What the pool's token balance must be."""
        return self.total_received - self.rewards_claimed - self.ess_disbursed - self.collective_spent

    def point_totals(self, now: int) -> tuple[int, int]:
        """(matured, pending) points in all, as a booking at `now` would see them."""
        if self.last_epoch < self.epoch(now):
            return self.matured_points + self.pending_points, 0
        return self.matured_points, self.pending_points

    def totals(self, now: int) -> tuple[int, ...]:
        """The Solidity `Totals` struct at `now`, field by field."""
        matured, pending = self.point_totals(now)
        return (
            self.total_received,
            self.members_received,
            self.ess_received,
            self.collective_received,
            self.rewards_claimed,
            self.ess_disbursed,
            self.collective_spent,
            matured,
            pending,
            self.reward_per_point,
            self.epoch(now),
        )

    # ---------------------------------------------------------------- internals

    def _advance(self, now: int) -> int:
        """Roll over if `now` is in a later epoch than the last booking; returns the epoch."""
        current = self.epoch(now)
        assert current >= self.last_epoch, "model: the clock went back"
        if current == self.last_epoch:
            return current
        if self.pending_points:
            self.matured_at[self.last_epoch] = self.reward_per_point
            self.matured_points += self.pending_points
            self.pending_points = 0
            self.roll_overs += 1
        self.last_epoch = current
        self.at_epoch_start = self.reward_per_point
        return current

    def _distribute(self, amount: int) -> Split:
        """Split `amount`; spread the members' part over the matured points within the cap."""
        parts = self.split(amount)
        ceiling = self.at_epoch_start + self.epoch_reward_cap_bps * PRECISION // BPS
        headroom = max(0, ceiling - self.reward_per_point)
        increase = distributed = 0
        if self.matured_points:
            increase = min(parts.to_members * PRECISION // self.matured_points, headroom)
            distributed = ceil_div(increase * self.matured_points, PRECISION)
        self.last_distribution = Distribution(
            parts.to_members, self.matured_points, headroom, increase, distributed
        )
        self.reward_per_point += increase
        return Split(distributed, parts.to_ess + parts.to_members - distributed, parts.to_collective)

    def _book(self, amount: int, parts: Split) -> Split:
        self.total_received += amount
        self.ess_received += parts.to_ess
        self.collective_received += parts.to_collective
        return parts

    def _settled(self, position: Position, current: int, count: str | None) -> Position:
        """A copy of `position` settled at the accumulator now, in epoch `current`; `count`
        names the account whose floors are counted (None for a view)."""
        settled = Position(**vars(position))
        if settled.pending and settled.pending_epoch < current:
            # Not recorded yet if they are the last booking's: nothing was booked since that
            # epoch ended, so the accumulator has not moved since.
            epoch = settled.pending_epoch
            matured_at = self.reward_per_point if epoch == self.last_epoch else self.matured_at[epoch]
            settled.accrued += self._earned(settled.matured, matured_at - settled.paid, count)
            settled.matured += settled.pending
            settled.pending = 0
            settled.paid = matured_at
        settled.accrued += self._earned(settled.matured, self.reward_per_point - settled.paid, count)
        settled.paid = self.reward_per_point
        return settled

    def _earned(self, points: int, rise: int, count: str | None) -> int:
        assert rise >= 0
        if count is not None and points * rise % PRECISION:
            self.floors[count] += 1
        return points * rise // PRECISION

    def _settle(self, account: str, current: int) -> Position:
        position = self._settled(self.positions.get(account, Position()), current, count=account)
        self.positions[account] = position
        return position

    def _award(self, account: str, amount: int, weight_bps: int, current: int) -> int:
        points = amount * weight_bps // BPS
        if points == 0:
            return 0
        position = self.positions.setdefault(account, Position())
        if position.pending == 0 or position.pending_epoch == current:
            # Nothing matures: the matured points and what they earned stay as they are.
            position.pending += points
            position.pending_epoch = current
            return points
        position = self._settle(account, current)
        position.pending, position.pending_epoch = points, current
        return points


def _latest_timestamp(pool: Any) -> int:
    return int(pool.chain_manager.blocks.head.timestamp)


def assert_pool_matches(pool: Any, model: PoolModel, accounts: list[Any], now: int | None = None) -> None:
    """Every view of `pool` equals the model at `now` (default: the latest block's timestamp),
    for the totals and for each of `accounts`."""
    now = _latest_timestamp(pool) if now is None else now
    assert tuple(pool.totals()) == model.totals(now)
    assert tuple(pool.epochClock()) == model.clock.as_tuple()
    assert pool.epochRewardCapBps() == model.epoch_reward_cap_bps
    assert pool.essAvailable() == model.ess_available
    assert pool.collectiveAvailable() == model.collective_available
    assert pool.membersAvailable() == model.members_available
    for account in accounts:
        assert pool.pointsOf(account) == model.points_of(account), f"points of {key(account)}"
        assert tuple(pool.memberPoints(account)) == model.member_points(account, now), (
            f"member points of {key(account)}"
        )
        assert pool.claimableOf(account) == model.claimable_of(account, now), f"claimable of {key(account)}"


def assert_pool_solvent(pool: Any, token: Any, accounts: list[Any]) -> None:
    """The conservation identity: the balance is exactly the three buckets, and the members'
    bucket covers every claimable reward (no carry: the rest is rounding dust)."""
    members_available = pool.membersAvailable()
    assert token.balanceOf(pool) == members_available + pool.essAvailable() + pool.collectiveAvailable()
    owed = sum(pool.claimableOf(account) for account in accounts)
    assert owed <= members_available
