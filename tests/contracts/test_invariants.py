"""Property tests: random sequences of operations on the real deployed contracts keep the
invariants of DESIGN.md.

A Hypothesis `RuleBasedStateMachine` drives the session's deployment on anvil through random
sequences of invitations (per sponsor, expiring, refilling over time, refused in probation),
acceptances naming the sponsor and kind (an ESS structure needs the attester's attestation),
revocations, admissions and exclusions, paid relations (members and non-members, amounts below
and above the minimum fee), contributions, membership fees, claims, collective spending within
the steward's budget, ESS funding naming the payout wallet and wallet version voted, governed
settings (the timelock impersonated: the governance path itself is tested elsewhere) including
the epoch length, the epoch reward cap, the parties' minimum share, the shares, the points
weights, the admission rules and the steward's budget, project registrations, wallet changes and
activations, tokens sent straight to the pool, and the clock: time travel by a fraction of an
epoch, to its last seconds, by exactly one epoch, or by many. Every block is one second after the
previous one (anvil's block timestamp interval), so time moves only as the steps say and a
failing sequence replays exactly.

Two models predict every outcome independently of the contracts' code: the exact integer model of
the pool's rules (redistribution_model.PoolModel: epochs, pending and matured points, roll-overs,
the capped accumulator, rounding as RewardMath rounds) and, here, an ideal ledger in rationals that
gives each inflow's distributed part to the matured points pro rata, with no rounding. Which calls
revert and with which custom error (and arguments), each event of the pool, everyone's points and
claimable rewards, member records and token balances are predicted. After every step every
invariant is checked against a fresh reading of the chain:

- claimableOf, pointsOf, memberPoints, totals(), epoch(), epochClock() and the governed settings
  equal the integer model, for everyone, at the latest block's timestamp;
- the pool's token balance equals membersAvailable + essAvailable + collectiveAvailable exactly
  (plus any tokens sent without a call and not yet accounted), and equals the unclaimed member
  rewards (sum of claimableOf) + ESS available + collective available + a rounding dust that is
  >= 0 and bounded (`Model.dust_bound` per account, `Model.global_dust_bound` in all): no carry;
- total received == rewards claimed + ESS disbursed + collective spent + balance (less any
  unaccounted surplus);
- nobody can claim more than accrued: claimableOf never exceeds the ideal ledger's entitlement
  minus what was claimed, and a claim pays exactly what claimableOf showed just before;
- every inflow gives ESS at least the floor (checked on each inflow event: toEss * 10000 >=
  amount * floorBps), and each inflow's split is the model's: members get what the matured
  points may take within the epoch's cap, ESS the rest of their part (no carry);
- only the timelock moves ESS money: essDisbursed changes only on a timelock call, and the same
  call from anyone else reverts;
- no inflow reaches points earned in its own epoch: an inflow leaves the claimable of every
  account without matured points unchanged, and raises no one's by more than its matured points
  times the accumulator's rise;
- the accumulator rises by at most the reward cap within an epoch (from its value when the epoch
  started, the highest cap in force during the epoch);
- the sums of everyone's matured and pending points are the totals' matured and pending points;
- activeMemberCount and getVotes match the model, and getVotes is 0 or 1 for everyone: 0 during
  a member's probation; member records, invitations, attestations and the invitations available
  to each member (and when the next accrues) are the model's;
- the steward never spends more than the budget of the running period (`collectiveBudget()` is
  the model's), and ESS money goes only to the wallet and version on record, of an active project;
- a step that reverts changes nothing that is read (but what the clock alone changes).

Each Hypothesis example starts from the freshly deployed system (plus funded, approving wallets)
through an anvil snapshot taken in the machine's `__init__` and restored in `teardown`, so a
failing example replays exactly (Hypothesis prints the steps and a reproduction blob).

Sizes: CMIR_PROPERTY_SEQUENCES (default 200) examples of CMIR_PROPERTY_STEPS (default 30) steps.
Views and transactions go through raw JSON-RPC (views in one batch per step) for speed. The run's
summary (terminal) counts what was exercised: roll-overs, capped inflows, inflows with no matured
points, maturing claims and awards, exclusions, epoch-length and cap changes, time travel.
"""

from __future__ import annotations

import copy
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Any, ClassVar

import pytest
from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from cmir.chain.deploy import Deployment, NetworkSettings
from tests.contracts.raw_rpc import Rpc, RpcError, signature_types
from tests.contracts.redistribution_model import (
    LOWEST_PARTIES_MIN_SHARE_BPS,
    MAX_EPOCH_LENGTH,
    MAX_WEIGHT_BPS,
    MAX_WEIGHT_SUM_BPS,
    MIN_EPOCH_LENGTH,
    PoolModel,
    max_reward_cap_bps,
)

SEQUENCES = int(os.environ.get("CMIR_PROPERTY_SEQUENCES", "200"))
STEPS = int(os.environ.get("CMIR_PROPERTY_STEPS", "30"))

EUR = 10**6
BPS = 10_000
DAY = 86_400
PRECISION = 10**27
MAX_MEMO_LENGTH = 280
MAX_URI_LENGTH = 512
ZERO = "0x0000000000000000000000000000000000000000"
UINT256_MAX = 2**256 - 1
# What every wallet is minted before the first example: far more than any sequence spends, far
# less than the pool's 128-bit accounting.
WALLET_FUNDS = 10**27
# Gas limit of every transaction (far above what any call here uses).
TX_GAS = 3_000_000
# Accounts beyond Ape's ten test accounts (impersonated on anvil), and ESS payout wallets.
EXTRA_PEOPLE = [to_checksum_address(keccak(text=f"cmir-invariants-person-{i}")[-20:]) for i in range(3)]
PAYOUT_WALLETS = [to_checksum_address(keccak(text=f"cmir-invariants-payout-{i}")[-20:]) for i in range(2)]
# The pool's events that book an inflow.
INFLOW_EVENTS = ("RelationPaid", "Contributed", "MembershipFeeReceived", "SurplusAccounted")


# ---------------------------------------------------------------------- JSON-RPC and ABI


class RevertedError(Exception):
    """A transaction reverted with revert data `data`."""

    def __init__(self, data: str) -> None:
        super().__init__(data)
        self.data = data


@cache
def calldata(signature: str, *args: Any) -> str:
    """ABI-encoded call of `signature` with `args`, as 0x-hex (cached: views repeat every step)."""
    selector, types = signature_types(signature)
    return "0x" + (selector + encode(list(types), list(args))).hex()


@cache
def _checksum(address: str) -> str:
    return to_checksum_address(address)


def _decode_static(types: Sequence[str], raw: str) -> list[Any]:
    """Decode 0x-hex return data of static types only (uintN, address, bool): one word each.

    Much faster than eth_abi for the few hundred words read after every step.
    """
    assert len(raw) == 2 + 64 * len(types), f"unexpected return data {raw} for {types}"
    values: list[Any] = []
    for i, kind in enumerate(types):
        word = raw[2 + 64 * i : 66 + 64 * i]
        if kind == "address":
            values.append(_checksum("0x" + word[24:]))
        elif kind == "bool":
            values.append(int(word, 16) != 0)
        else:
            assert kind.startswith("uint"), kind
            values.append(int(word, 16))
    return values


class Errors:
    """Custom errors of the deployed contracts, by name, to encode expected revert data."""

    def __init__(self, contracts: Sequence[Any]) -> None:
        self._signatures: dict[str, str] = {}
        self._names: dict[str, str] = {}
        for contract in contracts:
            for entry in contract.contract_type.abi:
                if entry.type == "error":
                    signature = entry.selector  # "Name(type,...)"
                    self._signatures[entry.name] = signature
                    self._names["0x" + keccak(text=signature)[:4].hex()] = signature

    def data(self, name: str, *args: Any) -> str:
        """The revert data of error `name` with `args`."""
        return calldata(self._signatures[name], *args).lower()

    def describe(self, data: str) -> str:
        """A readable form of revert data."""
        signature = self._names.get(data[:10])
        if signature is None:
            return data
        _, types = signature_types(signature)
        args = decode(list(types), bytes.fromhex(data[10:]))
        return f"{signature.split('(')[0]}{tuple(args)}"


class Events:
    """Events of the deployed contracts, by topic, to decode a receipt's logs."""

    def __init__(self, contracts: Sequence[Any]) -> None:
        self._by_topic: dict[str, tuple[str, list[str], list[bool]]] = {}
        for contract in contracts:
            for entry in contract.contract_type.abi:
                if entry.type == "event":
                    signature = entry.selector  # "Name(type,...)"
                    _, types = signature_types(signature)
                    indexed = [bool(item.indexed) for item in entry.inputs]
                    self._by_topic["0x" + keccak(text=signature).hex()] = (entry.name, list(types), indexed)

    def decode(self, receipt: dict[str, Any], address: str) -> list[tuple[Any, ...]]:
        """The events `address` emitted in `receipt`, each as (name, argument, ...) in the
        declared order; addresses lower-case, structs as tuples."""
        decoded: list[tuple[Any, ...]] = []
        for entry in receipt["logs"]:
            if entry["address"].lower() != address.lower():
                continue
            name, types, indexed = self._by_topic[entry["topics"][0]]
            data = iter(
                decode(
                    [t for t, i in zip(types, indexed, strict=True) if not i],
                    bytes.fromhex(entry["data"][2:]),
                )
            )
            topics = iter(entry["topics"][1:])
            values: list[Any] = []
            for kind, is_indexed in zip(types, indexed, strict=True):
                values.append(
                    _normal(decode([kind], bytes.fromhex(next(topics)[2:]))[0] if is_indexed else next(data))
                )
            decoded.append((name, *values))
        return decoded


def _normal(value: Any) -> Any:
    """Addresses in lower case, tuples recursively, anything else as decoded."""
    if isinstance(value, tuple):
        return tuple(_normal(v) for v in value)
    if isinstance(value, str) and value.startswith("0x"):
        return value.lower()
    return value


class Node:
    """Transactions (from unlocked or impersonated accounts) and views on anvil."""

    def __init__(self, rpc: Rpc, errors: Errors, events: Events) -> None:
        self.rpc = rpc
        self.errors = errors
        self.events = events

    def transact(self, sender: str, to: str, data: str) -> dict[str, Any]:
        """Send and mine a transaction; return its receipt (with its block's `timestamp`), or
        raise RevertedError if it reverted.

        A reverting transaction is really mined (status 0, like one sent from a wallet); its
        revert data comes from replaying it as a call on the state just before its block, at its
        block's time (every block holds one transaction here). The gas limit is fixed, not
        estimated: an estimate made in one second can fall short in the next block when a
        membership checkpoint then needs a new storage slot instead of updating the current
        second's.
        """
        tx = {"from": sender, "to": to, "data": data, "gas": hex(TX_GAS)}
        try:
            tx_hash = self.rpc.request("eth_sendTransaction", [tx])
        except RpcError as error:  # refused at gas estimation
            if error.revert_data is None:
                raise
            raise RevertedError(error.revert_data) from None
        receipt = self._receipt(tx_hash)
        if receipt["status"] == "0x1":
            block = self.rpc.request("eth_getBlockByNumber", [receipt["blockNumber"], False])
            receipt["timestamp"] = int(block["timestamp"], 16)
            return receipt
        # Replayed on the state before its block, with its block's number and time (an eth_call
        # at the parent block would run one second earlier: probation, invitations and budgets
        # depend on the second).
        number = int(receipt["blockNumber"], 16)
        block = self.rpc.request("eth_getBlockByNumber", [receipt["blockNumber"], False])
        overrides = {"number": hex(number), "time": block["timestamp"]}
        try:
            self.rpc.request("eth_call", [tx, hex(number - 1), {}, overrides])
        except RpcError as error:
            if error.revert_data is None:
                raise
            raise RevertedError(error.revert_data) from None
        raise AssertionError(f"transaction {tx_hash} failed, but succeeds when replayed as a call")

    def _receipt(self, tx_hash: str) -> dict[str, Any]:
        """The receipt, once anvil's automine has mined the transaction."""
        deadline = time.monotonic() + 60
        while True:
            receipt: dict[str, Any] | None = self.rpc.request("eth_getTransactionReceipt", [tx_hash])
            if receipt is not None:
                return receipt
            assert time.monotonic() < deadline, f"transaction {tx_hash} was never mined"
            time.sleep(0.001)

    def call(self, to: str, data: str) -> bytes:
        """Result of a view call."""
        return bytes.fromhex(self.rpc.request("eth_call", [{"to": to, "data": data}, "latest"])[2:])


# ---------------------------------------------------------------------- the model


@dataclass
class MemberRecord:
    """What the model knows of a member (as Membership's record, with its invitation anchor)."""

    sponsor: str
    kind: int
    joined_at: int
    votes_from: int
    anchor: int
    sent: int = 0
    excluded_at: int = 0

    @property
    def excluded(self) -> bool:
        return self.excluded_at != 0


@dataclass
class Project:
    """What the model knows of an ESS project."""

    owner: str
    wallet: str
    active: bool
    version: int = 1


@dataclass(frozen=True)
class Rules:
    """Membership's admission rules."""

    probation: int
    refill: int
    cap: int
    ttl: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.probation, self.refill, self.cap, self.ttl)


@dataclass
class Budget:
    """The steward's budget: `amount` per `period`; `spent` in the period started at `start`."""

    amount: int
    period: int
    start: int = 0
    spent: int = 0

    def view(self, now: int) -> tuple[int, int, int, int]:
        """`collectiveBudget()` at `now`: no period running once the last one ended."""
        running = now < self.start + self.period
        return (self.amount, self.period, self.start if running else 0, self.spent if running else 0)


@dataclass
class Model:
    """Expected state of the whole system, computed without the contracts' code.

    `pool` is the exact integer model of the pool's rules. Beside it, an ideal ledger in
    rationals: each inflow's distributed part goes to the matured points pro rata, at the rate
    min(members' part / matured points, headroom / 1e27) per point, with no rounding. The
    contract's integer accumulator can only round down from that (the floor in the accumulator
    increase, in each settlement, and in the claimableOf view), so for each account
    0 <= entitlement - claimed - claimableOf < bound, see `dust_bound`.
    """

    governance: str
    pool_address: str
    floor_bps: int
    steward: str
    rules: Rules
    budget: Budget
    attester: str
    pool: PoolModel
    membership_fee: int = 0
    members: dict[str, MemberRecord] = field(default_factory=dict)
    # (invitee, sponsor) -> (kind, expiresAt); an expired invitation stays until replaced or revoked.
    invitations: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    attested: set[str] = field(default_factory=set)
    projects: list[Project] = field(default_factory=list)
    balances: Counter[str] = field(default_factory=Counter)
    surplus: int = 0
    # The ideal ledger, by lower-case address.
    entitlement: dict[str, Fraction] = field(default_factory=dict)
    claimed: Counter[str] = field(default_factory=Counter)
    accumulator_loss: dict[str, Fraction] = field(default_factory=dict)
    # What the pool counted as distributed beyond the ideal shares (its rounding up; < 1 each).
    distributed_over_ideal: Fraction = Fraction(0)
    inflows: int = 0
    distributions: int = 0

    # -------------------------------------------------------------- membership

    def is_active(self, account: str) -> bool:
        """Joined and not excluded."""
        record = self.members.get(account)
        return record is not None and not record.excluded

    def active_members(self) -> list[str]:
        """Active members, in joining order."""
        return [a for a, r in self.members.items() if not r.excluded]

    def votes(self, account: str, now: int) -> int:
        """One vote from the end of probation until exclusion."""
        record = self.members.get(account)
        return 1 if record is not None and not record.excluded and record.votes_from <= now else 0

    def active_sponsor(self, account: str) -> str:
        """The account's sponsor if it is an active member, else the zero address."""
        sponsor = self.members[account].sponsor if account in self.members else ZERO
        return sponsor if sponsor != ZERO and self.is_active(sponsor) else ZERO

    def join(self, account: str, kind: int, sponsor: str, now: int, founder: bool = False) -> None:
        """A new member at `now`: a founder votes at once with a full invitation allowance,
        anyone else after its probation, from when its invitations start to accrue."""
        rules = self.rules
        votes_from = now if founder else now + rules.probation
        if founder:
            full = rules.cap * rules.refill
            anchor = now - full if now > full else 0
        else:
            anchor = votes_from
        self.members[account] = MemberRecord(sponsor, kind, now, votes_from, anchor)
        self.pool.add_member(account, None if sponsor == ZERO else sponsor)

    def credits(self, account: str, now: int) -> tuple[int, int]:
        """`invitationsAvailable(account)` at `now`: one invitation per refill period since the
        anchor, at most the cap, and when the next accrues (0 at the cap)."""
        if not self.is_active(account):
            return (0, 0)
        anchor, rules = self.members[account].anchor, self.rules
        if now < anchor:
            return (0, anchor + rules.refill)
        available = (now - anchor) // rules.refill
        if available >= rules.cap:
            return (rules.cap, 0)
        return (available, anchor + (available + 1) * rules.refill)

    def spend_invitation(self, sponsor: str, now: int) -> None:
        """`sponsor` sends an invitation at `now` (it has one)."""
        record, rules = self.members[sponsor], self.rules
        available, _ = self.credits(sponsor, now)
        assert available > 0
        if available >= rules.cap:
            record.anchor = now - (rules.cap - 1) * rules.refill
        else:
            record.anchor += rules.refill
        record.sent = min(record.sent + 1, 2**16 - 1)

    def give_invitation_back(self, sponsor: str) -> None:
        """An invitation of `sponsor` was revoked: its allowance accrues one period earlier."""
        record, refill = self.members[sponsor], self.rules.refill
        record.anchor = record.anchor - refill if record.anchor > refill else 0
        record.sent = max(record.sent - 1, 0)

    # -------------------------------------------------------------- tokens

    def transfer(self, source: str, target: str, amount: int) -> None:
        """Tokens move between wallets (the pool is one)."""
        assert self.balances[source] >= amount, "model: a wallet would go negative"
        self.balances[source] -= amount
        self.balances[target] += amount

    # -------------------------------------------------------------- the ideal ledger

    def booked(self, payer: str, amount: int, now: int) -> None:
        """An inflow of `amount` paid by `payer` was just booked in `pool` at `now`: give its
        distributed part to the ideal ledger, and move the tokens."""
        self.inflows += 1
        if payer:
            self.transfer(payer, self.pool_address, amount)
        distribution = self.pool.last_distribution
        if distribution is None or distribution.matured == 0:
            return
        rate = min(
            Fraction(distribution.members_part, distribution.matured),
            Fraction(distribution.headroom, PRECISION),
        )
        holders = 0
        for account in self.pool.positions:
            points = self.pool.member_points(account, now)[0]
            if points:
                holders += points
                self.entitlement[account] = self.entitlement.get(account, Fraction(0)) + rate * points
                loss = Fraction(points, PRECISION)
                self.accumulator_loss[account] = self.accumulator_loss.get(account, Fraction(0)) + loss
        assert holders == distribution.matured, "model: members' matured points do not sum to the total"
        self.distributed_over_ideal += distribution.distributed - rate * distribution.matured
        self.distributions += 1

    def owed(self, account: str) -> Fraction:
        """Exact entitlement not yet claimed."""
        return self.entitlement.get(account.lower(), Fraction(0)) - self.claimed[account.lower()]

    def dust_bound(self, account: str) -> Fraction:
        """Strict upper bound of `owed(account) - claimableOf(account)`.

        Each distribution's accumulator increase is floor(members' part * 1e27 / matured) (or
        exactly the cap's headroom): the account loses less than points / 1e27 of a unit (summed
        in `accumulator_loss`); each settlement that floors loses less than one unit (counted by
        the pool model); the claimableOf view floors at most twice (maturing, then the rest).
        """
        account = account.lower()
        return self.pool.floors[account] + 2 + self.accumulator_loss.get(account, Fraction(0))

    def global_dust_bound(self) -> int:
        """Bound of the total dust: lossy settlements + two view floors per holder + one unit per
        distribution (the pool rounds what it counts as distributed up, and all holders together
        lose less than matured / 1e27 < 1 unit to the accumulator's floor)."""
        holders = sum(1 for a in self.pool.positions if self.entitlement.get(a) or self.pool.points_of(a))
        return sum(self.pool.floors.values()) + 2 * holders + self.distributions


# ---------------------------------------------------------------------- run statistics


@dataclass
class Stats:
    """What the property run did, printed in the terminal summary."""

    sequences: int = 0
    steps: int = 0
    reverts: int = 0
    seconds: float = 0.0
    max_dust: int = 0
    max_dust_bound_used: float = 0.0
    rules: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    exercised: Counter[str] = field(default_factory=Counter)
    max_members: int = 0
    max_inflows: int = 0
    max_epoch: int = 0
    lengths: Counter[int] = field(default_factory=Counter)
    inflows: int = 0
    members: int = 0


STATS = Stats()


class _SummaryPlugin:
    """Writes the run's statistics at the end of the pytest session."""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print how many sequences and steps actually ran, and what they exercised."""
        s = STATS
        if s.sequences == 0:
            return
        terminalreporter.section("CMIR property run (test_invariants)")
        terminalreporter.write_line(
            f"{s.sequences} sequences, {s.steps} steps ({s.steps / s.sequences:.1f} per sequence), "
            f"{s.reverts} expected reverts, in {s.seconds:.0f} s"
        )
        full = sum(n for length, n in s.lengths.items() if length >= STEPS)
        terminalreporter.write_line(
            f"{full} sequences ran all {STEPS} steps (shortest: {min(s.lengths, default=0)}); "
            f"per sequence: {s.inflows / s.sequences:.1f} inflows (max {s.max_inflows}), "
            f"{s.members / s.sequences:.1f} members at the end (max {s.max_members}); "
            f"highest epoch reached {s.max_epoch}"
        )
        terminalreporter.write_line(
            f"largest rounding dust {s.max_dust} units (at most {s.max_dust_bound_used:.0%} of its bound)"
        )
        terminalreporter.write_line(
            "exercised: " + ", ".join(f"{k} {v}" for k, v in sorted(s.exercised.items()))
        )
        terminalreporter.write_line(
            "steps per rule: " + ", ".join(f"{k} {v}" for k, v in sorted(s.rules.items()))
        )
        terminalreporter.write_line(
            "expected reverts: " + ", ".join(f"{k} {v}" for k, v in sorted(s.errors.items()))
        )


# ---------------------------------------------------------------------- strategies

PERSON = st.integers(min_value=0, max_value=11)
PICK = st.integers(min_value=0, max_value=2**16)
KINDS = st.integers(min_value=0, max_value=2)
AMOUNTS = st.one_of(
    st.sampled_from([0, 1, 2, 3, 9_999, 9_999_999, 10_000_000, 10_000_001]),
    st.integers(min_value=1, max_value=10_000),
    st.integers(min_value=5 * EUR, max_value=200 * EUR),
    st.integers(min_value=1, max_value=10**13),
)
EXTRA = st.one_of(
    st.just(0), st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10**12)
)
# How much of a bucket to take: all of it, a part, one more than available, nothing, or any amount.
BUCKET_TAKE = st.tuples(st.sampled_from(["part", "part", "part", "all", "over", "zero", "raw"]), AMOUNTS)
MEMO = st.sampled_from([0, 5, 5, MAX_MEMO_LENGTH, MAX_MEMO_LENGTH + 1])
AS_GOVERNANCE = st.sampled_from([True, True, True, False])
# Epoch lengths: mostly short (epochs then end within a sequence), the bounds, and out of range.
EPOCH_LENGTHS = st.sampled_from(
    [1, 2, 3, 5, 7, 13, 30, 60, 60, 61, 3_600, 86_400, MAX_EPOCH_LENGTH, 0, MAX_EPOCH_LENGTH + 1]
)
WEIGHT = st.sampled_from([0, 0, 1, 1500, 2000, 5000, BPS, BPS + 1, 2**16 - 1])
# Admission rules (probation, invitation refill period, cap, lifetime): the local ones, others in
# range, and each bound crossed.
RULES = [
    (60, 60, 10, 3_600),
    (0, 1, 1, 3_600),
    (120, 30, 3, 7_200),
    (365 * DAY, 365 * DAY, 100, 365 * DAY),
    (365 * DAY + 1, 60, 10, 3_600),
    (60, 0, 10, 3_600),
    (60, 365 * DAY + 1, 10, 3_600),
    (60, 60, 0, 3_600),
    (60, 60, 101, 3_600),
    (60, 60, 10, 3_599),
    (60, 60, 10, 365 * DAY + 1),
]


def _take(mode: str, raw: int, available: int) -> int:
    """An amount to take from a bucket holding `available`."""
    if mode == "all":
        return available
    if mode == "part":
        return 1 + raw % available if available else 0
    if mode == "over":
        return available + 1
    if mode == "zero":
        return 0
    return raw


# ---------------------------------------------------------------------- the state machine


@dataclass
class Context:
    """What the machine works on, set by the test before running it."""

    node: Node
    chain: Any
    system: Deployment
    people: list[str]
    base_model: Model
    min_fee_ceiling: int


class PoolMachine(RuleBasedStateMachine):
    """Random operations on the deployed system, checked against `Model` after every step."""

    CTX: ClassVar[Context]

    def __init__(self) -> None:
        super().__init__()
        ctx = self.CTX
        self.snapshot = ctx.chain.snapshot()
        self.node = ctx.node
        self.errors = ctx.node.errors
        self.people = ctx.people
        self.model = copy.deepcopy(ctx.base_model)
        system = ctx.system
        self.token = str(system.token.address)
        self.pool = str(system.pool.address)
        self.membership = str(system.membership.address)
        self.registry = str(system.registry.address)
        self.governance = str(system.timelock.address)
        self.previous: dict[str, Any] | None = None
        self.step = ""
        self.reverted = False
        self.succeeded = False
        self.inflow = False
        self.claimer: str | None = None
        self.unchecked: list[dict[str, Any]] = []
        self.roll_overs = 0
        # The epoch the accumulator's rise is measured in: its value when the epoch started and
        # the highest reward cap in force since.
        self.cap_epoch = 0
        self.cap_base = 0
        self.cap_highest = 0
        self.rpp_seen = 0
        self.steps_run = 0
        STATS.sequences += 1
        # What was read before the first step: claims compare with it, reverts and inflows too.
        self.previous = self._read()

    def teardown(self) -> None:
        """Back to the freshly deployed system."""
        self.CTX.chain.restore(self.snapshot)
        STATS.max_members = max(STATS.max_members, len(self.model.members))
        STATS.max_inflows = max(STATS.max_inflows, self.model.inflows)
        STATS.lengths[self.steps_run] += 1
        STATS.inflows += self.model.inflows
        STATS.members += len(self.model.members)

    # -------------------------------------------------------------- helpers

    def _begin(self, name: str) -> None:
        STATS.steps += 1
        self.steps_run += 1
        STATS.rules[name] += 1
        self.step = name
        self.reverted = self.succeeded = self.inflow = False
        self.claimer = None

    def _latest(self) -> int:
        """The latest block's timestamp."""
        return int(self.node.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def _pick(self, items: Sequence[str], index: int) -> str:
        return items[index % len(items)] if items else self.people[index % len(self.people)]

    def _send(self, sender: str, to: str, data: str) -> dict[str, Any]:
        """A transaction the model expects to succeed; its pool events must then be checked by
        `_expect` (or be none)."""
        try:
            receipt = self.node.transact(sender, to, data)
        except RevertedError as reverted:
            raise AssertionError(
                f"{self.step}: unexpected revert {self.errors.describe(reverted.data)}"
            ) from None
        self.succeeded = True
        self.unchecked.append(receipt)
        return receipt

    def _expect(self, receipt: dict[str, Any], *events: tuple[Any, ...]) -> None:
        """The pool emitted exactly `events` in `receipt` (addresses in lower case)."""
        self.unchecked.remove(receipt)
        emitted = self.node.events.decode(receipt, self.pool)
        expected = [_normal(event) for event in events]
        assert emitted == expected, f"{self.step}: the pool emitted {emitted}, expected {expected}"

    def _reverts(self, sender: str, to: str, data: str, error: str, *args: Any) -> None:
        """A transaction the model expects to revert with `error(args)`."""
        expected = self.errors.data(error, *args)
        try:
            self.node.transact(sender, to, data)
        except RevertedError as reverted:
            assert reverted.data == expected, (
                f"{self.step}: expected {error}{args}, got {self.errors.describe(reverted.data)}"
            )
            self.reverted = True
            STATS.reverts += 1
            STATS.errors[error] += 1
            return
        raise AssertionError(f"{self.step}: expected revert {error}{args}, but the call succeeded")

    def _governed(self, as_governance: bool, person: int) -> str:
        return self.governance if as_governance else self.people[person]

    def _booked(self, receipt: dict[str, Any], payer: str, amount: int, event: tuple[Any, ...]) -> None:
        """An inflow of `amount` from `payer` was booked in `receipt`, which must have emitted
        `event`: check it, the ESS floor, and feed the ideal ledger."""
        self._expect(receipt, event)
        STATS.exercised[f"inflow: {event[0]}"] += 1
        m = self.model
        split = next(value for value in event if isinstance(value, tuple) and len(value) == 3)
        to_members, to_ess, to_collective = split
        assert to_members + to_ess + to_collective == amount
        assert to_ess * BPS >= amount * m.floor_bps, f"{self.step}: ESS got {to_ess} of {amount}"
        members_to_ess = to_ess - -(-amount * m.pool.shares[1] // BPS)
        m.booked(payer, amount, receipt["timestamp"])
        self.inflow = True
        # The event's accumulator (checked above to be the model's) within the epoch's cap.
        epoch = m.pool.epoch(receipt["timestamp"])
        self._observe_accumulator(epoch, m.pool.reward_per_point, m.pool.epoch_reward_cap_bps)
        assert m.pool.last_epoch == epoch and m.pool.at_epoch_start == self.cap_base
        distribution = m.pool.last_distribution
        if distribution is not None:
            if distribution.matured == 0 and distribution.members_part:
                STATS.exercised["inflow with no matured points"] += 1
            if distribution.capped:
                STATS.exercised["capped inflow"] += 1
            if distribution.distributed:
                STATS.exercised["inflow reaching matured points"] += 1
        if members_to_ess:
            STATS.exercised["inflow sending members' part to ESS"] += 1
        clock = m.pool.clock
        ts = receipt["timestamp"]
        epoch = clock.epoch_at(ts)
        if ts == clock.epoch_end(epoch) - 1:
            STATS.exercised["inflow in an epoch's last second"] += 1

    # -------------------------------------------------------------- a start with points

    @initialize(
        fee=st.sampled_from([0, 0, 0, 1, 5 * EUR, 10 * EUR + 7]),
        joiners=st.lists(st.tuples(st.integers(3, 11), st.integers(-1, 11), st.booleans()), max_size=5),
        relations=st.lists(st.tuples(PICK, PICK, EXTRA), max_size=5),
        wait=st.sampled_from(["stay", "to_end", "one_epoch", "many_epochs"]),
        contribution=st.one_of(st.just(0), AMOUNTS),
        budget=st.sampled_from([0, 0, 10 * EUR, 1_000 * EUR]),
    )
    def start(
        self,
        fee: int,
        joiners: list[tuple[int, int, bool]],
        relations: list[tuple[int, int, int]],
        wait: str,
        contribution: int,
        budget: int,
    ) -> None:
        """Each sequence starts somewhere along the way points go: governance may set a membership
        fee and an hourly budget of the steward far below the daily one deployed, a few people
        join (invited by a member, paying the fee, or admitted by governance, sponsored or not),
        members pay relations, time may pass beyond their epoch, and someone may contribute (paid
        to matured points, or to ESS when none has matured yet)."""
        self._begin("start")
        m = self.model
        if fee:
            self._set_membership_fee(self.governance, fee)
        if budget:
            self._set_collective_budget(budget, 3_600, True, 0)
        for account, sponsor, invited in joiners:
            target = self.people[account]
            now = self._latest() + 1  # the next transaction's time
            sponsor_address = (
                self.people[sponsor] if sponsor >= 0 and m.is_active(self.people[sponsor]) else ZERO
            )
            if target in m.members:
                continue
            if (
                invited
                and sponsor_address != ZERO
                and m.members[sponsor_address].votes_from <= now
                and m.credits(sponsor_address, now)[0] > 0
                and (target, sponsor_address) not in m.invitations
            ):
                receipt = self._send(
                    sponsor_address, self.membership, calldata("invite(address,uint8)", target, 1)
                )
                self._expect(receipt)
                assert receipt["timestamp"] == now
                m.spend_invitation(sponsor_address, now)
                m.invitations[(target, sponsor_address)] = (1, now + m.rules.ttl)
                self._accept(target, sponsor_address, 1)
            else:
                self._admit(self.governance, target, 1, sponsor_address)
        for payer, counterparty, extra in relations:
            self._pay_between_members(payer, counterparty, extra)
        clock, now = m.pool.clock, self._latest()
        if wait == "to_end":
            self._travel(clock.epoch_end(clock.epoch_at(now)) - 1, "to an epoch's end")
        elif wait == "one_epoch":
            self._travel(now + clock.length, "exactly one epoch")
        elif wait == "many_epochs":
            self._travel(now + 7 * clock.length, "many epochs")
        if contribution:
            self._contribute(self.people[5], contribution, 5)

    # -------------------------------------------------------------- membership

    @rule(
        sponsor=PICK,
        invitee=PICK,
        kind=KINDS,
        anyone=st.sampled_from([False, False, False, True]),
        accept_now=st.sampled_from([True, False, False]),
    )
    def invite(self, sponsor: int, invitee: int, kind: int, anyone: bool, accept_now: bool) -> None:
        """An active member invites a non-member (or anyone invites anyone): in probation, without
        an invitation left, or inviting again before the last expired, it reverts; the invitee
        may accept at once (an ESS structure needs an attestation)."""
        self._begin("invite")
        m = self.model
        if anyone:
            sender, target = self.people[sponsor % len(self.people)], self.people[invitee % len(self.people)]
        else:
            sender = self._pick(m.active_members(), sponsor)
            target = self._pick([a for a in self.people if a not in m.members], invitee)
        data = calldata("invite(address,uint8)", target, kind)
        now = self._latest() + 1
        record = m.members.get(sender)
        available, next_at = m.credits(sender, now)
        if not m.is_active(sender):
            self._reverts(sender, self.membership, data, "MembershipNotActiveMember", sender)
        elif record is not None and now < record.votes_from:
            self._reverts(sender, self.membership, data, "MembershipInProbation", sender, record.votes_from)
            STATS.exercised["invitation refused in probation"] += 1
        elif target in m.members:
            self._reverts(sender, self.membership, data, "MembershipAlreadyMember", target)
        elif m.invitations.get((target, sender), (0, 0))[1] > now:
            self._reverts(sender, self.membership, data, "MembershipAlreadyInvited", target, sender)
        elif available == 0:
            self._reverts(sender, self.membership, data, "MembershipNoInvitationLeft", sender, next_at)
            STATS.exercised["invitation refused: none left"] += 1
        else:
            if (target, sender) in m.invitations:
                STATS.exercised["expired invitation renewed"] += 1
            receipt = self._send(sender, self.membership, data)
            self._expect(receipt)
            assert receipt["timestamp"] == now
            m.spend_invitation(sender, now)
            m.invitations[(target, sender)] = (kind, now + m.rules.ttl)
            STATS.exercised["invitation sent"] += 1
            if any(key[0] == target and key[1] != sender for key in m.invitations):
                STATS.exercised["invitee invited by several sponsors"] += 1
            if accept_now:
                self._accept(target, sender, kind)

    def _accept(self, account: str, sponsor: str, kind: int) -> None:
        """`account` accepts the invitation it expects from `sponsor` as `kind`."""
        m = self.model
        data = calldata("acceptInvitation(address,uint8)", sponsor, kind)
        now = self._latest() + 1
        invitation = m.invitations.get((account, sponsor))
        if invitation is None:
            self._reverts(account, self.membership, data, "MembershipNoInvitation", account, sponsor)
            return
        invited, expires_at = invitation
        if invited != kind:
            self._reverts(
                account,
                self.membership,
                data,
                "MembershipInvitationKindMismatch",
                account,
                sponsor,
                invited,
                kind,
            )
        elif now >= expires_at:
            self._reverts(
                account, self.membership, data, "MembershipInvitationExpired", account, sponsor, expires_at
            )
            STATS.exercised["expired invitation refused"] += 1
        elif not m.is_active(sponsor):
            self._reverts(account, self.membership, data, "MembershipSponsorNotActive", sponsor)
        elif kind == 2 and account not in m.attested:
            self._reverts(account, self.membership, data, "MembershipEssStructureNotAttested", account)
        elif account in m.members:
            self._reverts(account, self.membership, data, "MembershipAlreadyMember", account)
        else:
            receipt = self._send(account, self.membership, data)
            del m.invitations[(account, sponsor)]
            m.join(account, kind, sponsor, receipt["timestamp"])
            STATS.exercised["invitation accepted"] += 1
            if now == expires_at - 1:
                STATS.exercised["invitation accepted in its last second"] += 1
            if kind == 2:
                STATS.exercised["attested ESS structure joined"] += 1
            fee = m.membership_fee
            if fee:
                split = m.pool.receive(fee, receipt["timestamp"])
                event = ("MembershipFeeReceived", account, fee, split.as_tuple(), m.pool.reward_per_point)
                self._booked(receipt, account, fee, event)
            else:
                self._expect(receipt)

    @rule(
        who=PICK,
        action=st.sampled_from(
            ["accept", "accept", "accept", "accept_other_kind", "accept_anyone", "revoke",
             "revoke_by_governance", "revoke_anyone"]
        ),
        person=PERSON,
        other=PERSON,
        kind=KINDS,
    )  # fmt: skip
    def answer_invitation(self, who: int, action: str, person: int, other: int, kind: int) -> None:
        """An invitee accepts (paying the membership fee, if any) naming its sponsor and kind, or
        names another kind, or anyone accepts naming anyone; or the sponsor or governance withdraws
        the invitation (giving the sponsor its invitation back), or anyone else tries to."""
        self._begin("answer_invitation")
        m = self.model
        pairs = sorted(m.invitations)
        invitee, sponsor = pairs[who % len(pairs)] if pairs else (self.people[person], self.people[other])
        invited = m.invitations.get((invitee, sponsor), (kind, 0))[0]
        if action == "accept":
            self._accept(invitee, sponsor, invited)
            return
        if action == "accept_other_kind":
            self._accept(invitee, sponsor, (invited + 1 + kind % 2) % 3)
            return
        if action == "accept_anyone":
            self._accept(self.people[person], self.people[other], kind)
            return
        sender = {
            "revoke": sponsor,
            "revoke_by_governance": self.governance,
            "revoke_anyone": self.people[person],
        }[action]
        data = calldata("revokeInvitation(address,address)", invitee, sponsor)
        if (invitee, sponsor) not in m.invitations:
            self._reverts(sender, self.membership, data, "MembershipNoInvitation", invitee, sponsor)
        elif sender not in (sponsor, self.governance):
            self._reverts(sender, self.membership, data, "MembershipNotInvitationSponsor", sender, sponsor)
        else:
            self._send(sender, self.membership, data)
            del m.invitations[(invitee, sponsor)]
            m.give_invitation_back(sponsor)
            STATS.exercised[
                f"invitation revoked by {'governance' if sender == self.governance else 'sponsor'}"
            ] += 1

    @rule(who=PERSON, by_attester=st.sampled_from([True, True, True, False]), person=PERSON)
    def attest_ess_structure(self, who: int, by_attester: bool, person: int) -> None:
        """The governed attester (or, reverting, anyone else) attests that an account is an ESS
        structure, which it must be to accept an invitation as one."""
        self._begin("attest_ess_structure")
        m = self.model
        target = self.people[who]
        sender = m.attester if by_attester else self.people[person]
        data = calldata("attestEssStructure(address)", target)
        if sender != m.attester:
            self._reverts(sender, self.membership, data, "MembershipNotAttester", sender)
        elif target in m.members:
            self._reverts(sender, self.membership, data, "MembershipAlreadyMember", target)
        else:
            self._expect(self._send(sender, self.membership, data))
            m.attested.add(target)

    @rule(account=PERSON, kind=KINDS, sponsor=st.integers(min_value=-1, max_value=11), as_gov=AS_GOVERNANCE)
    def admit(self, account: int, kind: int, sponsor: int, as_gov: bool) -> None:
        """Governance admits someone, with or without a sponsor (no attestation needed)."""
        self._begin("admit")
        sponsor_address = ZERO if sponsor < 0 else self.people[sponsor]
        self._admit(self._governed(as_gov, account), self.people[account], kind, sponsor_address)

    def _admit(self, sender: str, target: str, kind: int, sponsor_address: str) -> None:
        m = self.model
        data = calldata("admit(address,uint8,address)", target, kind, sponsor_address)
        if sender != self.governance:
            self._reverts(sender, self.membership, data, "MembershipNotGovernance", sender)
        elif sponsor_address != ZERO and not m.is_active(sponsor_address):
            self._reverts(sender, self.membership, data, "MembershipSponsorNotActive", sponsor_address)
        elif target in m.members:
            self._reverts(sender, self.membership, data, "MembershipAlreadyMember", target)
        else:
            receipt = self._send(sender, self.membership, data)
            # Pending invitations of the newcomer stay (accepting one now reverts: already a member).
            m.join(target, kind, sponsor_address, receipt["timestamp"])
            self._expect(receipt)

    @rule(who=PICK, any_account=st.sampled_from([False, False, False, True]), as_gov=AS_GOVERNANCE)
    def exclude_member(self, who: int, any_account: bool, as_gov: bool) -> None:
        """Governance excludes a member: votes end, its matured and pending points stop earning,
        what it accrued stays claimable, its invitations lapse."""
        self._begin("exclude_member")
        m = self.model
        target = self.people[who % len(self.people)] if any_account else self._pick(m.active_members(), who)
        sender = self._governed(as_gov, who % len(self.people))
        data = calldata("exclude(address,string)", target, "property test")
        if sender != self.governance:
            self._reverts(sender, self.membership, data, "MembershipNotGovernance", sender)
        elif not m.is_active(target):
            self._reverts(sender, self.membership, data, "MembershipNotActiveMember", target)
        else:
            receipt = self._send(sender, self.membership, data)
            m.members[target].excluded_at = receipt["timestamp"]
            matured, pending, accrued = m.pool.exclude(target, receipt["timestamp"])
            rpp = m.pool.reward_per_point
            self._expect(receipt, ("MemberRewardsFrozen", target, matured, pending, accrued, rpp))
            STATS.exercised["exclusion"] += 1
            if m.members[target].votes_from > receipt["timestamp"]:
                STATS.exercised["exclusion in probation"] += 1
            if matured:
                STATS.exercised["exclusion removing matured points"] += 1
            if pending:
                STATS.exercised["exclusion removing pending points"] += 1

    def _set_rules(self, rules: tuple[int, int, int, int], as_gov: bool, person: int) -> None:
        """Governance sets the admission rules (each bounded): probation, invitation refill
        period, cap and lifetime. Probation applies to later joiners; the allowance of everyone
        follows the new refill period and cap at once."""
        sender = self._governed(as_gov, person)
        data = calldata("setRules((uint48,uint48,uint16,uint48))", rules)
        bounds = [(0, 365 * DAY), (1, 365 * DAY), (1, 100), (3_600, 365 * DAY)]
        wrong = [
            (value, low, high)
            for value, (low, high) in zip(rules, bounds, strict=True)
            if not low <= value <= high
        ]
        if sender != self.governance:
            self._reverts(sender, self.membership, data, "MembershipNotGovernance", sender)
        elif wrong:
            self._reverts(sender, self.membership, data, "MembershipRuleOutOfRange", *wrong[0])
        else:
            self._expect(self._send(sender, self.membership, data))
            self.model.rules = Rules(*rules)

    @rule(fee=st.sampled_from([0, 0, 1, 3, 5 * EUR, 10 * EUR + 7]), as_gov=AS_GOVERNANCE, person=PERSON)
    def set_membership_fee(self, fee: int, as_gov: bool, person: int) -> None:
        """Governance sets the fee an invitee pays into the pool on accepting (an inflow)."""
        self._begin("set_membership_fee")
        self._set_membership_fee(self._governed(as_gov, person), fee)

    def _set_membership_fee(self, sender: str, fee: int) -> None:
        data = calldata("setMembershipFee(uint256)", fee)
        if sender != self.governance:
            self._reverts(sender, self.membership, data, "MembershipNotGovernance", sender)
            return
        self._send(sender, self.membership, data)
        self.model.membership_fee = fee

    # -------------------------------------------------------------- inflows

    def _pay_relation(self, payer: str, counterparty: str, amount: int) -> None:
        m = self.model
        ref = keccak(text="meeting")
        data = calldata("payRelation(address,uint256,bytes32)", counterparty, amount, ref)
        if amount == 0:
            self._reverts(payer, self.pool, data, "RedistributionZeroAmount")
        elif amount < m.pool.min_relation_fee:
            self._reverts(
                payer, self.pool, data, "RedistributionFeeBelowMinimum", amount, m.pool.min_relation_fee
            )
        elif payer == counterparty:
            self._reverts(payer, self.pool, data, "RedistributionSelfRelation", payer)
        elif not m.is_active(payer):
            self._reverts(payer, self.pool, data, "RedistributionNotActiveMember", payer)
        elif not m.is_active(counterparty):
            self._reverts(payer, self.pool, data, "RedistributionNotActiveMember", counterparty)
        else:
            receipt = self._send(payer, self.pool, data)
            now = receipt["timestamp"]
            epoch = m.pool.epoch(now)
            for account in {payer, counterparty, m.active_sponsor(payer), m.active_sponsor(counterparty)} - {
                ZERO
            }:
                position = m.pool.positions.get(account.lower())
                if position is not None and position.pending and position.pending_epoch < epoch:
                    STATS.exercised["award maturing earlier pending points"] += 1
            split, points = m.pool.pay_relation(payer, counterparty, amount, now)
            event = (
                "RelationPaid", payer, counterparty, ref, amount, split.as_tuple(), points.as_tuple(),
                m.pool.reward_per_point, epoch,
            )  # fmt: skip
            self._booked(receipt, payer, amount, event)

    def _pay_between_members(self, payer: int, counterparty: int, extra: int) -> None:
        active = self.model.active_members()
        first = payer % len(active) if active else 0
        # A different member when there are two or more (self-relations are tried by `pay_relation`).
        second = (first + 1 + counterparty % (len(active) - 1)) % len(active) if len(active) > 1 else first
        amount = self.model.pool.min_relation_fee + extra
        self._pay_relation(self._pick(active, first), self._pick(active, second), amount)

    @rule(payer=PICK, counterparty=PICK, extra=EXTRA)
    def pay_relation_between_members(self, payer: int, counterparty: int, extra: int) -> None:
        """Two active members, at least the minimum fee: mostly succeeds."""
        self._begin("pay_relation_between_members")
        self._pay_between_members(payer, counterparty, extra)

    @rule(payer=PICK, counterparty=PICK, extra=st.integers(min_value=0, max_value=3))
    def pay_relation_at_minimum_fee(self, payer: int, counterparty: int, extra: int) -> None:
        """Two active members at (or a few units above) the minimum fee, where rounding bites."""
        self._begin("pay_relation_at_minimum_fee")
        self._pay_between_members(payer, counterparty, extra)

    @rule(payer=PERSON, counterparty=PERSON, amount=AMOUNTS)
    def pay_relation(self, payer: int, counterparty: int, amount: int) -> None:
        """Anyone with anyone, any amount (including below the minimum fee)."""
        self._begin("pay_relation")
        self._pay_relation(self.people[payer], self.people[counterparty], amount)

    @rule(who=PERSON, amount=AMOUNTS, memo=MEMO)
    def contribute(self, who: int, amount: int, memo: int) -> None:
        """Anyone contributes with a memo."""
        self._begin("contribute")
        self._contribute(self.people[who], amount, memo)

    def _contribute(self, sender: str, amount: int, memo: int) -> None:
        m = self.model
        data = calldata("contribute(uint256,string)", amount, "m" * memo)
        if amount == 0:
            self._reverts(sender, self.pool, data, "RedistributionZeroAmount")
        elif memo > MAX_MEMO_LENGTH:
            self._reverts(sender, self.pool, data, "RedistributionMemoTooLong", memo, MAX_MEMO_LENGTH)
        else:
            receipt = self._send(sender, self.pool, data)
            split = m.pool.receive(amount, receipt["timestamp"])
            event = ("Contributed", sender, amount, split.as_tuple(), m.pool.reward_per_point, "m" * memo)
            self._booked(receipt, sender, amount, event)

    @rule(who=PERSON, amount=AMOUNTS, book=st.booleans())
    def tokens_sent_directly(self, who: int, amount: int, book: bool) -> None:
        """Someone transfers tokens to the pool without calling it (an unaccounted surplus), or
        anyone books such a surplus, all of it to ESS (reverts when there is none)."""
        self._begin("tokens_sent_directly:" + ("book" if book else "send"))
        m = self.model
        sender = self.people[who]
        if not book:
            self._send(sender, self.token, calldata("transfer(address,uint256)", self.pool, amount))
            m.transfer(sender, m.pool_address, amount)
            m.surplus += amount
            return
        data = calldata("accountSurplus()")
        if m.surplus == 0:
            self._reverts(sender, self.pool, data, "RedistributionNoSurplus")
            return
        receipt = self._send(sender, self.pool, data)
        amount, m.surplus = m.surplus, 0
        split = m.pool.account_surplus(amount, receipt["timestamp"])
        assert split.as_tuple() == (0, amount, 0)
        event = ("SurplusAccounted", sender, amount, split.as_tuple(), m.pool.reward_per_point)
        self._booked(receipt, "", amount, event)

    # -------------------------------------------------------------- outflows

    def _claim(self, account: str) -> None:
        m = self.model
        shown = self.previous["claimable"][account] if self.previous else 0
        assert shown <= m.owed(account), f"{account} could claim {shown} > {m.owed(account)}"
        data = calldata("claim()")
        if shown == 0:
            self._reverts(account, self.pool, data, "RedistributionNothingToClaim", account)
            return
        receipt = self._send(account, self.pool, data)
        now = receipt["timestamp"]
        position = m.pool.positions.get(account.lower())
        if position is not None and position.pending and position.pending_epoch < m.pool.epoch(now):
            STATS.exercised["claim maturing pending points"] += 1
        amount = m.pool.claim(account, now)
        assert amount == shown, f"{account} was shown {shown} but the model pays {amount} a second later"
        self._expect(receipt, ("RewardsClaimed", account, amount, m.pool.reward_per_point))
        m.claimed[account.lower()] += amount
        # The invariant then checks the claimer's balance rose by exactly `shown` and that
        # claimableOf is now 0.
        m.transfer(m.pool_address, account, amount)
        self.claimer = account
        STATS.exercised["claim"] += 1

    @rule(who=PICK, holder=st.sampled_from([True, True, True, False]))
    def claim(self, who: int, holder: bool) -> None:
        """Someone with rewards (or anyone: reverting when nothing is due) claims."""
        self._begin("claim")
        assert self.previous is not None
        holders = [a for a, amount in self.previous["claimable"].items() if amount > 0]
        self._claim(self._pick(holders, who) if holder else self.people[who % len(self.people)])

    @rule(who=PICK, wait=st.sampled_from(["to_end", "to_end", "one_epoch", "stay"]))
    def claim_as_pending_points_mature(self, who: int, wait: str) -> None:
        """Someone with pending points waits until their epoch ends (the claim lands in the first
        second of the next, or an epoch later, or at once) and claims: they mature as it settles."""
        self._begin("claim_as_pending_points_mature")
        m = self.model
        now = self._latest()
        pending = [a for a in self.people if m.pool.member_points(a, now)[1]]
        account = self._pick(pending, who)
        clock = m.pool.clock
        if wait == "to_end":
            self._travel(clock.epoch_end(clock.epoch_at(now)) - 1, "to an epoch's end")
        elif wait == "one_epoch":
            self._travel(now + clock.length, "exactly one epoch")
        # Time alone changes no one's claimable: what was read before still stands.
        self._claim(account)

    @rule(
        by_steward=st.sampled_from([True, True, True, False]),
        person=PERSON,
        recipient=st.integers(min_value=-1, max_value=13),
        take=BUCKET_TAKE,
        memo=MEMO,
    )
    def spend_collective(
        self, by_steward: bool, person: int, recipient: int, take: tuple[str, int], memo: int
    ) -> None:
        """The steward (or someone else) spends the collective fund, within the period's budget."""
        self._begin("spend_collective")
        m = self.model
        sender = m.steward if by_steward else self.people[person]
        to = ZERO if recipient < 0 else (self.people + PAYOUT_WALLETS)[recipient]
        self._spend_collective(sender, to, _take(*take, m.pool.collective_available), memo)

    def _spend_collective(self, sender: str, to: str, amount: int, memo: int) -> None:
        m = self.model
        available = m.pool.collective_available
        data = calldata("spendCollective(address,uint256,string)", to, amount, "c" * memo)
        if sender != m.steward:
            self._reverts(sender, self.pool, data, "RedistributionNotSteward", sender)
        elif to == ZERO:
            self._reverts(sender, self.pool, data, "RedistributionZeroAddress")
        elif amount == 0:
            self._reverts(sender, self.pool, data, "RedistributionZeroAmount")
        elif memo > MAX_MEMO_LENGTH:
            self._reverts(sender, self.pool, data, "RedistributionMemoTooLong", memo, MAX_MEMO_LENGTH)
        elif amount > available:
            self._reverts(sender, self.pool, data, "RedistributionInsufficientFunds", amount, available)
        else:
            budget, now = m.budget, self._latest() + 1
            start, spent = (budget.start, budget.spent) if now < budget.start + budget.period else (now, 0)
            left = budget.amount - spent if spent < budget.amount else 0
            if amount > left:
                self._reverts(
                    sender,
                    self.pool,
                    data,
                    "RedistributionCollectiveBudgetExceeded",
                    amount,
                    left,
                    start + budget.period,
                )
                STATS.exercised["collective spending beyond the budget"] += 1
                return
            receipt = self._send(sender, self.pool, data)
            assert receipt["timestamp"] == now
            self._expect(receipt, ("CollectiveSpent", sender, to, amount, "c" * memo))
            budget.start, budget.spent = start, spent + amount
            m.pool.spend_collective(amount)
            m.transfer(m.pool_address, to, amount)
            if start == now and spent == 0 and budget.start != 0:
                STATS.exercised["collective budget period started"] += 1

    @rule(
        as_gov=AS_GOVERNANCE,
        person=PERSON,
        project=PICK,
        take=BUCKET_TAKE,
        payout=st.sampled_from(["on record", "on record", "on record", "older version", "other wallet"]),
    )
    def fund_ess_project(
        self, as_gov: bool, person: int, project: int, take: tuple[str, int], payout: str
    ) -> None:
        """The timelock (or, reverting, a member or the steward) funds an ESS project, naming the
        payout wallet and wallet version voted: any other than those on record reverts."""
        self._begin("fund_ess_project")
        m = self.model
        sender = self._governed(as_gov, person)
        # Mostly a registered project; sometimes 0 or count + 1 (unknown ids).
        if m.projects and project % 4:
            project_id = 1 + project % len(m.projects)
        else:
            project_id = project % (len(m.projects) + 2)
        known = 1 <= project_id <= len(m.projects)
        record = m.projects[project_id - 1] if known else Project(ZERO, ZERO, False, 0)
        wallet, version = record.wallet, record.version
        if payout == "older version":
            version = max(version - 1, 0)
        elif payout == "other wallet":
            # Another wallet than the one on record (one of the two payout wallets).
            wallet = PAYOUT_WALLETS[1] if wallet == PAYOUT_WALLETS[0] else PAYOUT_WALLETS[0]
        available = m.pool.ess_available
        amount = _take(*take, available)
        if payout != "on record":
            amount = max(amount, 1)  # a zero amount would revert first
        data = calldata("fundEssProject(uint256,address,uint64,uint256)", project_id, wallet, version, amount)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif amount == 0:
            self._reverts(sender, self.pool, data, "RedistributionZeroAmount")
        elif not known:
            self._reverts(sender, self.pool, data, "RedistributionUnknownProject", project_id)
        elif (wallet, version) != (record.wallet, record.version):
            self._reverts(
                sender, self.pool, data, "RedistributionPayoutMismatch", project_id, wallet, version
            )
        elif not record.active:
            self._reverts(sender, self.pool, data, "RedistributionProjectInactive", project_id)
        elif amount > available:
            self._reverts(sender, self.pool, data, "RedistributionInsufficientFunds", amount, available)
        else:
            receipt = self._send(sender, self.pool, data)
            self._expect(receipt, ("EssProjectFunded", project_id, wallet, amount))
            self.step = "fund_ess_project:timelock"
            m.pool.fund_ess(amount)
            m.transfer(m.pool_address, wallet, amount)
            if record.version > 1:
                STATS.exercised["funding after a wallet change and a new activation"] += 1

    # -------------------------------------------------------------- governed settings of the pool

    def _cap_above_max(
        self, cap: int, shares: tuple[int, int, int], weights: tuple[int, int, int, int]
    ) -> bool:
        return cap > max_reward_cap_bps(shares, weights)

    @rule(
        mode=st.sampled_from(["valid", "valid", "floor", "below_floor", "bad_sum"]),
        a=st.integers(min_value=0, max_value=BPS),
        b=st.integers(min_value=0, max_value=BPS),
        as_gov=AS_GOVERNANCE,
        person=PERSON,
    )
    def set_shares(self, mode: str, a: int, b: int, as_gov: bool, person: int) -> None:
        """Governance changes the shares: valid, exactly the floor, below it, not summing up, or
        leaving the reward cap above what a point then costs."""
        self._begin("set_shares")
        m = self.model
        floor = m.floor_bps
        if mode == "valid":
            ess = floor + a % (BPS - floor + 1)
        elif mode == "floor":
            ess = floor
        else:
            ess = a % floor if floor else 0
        members = b % (BPS - ess + 1)
        collective = BPS - ess - members
        if mode == "bad_sum":
            ess = floor + a % (BPS - floor + 1)
            collective += 1 + b % 7
        shares = (members, ess, collective)
        data = calldata("setShares((uint16,uint16,uint16))", shares)
        sender = self._governed(as_gov, person)
        cap, highest = m.pool.epoch_reward_cap_bps, max_reward_cap_bps(shares, m.pool.weights)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif sum(shares) != BPS:
            self._reverts(sender, self.pool, data, "RedistributionSharesInvalidSum", sum(shares))
        elif ess < floor:
            self._reverts(sender, self.pool, data, "RedistributionEssShareBelowFloor", ess, floor)
        elif cap > highest:
            self._reverts(sender, self.pool, data, "RedistributionRewardCapAboveMax", cap, highest)
        else:
            receipt = self._send(sender, self.pool, data)
            self._expect(receipt, ("SharesChanged", m.pool.shares, shares))
            m.pool.shares = shares

    @rule(
        weights=st.one_of(
            st.tuples(WEIGHT, WEIGHT, WEIGHT, WEIGHT),
            st.tuples(
                st.integers(min_value=0, max_value=BPS),
                st.integers(min_value=0, max_value=BPS),
                st.integers(min_value=0, max_value=3_000),
                st.integers(min_value=0, max_value=3_000),
            ),
        ),
        as_gov=AS_GOVERNANCE,
        person=PERSON,
    )
    def set_point_weights(self, weights: tuple[int, int, int, int], as_gov: bool, person: int) -> None:
        """Governance changes the points weights, within or beyond their bounds."""
        self._begin("set_point_weights")
        m = self.model
        data = calldata("setPointWeights((uint16,uint16,uint16,uint16))", weights)
        sender = self._governed(as_gov, person)
        total = sum(weights)
        parties = (weights[0] + weights[1]) * BPS // total if total else 0
        cap, highest = m.pool.epoch_reward_cap_bps, max_reward_cap_bps(m.pool.shares, weights)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif max(weights) > MAX_WEIGHT_BPS:
            self._reverts(
                sender, self.pool, data, "RedistributionWeightAboveMax", max(weights), MAX_WEIGHT_BPS
            )
        elif total == 0:
            self._reverts(sender, self.pool, data, "RedistributionWeightsAllZero")
        elif total > MAX_WEIGHT_SUM_BPS:
            self._reverts(
                sender, self.pool, data, "RedistributionWeightSumAboveMax", total, MAX_WEIGHT_SUM_BPS
            )
        elif parties < m.pool.parties_min_share_bps:
            self._reverts(
                sender,
                self.pool,
                data,
                "RedistributionPartiesShareBelowMin",
                parties,
                m.pool.parties_min_share_bps,
            )
        elif cap > highest:
            self._reverts(sender, self.pool, data, "RedistributionRewardCapAboveMax", cap, highest)
        else:
            receipt = self._send(sender, self.pool, data)
            self._expect(receipt, ("PointWeightsChanged", m.pool.weights, weights))
            m.pool.weights = weights

    @rule(
        mode=st.sampled_from(["max", "zero", "low", "low", "part", "part", "over"]),
        raw=PICK,
        as_gov=AS_GOVERNANCE,
        person=PERSON,
    )
    def set_epoch_reward_cap(self, mode: str, raw: int, as_gov: bool, person: int) -> None:
        """Governance sets the most a matured point may earn per epoch: the highest the shares and
        weights allow, none, a low cap that binds, any, or above the highest (reverts)."""
        self._begin("set_epoch_reward_cap")
        m = self.model
        highest = m.pool.max_epoch_reward_cap_bps
        cap = {
            "max": highest,
            "zero": 0,
            "low": raw % 50,
            "part": raw % (highest + 1),
            "over": highest + 1 + raw % 100,
        }[mode]
        data = calldata("setEpochRewardCap(uint256)", cap)
        sender = self._governed(as_gov, person)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif cap > highest:
            self._reverts(sender, self.pool, data, "RedistributionRewardCapAboveMax", cap, highest)
        else:
            receipt = self._send(sender, self.pool, data)
            self._expect(receipt, ("EpochRewardCapChanged", m.pool.epoch_reward_cap_bps, cap))
            m.pool.epoch_reward_cap_bps = cap
            STATS.exercised["reward cap change"] += 1

    @rule(length=EPOCH_LENGTHS, as_gov=AS_GOVERNANCE, person=PERSON)
    def set_epoch_length(self, length: int, as_gov: bool, person: int) -> None:
        """Governance sets the epoch length (from the end of the running epoch), or an out-of-range
        one (reverts)."""
        self._begin("set_epoch_length")
        m = self.model
        data = calldata("setEpochLength(uint256)", length)
        sender = self._governed(as_gov, person)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif not MIN_EPOCH_LENGTH <= length <= MAX_EPOCH_LENGTH:
            self._reverts(
                sender, self.pool, data, "RedistributionEpochLengthOutOfRange", length, MIN_EPOCH_LENGTH,
                MAX_EPOCH_LENGTH,
            )  # fmt: skip
        else:
            receipt = self._send(sender, self.pool, data)
            now = receipt["timestamp"]
            waiting = now < m.pool.clock.origin
            end_before = m.pool.clock.epoch_end(m.pool.epoch(now))
            fields = m.pool.set_epoch_length(length, now)
            assert m.pool.clock.epoch_end(m.pool.epoch(now)) == end_before, "model: the running epoch moved"
            self._expect(receipt, ("EpochLengthChanged", *fields))
            STATS.exercised["epoch length change" + (" while another waits" if waiting else "")] += 1

    def _set_min_relation_fee(self, fee: int, as_gov: bool, person: int) -> None:
        """Governance changes the minimum relation fee (at most the ceiling fixed at deployment)."""
        m = self.model
        ceiling = self.CTX.min_fee_ceiling
        data = calldata("setMinRelationFee(uint256)", fee)
        sender = self._governed(as_gov, person)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif fee > ceiling:
            self._reverts(sender, self.pool, data, "RedistributionMinRelationFeeAboveCeiling", fee, ceiling)
        else:
            receipt = self._send(sender, self.pool, data)
            self._expect(receipt, ("MinRelationFeeChanged", m.pool.min_relation_fee, fee))
            m.pool.min_relation_fee = fee

    def _set_steward(self, new: int, as_gov: bool, person: int) -> None:
        """Governance names a steward of the collective fund (the zero address is refused)."""
        m = self.model
        steward = ZERO if new < 0 else self.people[new]
        data = calldata("setSteward(address)", steward)
        sender = self._governed(as_gov, person)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif steward == ZERO:
            self._reverts(sender, self.pool, data, "RedistributionZeroAddress")
        else:
            receipt = self._send(sender, self.pool, data)
            self._expect(receipt, ("StewardChanged", m.steward, steward))
            m.steward = steward

    def _set_collective_budget(self, amount: int, period: int, as_gov: bool, person: int) -> None:
        """Governance sets the steward's budget: what the running period spent still counts."""
        m = self.model
        data = calldata("setCollectiveBudget(uint256,uint256)", amount, period)
        sender = self._governed(as_gov, person)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif not 3_600 <= period <= 365 * DAY:
            self._reverts(
                sender, self.pool, data, "RedistributionBudgetPeriodOutOfRange", period, 3_600, 365 * DAY
            )
        elif amount >= 2**88:
            self._reverts(sender, self.pool, data, "RedistributionAmountTooLarge", amount)
        else:
            receipt = self._send(sender, self.pool, data)
            self._expect(receipt, ("CollectiveBudgetChanged", amount, period))
            if receipt["timestamp"] < m.budget.start + m.budget.period and m.budget.spent:
                STATS.exercised["budget changed in a running period"] += 1
            m.budget.amount, m.budget.period = amount, period

    def _set_parties_min_share(self, bps: int, as_gov: bool, person: int) -> None:
        """Governance sets the least share of a relation's points its parties keep: in range and
        met by the current weights, or not (reverts)."""
        m = self.model
        data = calldata("setPartiesMinShare(uint256)", bps)
        sender = self._governed(as_gov, person)
        weights = m.pool.weights
        parties = (weights[0] + weights[1]) * BPS // sum(weights)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif not LOWEST_PARTIES_MIN_SHARE_BPS <= bps <= BPS:
            self._reverts(
                sender,
                self.pool,
                data,
                "RedistributionPartiesMinShareOutOfRange",
                bps,
                LOWEST_PARTIES_MIN_SHARE_BPS,
            )
        elif parties < bps:
            self._reverts(sender, self.pool, data, "RedistributionPartiesShareBelowMin", parties, bps)
        else:
            receipt = self._send(sender, self.pool, data)
            self._expect(receipt, ("PartiesMinShareChanged", m.pool.parties_min_share_bps, bps))
            m.pool.parties_min_share_bps = bps

    @rule(
        which=st.sampled_from(
            [
                "min_relation_fee",
                "steward",
                "membership_rules",
                "collective_budget",
                "collective_budget",
                "project",
                "project",
                "parties_min_share",
            ]
        ),
        value=PICK,
        flag=st.booleans(),
        as_gov=AS_GOVERNANCE,
        person=PERSON,
    )
    def governance_setting(self, which: str, value: int, flag: bool, as_gov: bool, person: int) -> None:
        """The timelock (or, reverting, someone else) changes a setting: the minimum relation fee,
        the steward, the admission rules, the steward's budget, a project's status, or the
        parties' minimum share."""
        self._begin(f"governance_setting:{which}")
        ceiling = self.CTX.min_fee_ceiling
        if which == "min_relation_fee":
            fees = [0, 1, 3, 10_000, 3 * EUR, 10 * EUR, ceiling, ceiling + 1]
            self._set_min_relation_fee(fees[value % len(fees)], as_gov, person)
        elif which == "steward":
            self._set_steward(value % (len(self.people) + 1) - 1, as_gov, person)
        elif which == "membership_rules":
            self._set_rules(RULES[value % len(RULES)], as_gov, person)
        elif which == "collective_budget":
            amounts = [1, 10 * EUR, 10 * EUR, 10_000 * EUR, 2**88 - 1, 2**88]
            periods = [3_600, 3_600, DAY, DAY, 365 * DAY, 0, 3_599, 365 * DAY + 1]
            self._set_collective_budget(
                amounts[value % 6], periods[(value // 6) % len(periods)], as_gov, person
            )
        elif which == "parties_min_share":
            choices = [0, 4_999, 5_000, 5_001, 6_000, 7_000, 8_000, 9_999, BPS, BPS + 1]
            self._set_parties_min_share(choices[value % len(choices)], as_gov, person)
        else:
            self._set_project_active(value, flag, as_gov, person)

    # -------------------------------------------------------------- deadlines, to the second

    @rule(who=PICK, late=st.booleans())
    def accept_at_the_deadline(self, who: int, late: bool) -> None:
        """An invitee accepts in the last second of its invitation, or in the first second after
        it expired (refused)."""
        self._begin("accept_at_the_deadline")
        m = self.model
        pending = sorted(
            key for key, (_, expires_at) in m.invitations.items() if expires_at > self._latest() + 2
        )
        if not pending:
            return
        invitee, sponsor = pending[who % len(pending)]
        kind, expires_at = m.invitations[(invitee, sponsor)]
        # The next transaction lands a second after the block mined here.
        self._travel(expires_at - 1 if late else expires_at - 2, "to an invitation's deadline")
        self._accept(invitee, sponsor, kind)

    @rule(who=PICK, late=st.booleans(), invitee=PICK)
    def invite_as_probation_ends(self, who: int, late: bool, invitee: int) -> None:
        """A member invites in the last second of its probation (refused) or the first after."""
        self._begin("invite_as_probation_ends")
        m = self.model
        waiting = [a for a in m.active_members() if m.members[a].votes_from > self._latest() + 2]
        if not waiting:
            # Governance admits a newcomer, whose probation starts.
            outside = [a for a in self.people if a not in m.members]
            if not outside or m.rules.probation < 3:
                return
            newcomer = outside[who % len(outside)]
            self._admit(self.governance, newcomer, 1, ZERO)
            waiting = [newcomer]
        sponsor = waiting[who % len(waiting)]
        votes_from = m.members[sponsor].votes_from
        self._travel(votes_from - 1 if late else votes_from - 2, "to the end of a probation")
        target = self._pick([a for a in self.people if a not in m.members], invitee)
        data = calldata("invite(address,uint8)", target, 1)
        now = self._latest() + 1
        available, next_at = m.credits(sponsor, now)
        if now < votes_from:
            self._reverts(sponsor, self.membership, data, "MembershipInProbation", sponsor, votes_from)
        elif target in m.members:
            self._reverts(sponsor, self.membership, data, "MembershipAlreadyMember", target)
        elif available == 0:
            # Invitations accrue from the end of probation: the first one a refill period later.
            self._reverts(sponsor, self.membership, data, "MembershipNoInvitationLeft", sponsor, next_at)
        else:
            receipt = self._send(sponsor, self.membership, data)
            self._expect(receipt)
            m.spend_invitation(sponsor, now)
            m.invitations[(target, sponsor)] = (1, now + m.rules.ttl)

    @rule(late=st.booleans(), beyond=st.booleans(), take=BUCKET_TAKE)
    def spend_as_the_budget_period_ends(self, late: bool, beyond: bool, take: tuple[str, int]) -> None:
        """The steward spends in the last second of a budget period, or the first of the next:
        what is left of the budget then (or a unit more), or any amount."""
        self._begin("spend_as_the_budget_period_ends")
        m = self.model
        end = m.budget.start + m.budget.period
        if m.budget.start == 0 or end <= self._latest() + 2:
            return
        self._travel(end - 1 if late else end - 2, "to the end of a budget period")
        budget, now = m.budget, self._latest() + 1
        spent = budget.spent if now < end else 0
        left = max(budget.amount - spent, 0)
        if take[0] in ("all", "part"):
            amount = left + beyond
        else:
            amount = _take(*take, m.pool.collective_available)
        self._spend_collective(m.steward, PAYOUT_WALLETS[1], amount, 3)

    # -------------------------------------------------------------- the clock

    def _travel(self, target: int, label: str) -> None:
        """Mine an empty block at `target`: the next transaction is one second later."""
        target = max(target, self._latest() + 1)
        self.node.rpc.request("evm_setNextBlockTimestamp", [target])
        self.node.rpc.request("evm_mine", [])
        STATS.exercised[f"travel: {label}"] += 1

    @rule(
        where=st.sampled_from(["fraction", "fraction", "last_seconds", "end"]),
        raw=PICK,
        back=st.integers(0, 2),
    )
    def travel_within_epoch(self, where: str, raw: int, back: int) -> None:
        """Time passes by a fraction of the epoch, or up to its last seconds or its end (the next
        transaction then falls in its last seconds or just after)."""
        self._begin("travel_within_epoch")
        clock, now = self.model.pool.clock, self._latest()
        end = clock.epoch_end(clock.epoch_at(now))
        if where == "fraction":
            self._travel(now + 1 + raw % max(1, end - now - 1), "a fraction of an epoch")
        elif where == "last_seconds":
            self._travel(end - 2 - back, "to an epoch's last seconds")
        else:
            self._travel(end - 1 + back, "to an epoch's end")

    @rule()
    def travel_one_epoch(self) -> None:
        """Time passes by exactly one epoch length."""
        self._begin("travel_one_epoch")
        self._travel(self._latest() + self.model.pool.clock.length, "exactly one epoch")

    @rule(epochs=st.integers(min_value=2, max_value=40), raw=PICK)
    def travel_many_epochs(self, epochs: int, raw: int) -> None:
        """Time passes by many epochs (and a bit)."""
        self._begin("travel_many_epochs")
        length = self.model.pool.clock.length
        self._travel(self._latest() + epochs * length + raw % length, "many epochs")

    # -------------------------------------------------------------- ESS projects

    @rule(
        who=st.sampled_from(["governance", "ess_member", "anyone"]),
        pick=PICK,
        wallet=st.integers(min_value=-1, max_value=13),
        metadata=st.sampled_from(["ok", "ok", "ok", "no_uri", "no_hash", "long_uri"]),
    )
    def register_project(self, who: str, pick: int, wallet: int, metadata: str) -> None:
        """The timelock, an ESS-structure member, or anyone registers a project."""
        self._begin("register_project")
        m = self.model
        ess_members = [a for a in m.active_members() if m.members[a].kind == 2]
        if who == "governance":
            sender = self.governance
        elif who == "ess_member":
            sender = self._pick(ess_members, pick)
        else:
            sender = self.people[pick % len(self.people)]
        payout = ZERO if wallet < 0 else (PAYOUT_WALLETS + self.people)[wallet]
        uri = {
            "ok": "ipfs://project",
            "no_uri": "",
            "no_hash": "ipfs://x",
            "long_uri": "u" * (MAX_URI_LENGTH + 1),
        }[metadata]
        digest = bytes(32) if metadata == "no_hash" else keccak(text=uri)
        data = calldata("registerProject(address,string,bytes32)", payout, uri, digest)
        if sender != self.governance and sender not in ess_members:
            self._reverts(sender, self.registry, data, "EssProjectRegistryNotEssMember", sender)
        elif payout == ZERO:
            self._reverts(sender, self.registry, data, "EssProjectRegistryZeroWallet")
        elif metadata != "ok":
            self._reverts(
                sender, self.registry, data, "EssProjectRegistryInvalidMetadata", len(uri), MAX_URI_LENGTH
            )
        else:
            self._expect(self._send(sender, self.registry, data))
            # A member's project waits for a vote; governance registering one is that vote.
            m.projects.append(Project(sender, payout, active=sender == self.governance))

    @rule(
        project=PICK,
        by_owner=st.sampled_from([True, True, True, False]),
        person=PERSON,
        wallet=st.integers(min_value=-1, max_value=3),
    )
    def update_project(self, project: int, by_owner: bool, person: int, wallet: int) -> None:
        """A project's owner (or, reverting, someone else) updates it: a new payout wallet bumps
        the wallet version and switches the project off until a vote switches it on again for
        that wallet (earlier fundings and activations name the old version)."""
        self._begin("update_project")
        m = self.model
        project_id = project % (len(m.projects) + 2)
        known = 1 <= project_id <= len(m.projects)
        record = m.projects[project_id - 1] if known else None
        sender = record.owner if by_owner and record is not None else self.people[person]
        payout = ZERO if wallet < 0 else (PAYOUT_WALLETS + self.people)[wallet]
        data = calldata(
            "updateProject(uint256,address,string,bytes32)",
            project_id,
            payout,
            "ipfs://v2",
            keccak(text="v2"),
        )
        ess_member = m.is_active(sender) and m.members[sender].kind == 2
        if record is None:
            self._reverts(sender, self.registry, data, "EssProjectRegistryUnknownProject", project_id)
        elif sender != record.owner:
            self._reverts(sender, self.registry, data, "EssProjectRegistryNotOwner", project_id, sender)
        elif sender != self.governance and not ess_member:
            self._reverts(sender, self.registry, data, "EssProjectRegistryNotEssMember", sender)
        elif payout == ZERO:
            self._reverts(sender, self.registry, data, "EssProjectRegistryZeroWallet")
        else:
            self._expect(self._send(sender, self.registry, data))
            if payout != record.wallet:
                record.wallet, record.version, record.active = payout, record.version + 1, False
                STATS.exercised["payout wallet changed"] += 1

    def _set_project_active(self, project: int, active: bool, as_gov: bool, person: int) -> None:
        """Governance switches a project on (for the wallet version it names: mostly the one on
        record, sometimes an older one) or off."""
        m = self.model
        project_id = project % (len(m.projects) + 2)
        known = 1 <= project_id <= len(m.projects)
        record = m.projects[project_id - 1] if known else None
        current = record.version if record is not None else 0
        version = current if project % 3 else max(current - 1, 0)
        if active:
            data = calldata("activateProject(uint256,uint64)", project_id, version)
        else:
            data = calldata("deactivateProject(uint256)", project_id)
        sender = self._governed(as_gov, person)
        if sender != self.governance:
            self._reverts(sender, self.registry, data, "EssProjectRegistryNotGovernance", sender)
        elif record is None:
            self._reverts(sender, self.registry, data, "EssProjectRegistryUnknownProject", project_id)
        elif active and version != current:
            self._reverts(
                sender, self.registry, data, "EssProjectRegistryWalletChanged", project_id, version, current
            )
            STATS.exercised["activation for an older wallet refused"] += 1
        elif record.active == active:
            self._reverts(
                sender, self.registry, data, "EssProjectRegistryStatusUnchanged", project_id, active
            )
        else:
            self._expect(self._send(sender, self.registry, data))
            record.active = active

    # -------------------------------------------------------------- invariants

    def _read(self) -> dict[str, Any]:
        """Everything the invariants need, in one batched round trip."""
        m = self.model
        calls: list[tuple[str, str, str, list[str]]] = [
            ("balance", self.token, calldata("balanceOf(address)", self.pool), ["uint256"]),
            ("totals", self.pool, calldata("totals()"), ["uint256"] * 11),
            ("ess_available", self.pool, calldata("essAvailable()"), ["uint256"]),
            ("collective_available", self.pool, calldata("collectiveAvailable()"), ["uint256"]),
            ("members_available", self.pool, calldata("membersAvailable()"), ["uint256"]),
            ("shares", self.pool, calldata("shares()"), ["uint16"] * 3),
            ("weights", self.pool, calldata("pointWeights()"), ["uint16"] * 4),
            ("min_fee", self.pool, calldata("minRelationFee()"), ["uint256"]),
            ("steward", self.pool, calldata("steward()"), ["address"]),
            ("epoch", self.pool, calldata("epoch()"), ["uint256"]),
            ("clock", self.pool, calldata("epochClock()"), ["uint256"] * 3),
            ("cap", self.pool, calldata("epochRewardCapBps()"), ["uint256"]),
            ("max_cap", self.pool, calldata("maxEpochRewardCapBps()"), ["uint256"]),
            ("parties_min", self.pool, calldata("partiesMinShareBps()"), ["uint256"]),
            ("active_count", self.membership, calldata("activeMemberCount()"), ["uint256"]),
            ("rules", self.membership, calldata("rules()"), ["uint48", "uint48", "uint16", "uint48"]),
            ("budget", self.pool, calldata("collectiveBudget()"), ["uint256"] * 4),
            ("membership_fee", self.membership, calldata("membershipFee()"), ["uint256"]),
            ("project_count", self.registry, calldata("projectCount()"), ["uint256"]),
        ]
        per_account = [
            ("claimable", self.pool, "claimableOf(address)", ["uint256"]),
            ("points", self.pool, "pointsOf(address)", ["uint256"]),
            ("member_points", self.pool, "memberPoints(address)", ["uint256"] * 4),
            ("votes", self.membership, "getVotes(address)", ["uint256"]),
            ("wallet", self.token, "balanceOf(address)", ["uint256"]),
            (
                "member",
                self.membership,
                "memberOf(address)",
                ["address", "uint48", "uint8", "uint16", "uint48", "uint48"],
            ),
            ("credits", self.membership, "invitationsAvailable(address)", ["uint256", "uint256"]),
            ("attestation", self.membership, "attestationOf(address)", ["address"]),
        ]
        for label, to, signature, types in per_account:
            calls += [(f"{label}:{a}", to, calldata(signature, a), types) for a in self.people]
        # Invitations from everyone who ever joined (nobody else can invite) to everyone.
        calls += [
            (
                f"invitation:{invitee}/{sponsor}",
                self.membership,
                calldata("invitationOf(address,address)", invitee, sponsor),
                ["address", "uint8", "uint48"],
            )
            for sponsor in m.members
            for invitee in self.people
        ]
        calls += [
            (f"wallet:{w}", self.token, calldata("balanceOf(address)", w), ["uint256"])
            for w in PAYOUT_WALLETS
        ]
        calls += [
            (f"project:{i}", self.registry, calldata("payoutOf(uint256)", i), ["address", "bool", "uint64"])
            for i in range(1, len(m.projects) + 1)
        ]
        results = self.node.rpc.batch(
            [("eth_getBlockByNumber", ["latest", False])]
            + [("eth_call", [{"to": to, "data": data}, "latest"]) for _, to, data, _ in calls]
        )
        reading: dict[str, Any] = {"now": int(results[0]["timestamp"], 16)}
        for (label, _, _, types), raw in zip(calls, results[1:], strict=True):
            values = _decode_static(types, raw)
            value = values[0] if len(values) == 1 else tuple(values)
            if ":" in label:
                group, account = label.split(":", 1)
                reading.setdefault(group, {})[account] = value
            else:
                reading[label] = value
        return reading

    @invariant()
    def invariants_hold(self) -> None:
        """Every invariant of DESIGN.md, and the chain against the models."""
        m = self.model
        r = self._read()
        previous, self.previous = self.previous, r
        now = r["now"]
        for receipt in self.unchecked:
            emitted = self.node.events.decode(receipt, self.pool)
            assert emitted == [], f"{self.step}: the pool emitted {emitted}, expected none"
        self.unchecked.clear()
        STATS.exercised["roll-over"] += m.pool.roll_overs - self.roll_overs
        self.roll_overs = m.pool.roll_overs
        STATS.max_epoch = max(STATS.max_epoch, r["epoch"])
        if self.reverted and not self.succeeded:
            assert previous is not None
            assert _timeless(r, previous) == _timeless(previous, r), (
                f"{self.step}: a reverted call changed what is read"
            )
        if self.claimer is not None:
            assert r["claimable"][self.claimer] == 0, f"{self.claimer} can still claim after claiming"

        # The pool's views are the integer model's, at the latest block's time.
        assert r["totals"] == m.pool.totals(now), f"totals {r['totals']} != model {m.pool.totals(now)}"
        assert r["epoch"] == m.pool.epoch(now) and r["clock"] == m.pool.clock.as_tuple()
        assert (r["cap"], r["max_cap"]) == (m.pool.epoch_reward_cap_bps, m.pool.max_epoch_reward_cap_bps)
        assert r["parties_min"] == m.pool.parties_min_share_bps
        assert r["shares"] == m.pool.shares and r["weights"] == m.pool.weights
        assert r["min_fee"] == m.pool.min_relation_fee and r["steward"] == m.steward
        for account in self.people:
            assert r["points"][account] == m.pool.points_of(account), f"points of {account}"
            assert r["member_points"][account] == m.pool.member_points(account, now), (
                f"member points of {account}"
            )
            assert r["claimable"][account] == m.pool.claimable_of(account, now), f"claimable of {account}"
        (total_received, members_received, ess_received, collective_received, rewards_claimed, ess_disbursed,
         collective_spent, matured_points, pending_points, _, epoch) = r["totals"]  # fmt: skip
        balance = r["balance"]
        assert sum(p[0] for p in r["member_points"].values()) == matured_points
        assert sum(p[1] for p in r["member_points"].values()) == pending_points
        assert all(p[2] in (0, epoch) for p in r["member_points"].values()), (
            "pending points of an ended epoch"
        )

        # The buckets hold exactly the pool's balance (apart from tokens sent without a call).
        assert balance == r["members_available"] + r["ess_available"] + r["collective_available"] + m.surplus
        # Every euro in is a euro out or still held.
        assert total_received == rewards_claimed + ess_disbursed + collective_spent + balance - m.surplus
        assert members_received + ess_received + collective_received == total_received
        assert r["ess_available"] == ess_received - ess_disbursed
        assert r["collective_available"] == collective_received - collective_spent

        # Every inflow gives ESS at least the floor (each inflow event is checked as it is
        # booked); only the timelock moves ESS money.
        assert ess_received * BPS >= total_received * m.floor_bps
        if previous is not None:
            (p_received, _, p_ess, *_) = previous["totals"]
            delta, delta_ess = total_received - p_received, ess_received - p_ess
            assert delta_ess * BPS >= delta * m.floor_bps, f"ESS got {delta_ess} of {delta}"
            if ess_disbursed != previous["totals"][5]:
                assert self.step == "fund_ess_project:timelock", f"ESS money moved on {self.step}"
            assert r["ess_available"] >= previous["ess_available"] or self.step == "fund_ess_project:timelock"
            self._check_maturity(r, previous)
        self._observe_accumulator(epoch, r["totals"][9], r["cap"])
        self._check_rewards(r)

        # Token balances: what each wallet paid in or received, to the unit.
        assert balance == m.balances[m.pool_address]
        for account, amount in r["wallet"].items():
            assert amount == m.balances[account], f"token balance of {account}"

        # Membership: one vote per active member past its probation, never more; invitations
        # as sent, accepted, revoked and expired; allowances as they refill.
        assert r["active_count"] == len(m.active_members())
        assert r["rules"] == m.rules.as_tuple() and r["membership_fee"] == m.membership_fee
        for account in self.people:
            votes = r["votes"][account]
            assert votes in (0, 1)
            assert votes == m.votes(account, now), f"votes of {account}"
            record = m.members.get(account)
            if record is None:
                assert r["member"][account] == (ZERO, 0, 0, 0, 0, 0), f"record of {account}"
            else:
                expected = (
                    record.sponsor, record.joined_at, record.kind, record.sent, record.excluded_at,
                    record.votes_from,
                )  # fmt: skip
                assert r["member"][account] == expected, f"record of {account}"
                if record.votes_from > now and not record.excluded:
                    STATS.exercised["member in probation"] += 1
            assert r["credits"][account] == m.credits(account, now), f"invitations available to {account}"
            assert r["attestation"][account] == (m.attester if account in m.attested else ZERO)
        for sponsor in m.members:
            for invitee in self.people:
                kind, expires_at = m.invitations.get((invitee, sponsor), (0, 0))
                invitation = (ZERO if expires_at == 0 else sponsor, kind, expires_at)
                assert r["invitation"][f"{invitee}/{sponsor}"] == invitation, (
                    f"invitation of {invitee} by {sponsor}"
                )
        assert sum(r["votes"].values()) == sum(m.votes(a, now) for a in m.members) <= r["active_count"]

        # The steward's budget.
        assert r["budget"] == m.budget.view(now), f"budget {r['budget']} != model {m.budget.view(now)}"

        # ESS projects: the wallet (and version) on record; a member's project waits for a vote.
        assert r["project_count"] == len(m.projects)
        for i, project in enumerate(m.projects, start=1):
            assert r["project"][str(i)] == (project.wallet, project.active, project.version)

    def _check_maturity(self, r: dict[str, Any], previous: dict[str, Any]) -> None:
        """No inflow reaches points earned in its own epoch: after an inflow, whoever holds no
        matured points can claim exactly what it could before, and nobody gains more than its
        matured points times the accumulator's rise (plus two units of rounding)."""
        if not self.inflow:
            return
        rise = r["totals"][9] - previous["totals"][9]
        for account in self.people:
            gained = r["claimable"][account] - previous["claimable"][account]
            matured = r["member_points"][account][0]
            if matured == 0:
                assert gained == 0, f"{self.step}: {account} holds no matured points but gained {gained}"
                if r["member_points"][account][1]:
                    STATS.exercised["inflow passing over pending points"] += 1
            assert gained <= matured * rise // PRECISION + 2, f"{self.step}: {account} gained {gained}"

    def _observe_accumulator(self, epoch: int, rpp: int, cap: int) -> None:
        """Within an epoch the accumulator rises by at most the reward cap (the highest in force
        during the epoch) from its value when the epoch started, and an inflow raises it to at
        most that value plus the cap in force. Called with each inflow event's accumulator (in
        the epoch of its block) and with each step's reading."""
        if epoch != self.cap_epoch:
            # Nothing was booked in this epoch before: the accumulator last seen is its value
            # when the epoch started.
            self.cap_epoch, self.cap_base, self.cap_highest = epoch, self.rpp_seen, cap
        self.cap_highest = max(self.cap_highest, cap)
        assert rpp - self.cap_base <= self.cap_highest * PRECISION // BPS, (
            f"the accumulator rose by {rpp - self.cap_base} in epoch {epoch}, cap {self.cap_highest} bps"
        )
        if rpp > self.rpp_seen:
            assert rpp <= self.cap_base + cap * PRECISION // BPS, (
                f"{self.step}: above the cap of epoch {epoch}"
            )
            if rpp == self.cap_base + cap * PRECISION // BPS:
                STATS.exercised["epoch reaching its reward cap"] += 1
        assert rpp >= self.rpp_seen, "the accumulator went down"
        self.rpp_seen = rpp

    def _check_rewards(self, r: dict[str, Any]) -> None:
        """Nobody can claim more than accrued; the rounding dust is exact and bounded."""
        m = self.model
        dust_exact = m.distributed_over_ideal
        for account in self.people:
            claimable = r["claimable"][account]
            owed = m.owed(account)
            assert claimable <= owed, f"{account} may claim {claimable} > its entitlement {owed}"
            assert owed - claimable < m.dust_bound(account), f"{account} lost {owed - claimable} to rounding"
            dust_exact += owed - claimable
        dust = r["members_available"] - sum(r["claimable"].values())
        assert dust == dust_exact, f"dust {dust} != the ideal ledger's {dust_exact}"
        assert 0 <= dust <= m.global_dust_bound(), f"dust {dust} > bound {m.global_dust_bound()}"
        assert r["balance"] == (
            sum(r["claimable"].values()) + r["ess_available"] + r["collective_available"] + dust + m.surplus
        )
        STATS.max_dust = max(STATS.max_dust, dust)
        if dust:
            STATS.max_dust_bound_used = max(STATS.max_dust_bound_used, dust / m.global_dust_bound())


def _timeless(reading: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """`reading` without what the clock alone changes: the time, votes (probation ends),
    invitation allowances (they refill) and the budget's view (a period ends), and when the epoch
    differs from `other`'s, the epoch, the point totals and the members' points (pending ones
    mature)."""
    # Votes, invitation allowances and the budget's running period follow the clock second by
    # second: they are checked against the model at every step instead.
    kept = {k: v for k, v in reading.items() if k not in ("now", "votes", "credits", "budget")}
    if reading["epoch"] != other["epoch"]:
        for label in ("epoch", "member_points"):
            kept.pop(label)
        kept["totals"] = reading["totals"][:7] + reading["totals"][9:10]
    return kept


# ---------------------------------------------------------------------- the test


def _prepare(
    system: Deployment, accounts: Any, chain: Any, settings_: NetworkSettings, attester: str
) -> Context:
    """Fund and unlock every actor, make every block one second after the previous one, and
    describe the freshly deployed system as a model."""
    url = chain.provider.web3.provider.endpoint_uri
    contracts = [system.pool, system.membership, system.registry, system.token]
    node = Node(Rpc(url), Errors(contracts), Events(contracts))
    people = [str(accounts[i].address) for i in range(1, 10)] + EXTRA_PEOPLE
    governance = str(system.timelock.address)
    token, pool = str(system.token.address), str(system.pool.address)
    node.rpc.request("anvil_setBlockTimestampInterval", [1])
    for address in [*people, governance, attester]:
        node.rpc.request("anvil_impersonateAccount", [address])
        node.rpc.request("anvil_setBalance", [address, hex(10**24)])
    for address in people:
        node.transact(address, token, calldata("mint(address,uint256)", address, WALLET_FUNDS))
        node.transact(address, token, calldata("approve(address,uint256)", pool, UINT256_MAX))

    # The epoch clock starts when the pool was deployed: the block of its first event.
    first = node.rpc.request(
        "eth_getLogs", [{"address": pool, "fromBlock": hex(system.deployment_block), "toBlock": "latest"}]
    )[0]
    origin = int(node.rpc.request("eth_getBlockByNumber", [first["blockNumber"], False])["timestamp"], 16)
    model = Model(
        governance=governance,
        pool_address=pool,
        floor_bps=settings_.ess_floor_bps,
        steward=people[3],
        rules=Rules(*settings_.membership_rules()),
        budget=Budget(settings_.collective_budget, settings_.collective_budget_period),
        attester=attester,
        pool=PoolModel.from_settings(settings_, origin),
    )
    # The founders, as conftest deploys them: admin (Pilote), member (Abeille), ESS structure;
    # they joined when the membership was deployed.
    for account, kind in zip(people[:3], (0, 1, 2), strict=True):
        joined_at = decode(["address", "uint48"], node.call(system.membership.address, calldata(
            "memberOf(address)", account))[:64])[1]  # fmt: skip
        model.join(account, kind, ZERO, joined_at, founder=True)
    raw = node.call(str(system.membership.address), calldata("isAttester(address)", attester))
    assert decode(["bool"], raw)[0], "the session names the attester"
    for address in [*people, *PAYOUT_WALLETS, pool]:
        raw = node.call(token, calldata("balanceOf(address)", address))
        model.balances[address] = decode(["uint256"], raw)[0]
    return Context(
        node=node, chain=chain, system=system, people=people, base_model=model,
        min_fee_ceiling=settings_.min_relation_fee_ceiling,
    )  # fmt: skip


@pytest.mark.skipif(SEQUENCES <= 0 or STEPS <= 0, reason="CMIR_PROPERTY_SEQUENCES/STEPS set to 0")
def test_pool_invariants_hold_over_random_sequences(
    system: Deployment,
    accounts: Any,
    chain: Any,
    settings: NetworkSettings,
    steward: Any,
    attester: Any,
    request: pytest.FixtureRequest,
) -> None:
    """Random sequences of operations on the deployed system never break an invariant."""
    assert str(system.pool.steward()) == str(accounts[4].address) == str(steward.address)
    if not request.config.pluginmanager.has_plugin("cmir-invariants-summary"):
        request.config.pluginmanager.register(_SummaryPlugin(), "cmir-invariants-summary")
    PoolMachine.CTX = _prepare(system, accounts, chain, settings, str(attester.address))
    started = time.monotonic()
    try:
        # Left alone, Hypothesis ends about one sequence in ten early (it explores the "stop"
        # branch too); `_min_steps` (pinned Hypothesis) makes every sequence run all STEPS steps.
        # A failing sequence still ends at its failing step, and shrinks as usual.
        run_state_machine_as_test(PoolMachine, settings=_hypothesis_settings(), _min_steps=STEPS)
    finally:
        STATS.seconds += time.monotonic() - started
        # Later tests expect the wall clock again.
        PoolMachine.CTX.node.rpc.request("anvil_removeBlockTimestampInterval", [])


def _hypothesis_settings() -> Any:
    """Sizes from the environment; no deadline (each step is a chain round trip)."""
    return hypothesis_settings(
        max_examples=SEQUENCES,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
    )
