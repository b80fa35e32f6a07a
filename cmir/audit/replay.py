"""The pool's rules replayed from its events alone: the epoch clock, points pending in their
epoch and maturing when it ends, the roll-over at the first booking of a later epoch, the
reward-per-point accumulator capped per epoch, and what the members' part could not give going
to ESS. Written from the published rules (IRedistribution, RewardMath), not from the indexer:
the audit shares no ledger code with what it checks.

Rules, as the pool states them:

- epoch of a timestamp: ``originEpoch - 1`` before ``origin``, else
  ``originEpoch + (ts - origin) // length``; the clock comes from ``EpochLengthChanged``.
- a booking (relation, contribution, fee, surplus, exclusion) first rolls over: if its epoch is
  not the last booking's, the last booking's pending total joins the matured total and the
  accumulator then is that epoch's "matured at" value; the epoch's starting accumulator is set.
- a relation's points are pending in its epoch; a member whose pending points are from an
  ended epoch first has them matured from that epoch's matured-at value.
- the members' part raises the accumulator by ``min(members * 1e27 // matured, headroom)``,
  headroom being what is left of the epoch's cap; ``ceil(increase * matured / 1e27)`` is
  distributed, the rest goes to ESS. A surplus goes to ESS whole.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from cmir.audit.chain import Event

BPS = 10_000
PRECISION = 10**27
#: The highest epoch reward cap whatever the shares and weights (MAX_EPOCH_REWARD_CAP_BPS).
MAX_CAP_BPS = 10_000
#: Why a members' part went to ESS, as the ledger prints it.
REASONS = ("no_matured_points", "cap", "rounding")
#: The zero address, as events give it (checksum form): no sponsor.
ZERO = "0x0000000000000000000000000000000000000000"


def ceil_div(a: int, b: int) -> int:
    """⌈a / b⌉ for non-negative integers."""
    return -(-a // b)


@dataclass(frozen=True)
class Clock:
    """The epoch clock: epoch `origin_epoch` starts at `origin`, each lasts `length` seconds."""

    origin: int
    length: int
    origin_epoch: int

    def epoch_at(self, timestamp: int) -> int:
        """The epoch of `timestamp`."""
        if timestamp < self.origin:
            return self.origin_epoch - 1
        return self.origin_epoch + (timestamp - self.origin) // self.length

    def epoch_end(self, epoch: int) -> int:
        """When `epoch` ends (an epoch before the origin's: at the origin)."""
        if epoch < self.origin_epoch:
            return self.origin
        return self.origin + (epoch - self.origin_epoch + 1) * self.length


@dataclass(slots=True)
class Account:
    """A member's reward position, as the pool stores it (changed in place as events are
    replayed: hundreds of thousands of them)."""

    accrued: int = 0
    paid: int = 0
    matured: int = 0
    pending: int = 0
    pending_epoch: int = 0


@dataclass(frozen=True)
class MemberFigures:
    """What the pool's views give for a member at one block."""

    claimable: int
    points: int
    matured: int
    pending: int
    pending_epoch: int
    matures_at: int


@dataclass
class Booking:
    """How one inflow was booked: its epoch, split and what of the members' part went to ESS."""

    epoch: int
    split: tuple[int, int, int]
    members_to_ess: dict[str, int] = field(default_factory=dict)

    @property
    def members_to_ess_total(self) -> int:
        """All of the members' part that went to ESS."""
        return sum(self.members_to_ess.values())


class Replay:
    """The pool's accounting replayed event by event; `problems` lists each disagreement."""

    def __init__(self, floor_bps: int) -> None:
        self.floor = floor_bps
        self.shares: tuple[int, int, int] | None = None
        self.weights: tuple[int, int, int, int] | None = None
        self.cap_bps: int | None = None
        self.parties_min_share_bps: int | None = None
        self.clock: Clock | None = None
        self.rpp = 0
        self.at_epoch_start = 0
        self.matured = 0
        self.pending = 0
        self.last_epoch = 1  # the pool's point totals start in epoch 1
        self.matured_at: dict[int, int] = {}
        self.accounts: dict[str, Account] = defaultdict(Account)
        self.claimed: dict[str, int] = defaultdict(int)
        self.members_to_ess: dict[str, int] = dict.fromkeys(REASONS, 0)
        self.surplus_to_ess = 0
        self.problems: list[str] = []

    # ------------------------------------------------------------------ helpers

    def _problem(self, event: Event, text: str) -> None:
        self.problems.append(f"{event.name} in tx {event.tx_hash} (log {event.log_index}): {text}")

    def epoch_of(self, event: Event) -> int:
        """The pool's current epoch when `event` was emitted (its block's timestamp)."""
        if self.clock is None or event.timestamp is None:
            self._problem(event, "no epoch clock (EpochLengthChanged) or block time before it")
            return self.last_epoch
        return self.clock.epoch_at(event.timestamp)

    def _settle(self, account: Account, rpp: int, current: int, last_epoch: int) -> None:
        """Settle `account` in place at `rpp` in epoch `current`, `last_epoch` being the last
        booking's: pending points of an ended epoch mature from that epoch's matured-at value
        first."""
        if account.pending and account.pending_epoch < current:
            if account.pending_epoch == last_epoch:
                at = rpp  # nothing booked since that epoch ended: the accumulator has not moved
            else:
                at = self.matured_at.get(account.pending_epoch, rpp)
            account.accrued += account.matured * (at - account.paid) // PRECISION
            account.matured += account.pending
            account.pending, account.paid = 0, at
        account.accrued += account.matured * (rpp - account.paid) // PRECISION
        account.paid = rpp

    def _settled(self, account: Account, rpp: int, current: int, last_epoch: int) -> Account:
        """A settled copy of `account` (see `_settle`)."""
        copy = replace(account)
        self._settle(copy, rpp, current, last_epoch)
        return copy

    def _advance(self, current: int) -> None:
        """Roll the point totals over to epoch `current` if it is not the last booking's."""
        if current == self.last_epoch:
            return
        if self.pending:
            self.matured_at[self.last_epoch] = self.rpp
            self.matured += self.pending
            self.pending = 0
        self.last_epoch = current
        self.at_epoch_start = self.rpp

    def _award(self, who: str, points: int, current: int) -> None:
        if points == 0:
            return
        account = self.accounts[who]
        if account.pending and account.pending_epoch != current:
            self._settle(account, self.rpp, current, current)
            account.pending = 0
        # Otherwise nothing matures: the pool only adds to the pending points (no settlement).
        account.pending += points
        account.pending_epoch = current

    def _distribute(self, event: Event, amount: int, current: int) -> Booking:
        """Split `amount` by the shares in force and spread the members' part over the matured
        points within the epoch's cap; raises the accumulator."""
        if self.shares is None or self.cap_bps is None:
            self._problem(event, "an inflow before the shares and the reward cap were set")
            return Booking(current, (0, 0, 0))
        _, ess_bps, collective_bps = self.shares
        to_ess = ceil_div(amount * ess_bps, BPS)
        to_collective = amount * collective_bps // BPS
        members = amount - to_ess - to_collective
        reasons = dict.fromkeys(REASONS, 0)
        if self.matured == 0:
            increase = distributed = 0
            reasons["no_matured_points"] = members
        else:
            ceiling = self.at_epoch_start + self.cap_bps * PRECISION // BPS
            headroom = max(0, ceiling - self.rpp)
            uncapped = members * PRECISION // self.matured
            increase = min(uncapped, headroom)
            distributed = ceil_div(increase * self.matured, PRECISION)
            uncapped_distributed = ceil_div(uncapped * self.matured, PRECISION)
            reasons["rounding"] = members - uncapped_distributed
            reasons["cap"] = uncapped_distributed - distributed
        self.rpp += increase
        for reason, value in reasons.items():
            self.members_to_ess[reason] += value
        return Booking(current, (distributed, to_ess + members - distributed, to_collective), reasons)

    def _check_booking(self, event: Event, amount: int, booking: Booking) -> None:
        split = event.args["split"]
        parts = (int(split["toMembers"]), int(split["toEss"]), int(split["toCollective"]))
        if sum(parts) != amount:
            self._problem(event, f"split {parts} does not add up to {amount}")
        if parts != booking.split:
            self._problem(event, f"split {parts} differs from the replayed rules' {booking.split}")
        if event.name != "SurplusAccounted" and parts[1] * BPS < amount * self.floor:
            self._problem(event, f"ESS part {parts[1]} is below the floor of {self.floor} bps")
        after = int(event.args["rewardPerPoint"])
        if after != self.rpp:
            self._problem(event, f"reward per point {after} differs from the replay's {self.rpp}")
            self.rpp = after

    # ------------------------------------------------------------------ events

    def settings(self, event: Event) -> None:
        """A governed setting that the replay needs (shares, weights, cap, clock)."""
        a = event.args
        if event.name == "SharesChanged":
            new = a["newShares"]
            self.shares = (int(new["membersBps"]), int(new["essBps"]), int(new["collectiveBps"]))
        elif event.name == "PointWeightsChanged":
            w = a["newWeights"]
            self.weights = (
                int(w["payerBps"]),
                int(w["counterpartyBps"]),
                int(w["payerSponsorBps"]),
                int(w["counterpartySponsorBps"]),
            )
        elif event.name == "EpochRewardCapChanged":
            self.cap_bps = int(a["newCapBps"])
        elif event.name == "PartiesMinShareChanged":
            self.parties_min_share_bps = int(a["newBps"])
        elif event.name == "EpochLengthChanged":
            previous = self.clock.length if self.clock else 0
            if int(a["previousLength"]) != previous:
                self._problem(
                    event, f"previous length {a['previousLength']}, the replay's clock had {previous}"
                )
            self.clock = Clock(int(a["origin"]), int(a["newLength"]), int(a["originEpoch"]))

    def relation(self, event: Event) -> Booking:
        """A paid relation: roll over, award the pending points, distribute."""
        a = event.args
        amount, points = int(a["amount"]), a["points"]
        current = self.epoch_of(event)
        if int(a["epoch"]) != current:
            self._problem(event, f"epoch {a['epoch']}, the clock gives {current} at its block's time")
        self._advance(current)
        weights = self.weights
        for who, awarded, slot in (
            (a["payer"], int(points["payerPoints"]), 0),
            (a["counterparty"], int(points["counterpartyPoints"]), 1),
            (points["payerSponsor"], int(points["payerSponsorPoints"]), 2),
            (points["counterpartySponsor"], int(points["counterpartySponsorPoints"]), 3),
        ):
            if who == ZERO:
                if awarded:
                    self._problem(event, f"points {awarded} awarded to no sponsor")
                continue
            due = amount * weights[slot] // BPS if weights is not None else awarded
            if awarded != due:
                self._problem(event, f"{who} got {awarded} points, the weights in force give {due}")
            self._award(who, awarded, current)
            self.pending += awarded
        booking = self._distribute(event, amount, current)
        self._check_booking(event, amount, booking)
        return booking

    def inflow(self, event: Event) -> Booking:
        """A contribution or a membership fee: roll over, distribute."""
        amount = int(event.args["amount"])
        current = self.epoch_of(event)
        self._advance(current)
        booking = self._distribute(event, amount, current)
        self._check_booking(event, amount, booking)
        return booking

    def surplus(self, event: Event) -> Booking:
        """Tokens sent without a call: roll over, all of it to ESS."""
        amount = int(event.args["amount"])
        current = self.epoch_of(event)
        self._advance(current)
        self.surplus_to_ess += amount
        booking = Booking(current, (0, amount, 0))
        self._check_booking(event, amount, booking)
        return booking

    def claim(self, event: Event) -> None:
        """A claim: the member settled (no roll-over), its accrued paid out."""
        who, amount = event.args["member"], int(event.args["amount"])
        if int(event.args["rewardPerPoint"]) != self.rpp:
            self._problem(
                event, f"reward per point {event.args['rewardPerPoint']}, the replay's is {self.rpp}"
            )
        settled = self._settled(self.accounts[who], self.rpp, self.epoch_of(event), self.last_epoch)
        if amount != settled.accrued:
            self._problem(event, f"{who} claimed {amount}, the replay accrued {settled.accrued}")
        settled.accrued = 0
        self.accounts[who] = settled
        self.claimed[who] += amount

    def freeze(self, event: Event) -> None:
        """An exclusion: roll over, settle the member, remove its matured and pending points."""
        a = event.args
        who = a["member"]
        current = self.epoch_of(event)
        self._advance(current)
        if int(a["rewardPerPoint"]) != self.rpp:
            self._problem(event, f"reward per point {a['rewardPerPoint']}, the replay's is {self.rpp}")
        settled = self._settled(self.accounts[who], self.rpp, current, current)
        expected: dict[str, Any] = {
            "maturedRemoved": settled.matured,
            "pendingRemoved": settled.pending,
            "accrued": settled.accrued,
        }
        for name, value in expected.items():
            if int(a[name]) != value:
                self._problem(event, f"{name} {a[name]} differs from the replay's {value}")
        self.matured -= settled.matured
        self.pending -= settled.pending
        settled.matured = settled.pending = 0
        self.accounts[who] = settled

    # ------------------------------------------------------------------ views at one block

    def max_cap_bps(self) -> int | None:
        """The highest reward cap the replayed shares and weights allow: what a point costs a
        buyer holding every other matured point, at most 10,000 (None before both are set)."""
        if self.shares is None or self.weights is None:
            return None
        total = sum(self.weights)
        return MAX_CAP_BPS if total == 0 else min(MAX_CAP_BPS, BPS * (BPS - self.shares[0]) // total)

    def current_epoch(self, timestamp: int) -> int:
        """The epoch at `timestamp` on the replayed clock (0 without a clock)."""
        return self.clock.epoch_at(timestamp) if self.clock else 0

    def totals(self, timestamp: int) -> dict[str, int]:
        """matured and pending points, accumulator and epoch as totals() gives them at
        `timestamp`: the last booking's pending points count as matured once its epoch ended."""
        current = self.current_epoch(timestamp)
        if self.last_epoch < current:
            matured, pending = self.matured + self.pending, 0
        else:
            matured, pending = self.matured, self.pending
        return {
            "maturedPoints": matured,
            "pendingPoints": pending,
            "rewardPerPoint": self.rpp,
            "epoch": current,
        }

    def member(self, who: str, timestamp: int) -> MemberFigures:
        """claimableOf, pointsOf and memberPoints of `who` at `timestamp`."""
        account = self.accounts.get(who, Account())
        settled = self._settled(account, self.rpp, self.current_epoch(timestamp), self.last_epoch)
        pending_epoch = settled.pending_epoch if settled.pending else 0
        matures_at = self.clock.epoch_end(pending_epoch) if settled.pending and self.clock else 0
        return MemberFigures(
            claimable=settled.accrued,
            points=account.matured + account.pending,
            matured=settled.matured,
            pending=settled.pending,
            pending_epoch=pending_epoch,
            matures_at=matures_at,
        )
