"""Property tests: random sequences of operations on the real deployed contracts keep the
invariants of DESIGN.md.

A Hypothesis `RuleBasedStateMachine` drives the session's deployment on anvil through random
sequences of invitations, acceptances, admissions and exclusions, paid relations (members and
non-members, amounts below and above the minimum fee), contributions, membership fees, claims,
collective spending, ESS funding and governed settings (the timelock impersonated: the governance
path itself is tested elsewhere), project registrations, and tokens sent straight to the pool.
A Python model predicts every outcome independently of the contracts: which calls revert and with
which custom error (and arguments), the split of each inflow, everyone's points, member records,
token balances, and each account's exact rational entitlement to the members' bucket. After
every step every invariant is checked against a fresh reading of the chain:

- the pool's token balance equals membersAvailable + essAvailable + collectiveAvailable exactly
  (plus any tokens sent without a call and not yet accounted), and equals the unclaimed member
  rewards (sum of claimableOf) + the undistributed carry + ESS available + collective available
  + a rounding dust that is >= 0 and bounded (bounds derived in `Model.dust_bound` per account
  and `Model.global_dust_bound` in all);
- total received == rewards claimed + ESS disbursed + collective spent + balance (less any
  unaccounted surplus);
- nobody can claim more than accrued: claimableOf never exceeds the model's exact entitlement
  minus what was claimed, and a claim pays exactly what claimableOf showed just before;
- every inflow gives ESS at least the floor (toEss * 10000 >= amount * floorBps);
- only the timelock moves ESS money: essDisbursed changes only on a timelock call, and the same
  call from anyone else reverts;
- activeMemberCount and getVotes match the model, and getVotes is 0 or 1 for everyone;
- a step that reverts changes nothing that is read.

Each Hypothesis example starts from the freshly deployed system (plus funded, approving wallets)
through an anvil snapshot taken in the machine's `__init__` and restored in `teardown`, so a
failing example replays exactly (Hypothesis prints the steps and a reproduction blob).

Sizes: CMIR_PROPERTY_SEQUENCES (default 200) examples of CMIR_PROPERTY_STEPS (default 30) steps.
Views and transactions go through raw JSON-RPC (views in one batch per step) for speed.
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
import requests
from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from cmir.deployment import Deployment, NetworkSettings

SEQUENCES = int(os.environ.get("CMIR_PROPERTY_SEQUENCES", "200"))
STEPS = int(os.environ.get("CMIR_PROPERTY_STEPS", "30"))

EUR = 10**6
BPS = 10_000
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


# ---------------------------------------------------------------------- JSON-RPC and ABI


class RpcError(Exception):
    """A JSON-RPC error answer."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", str(error)))
        self.error = error

    @property
    def revert_data(self) -> str | None:
        """The revert data (0x-hex) carried by an "execution reverted" error, if any."""
        data = self.error.get("data")
        if isinstance(data, dict):
            data = data.get("data")
        return data.lower() if isinstance(data, str) and data.startswith("0x") else None


class RevertedError(Exception):
    """A transaction reverted with revert data `data`."""

    def __init__(self, data: str) -> None:
        super().__init__(data)
        self.data = data


class Rpc:
    """Minimal JSON-RPC client over one HTTP session (much faster than Ape's abstractions)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy look-up in the environment on every request

    def request(self, method: str, params: list[Any]) -> Any:
        """Call `method`; raise RpcError on an error answer."""
        body = self._session.post(
            self._url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=120
        ).json()
        if "error" in body:
            raise RpcError(body["error"])
        return body["result"]

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Several calls in one HTTP round trip; results in order."""
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        body = self._session.post(self._url, json=payload, timeout=120).json()
        by_id = {item["id"]: item for item in body}
        results = []
        for i in range(len(calls)):
            item = by_id[i]
            if "error" in item:
                raise RpcError(item["error"])
            results.append(item["result"])
        return results


def _split_types(inner: str) -> list[str]:
    """Top-level comma-separated ABI types of a signature's argument list."""
    types: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(inner):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            types.append(inner[start:i])
            start = i + 1
    if inner[start:]:
        types.append(inner[start:])
    return types


@cache
def _signature(signature: str) -> tuple[bytes, tuple[str, ...]]:
    """Selector and argument types of `name(type,...)`."""
    inner = signature[signature.index("(") + 1 : -1]
    return keccak(text=signature)[:4], tuple(_split_types(inner))


@cache
def calldata(signature: str, *args: Any) -> str:
    """ABI-encoded call of `signature` with `args`, as 0x-hex (cached: views repeat every step)."""
    selector, types = _signature(signature)
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
        _, types = _signature(signature)
        args = decode(list(types), bytes.fromhex(data[10:]))
        return f"{signature.split('(')[0]}{tuple(args)}"


class Node:
    """Transactions (from unlocked or impersonated accounts) and views on anvil."""

    def __init__(self, rpc: Rpc, errors: Errors) -> None:
        self.rpc = rpc
        self.errors = errors

    def transact(self, sender: str, to: str, data: str) -> dict[str, Any]:
        """Send and mine a transaction; return its receipt, or raise RevertedError if it reverted.

        A reverting transaction is really mined (status 0, like one sent from a wallet); its
        revert data comes from replaying it as a call on the state just before its block (every
        block holds one transaction here). The gas limit is fixed, not estimated: an estimate made
        in one second can fall short in the next block when a membership checkpoint then needs
        a new storage slot instead of updating the current second's.
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
            return receipt
        parent = hex(int(receipt["blockNumber"], 16) - 1)
        try:
            self.rpc.request("eth_call", [tx, parent])
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
    """What the model knows of a member."""

    sponsor: str
    kind: int
    sent: int = 0
    excluded: bool = False


@dataclass
class Project:
    """What the model knows of an ESS project."""

    owner: str
    wallet: str
    active: bool = True


@dataclass
class Model:
    """Expected state of the whole system, computed without the contracts' code.

    Rewards are modelled exactly with rationals: each distribution gives every points holder
    `pending * points / totalPoints`. The contract's integer accumulator can only round down
    from that (floors in the accumulator increase, in each settlement, and in the claimableOf
    view), so for each account  0 <= entitlement - claimed - claimableOf < bound, see `dust_bound`.
    """

    governance: str
    pool: str
    floor_bps: int
    shares: tuple[int, int, int]
    weights: tuple[int, int, int, int]
    min_fee: int
    steward: str
    allowance: int
    membership_fee: int = 0
    members: dict[str, MemberRecord] = field(default_factory=dict)
    invitations: dict[str, tuple[str, int]] = field(default_factory=dict)
    projects: list[Project] = field(default_factory=list)
    balances: Counter[str] = field(default_factory=Counter)
    # Pool accounting.
    total_received: int = 0
    ess_received: int = 0
    collective_received: int = 0
    rewards_claimed: int = 0
    ess_disbursed: int = 0
    collective_spent: int = 0
    undistributed: int = 0
    surplus: int = 0
    points: Counter[str] = field(default_factory=Counter)
    total_points: int = 0
    entitlement: dict[str, Fraction] = field(default_factory=dict)
    claimed: Counter[str] = field(default_factory=Counter)
    settlements: Counter[str] = field(default_factory=Counter)
    accumulator_loss: dict[str, Fraction] = field(default_factory=dict)
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

    def active_sponsor(self, account: str) -> str:
        """The account's sponsor if it is an active member, else the zero address."""
        sponsor = self.members[account].sponsor if account in self.members else ZERO
        return sponsor if sponsor != ZERO and self.is_active(sponsor) else ZERO

    def join(self, account: str, kind: int, sponsor: str) -> None:
        """A new member."""
        self.members[account] = MemberRecord(sponsor, kind)

    # -------------------------------------------------------------- pool

    def transfer(self, source: str, target: str, amount: int) -> None:
        """Tokens move between wallets (the pool is one)."""
        assert self.balances[source] >= amount, "model: a wallet would go negative"
        self.balances[source] -= amount
        self.balances[target] += amount

    def settle(self, account: str) -> None:
        """The contract settles `account`: one more rounding (floor) when it holds points."""
        if self.points[account] > 0:
            self.settlements[account] += 1

    def award(self, account: str, amount: int, weight_bps: int) -> int:
        """Points for a relation of `amount` at `weight_bps`."""
        points = amount * weight_bps // BPS
        if points:
            self.settle(account)
            self.points[account] += points
            self.total_points += points
        return points

    def split(self, amount: int) -> tuple[int, int, int]:
        """(members, ess, collective): ESS rounded up, collective down, members the rest."""
        _, ess_bps, collective_bps = self.shares
        to_ess = -(-amount * ess_bps // BPS)
        to_collective = amount * collective_bps // BPS
        return amount - to_ess - to_collective, to_ess, to_collective

    def inflow(self, payer: str, amount: int) -> None:
        """Book an inflow of `amount` paid by `payer` (points, if any, already awarded)."""
        to_members, to_ess, to_collective = self.split(amount)
        assert to_ess * BPS >= amount * self.floor_bps
        self.total_received += amount
        self.ess_received += to_ess
        self.collective_received += to_collective
        self.inflows += 1
        pending = to_members + self.undistributed
        if self.total_points == 0:
            self.undistributed = pending
        else:
            # Below 1e27 points (about 1e21 euros of relations) the contract carries no rounding.
            assert self.total_points < PRECISION
            for account, points in self.points.items():
                if points:
                    share = Fraction(pending * points, self.total_points)
                    self.entitlement[account] = self.entitlement.get(account, Fraction(0)) + share
                    loss = Fraction(points, PRECISION)
                    self.accumulator_loss[account] = self.accumulator_loss.get(account, Fraction(0)) + loss
            self.undistributed = 0
            self.distributions += 1
        if payer:
            self.transfer(payer, self.pool, amount)

    def owed(self, account: str) -> Fraction:
        """Exact entitlement not yet claimed."""
        return self.entitlement.get(account, Fraction(0)) - self.claimed[account]

    def dust_bound(self, account: str) -> Fraction:
        """Strict upper bound of `owed(account) - claimableOf(account)`.

        Each distribution's accumulator increase is floor(pending * 1e27 / totalPoints): the
        account loses less than points / 1e27 of a unit (summed in `accumulator_loss`); each
        settlement while holding points floors once (< 1 unit); the claimableOf view floors the
        part not yet settled (< 1 unit).
        """
        return self.settlements[account] + 1 + self.accumulator_loss.get(account, Fraction(0))

    def global_dust_bound(self) -> int:
        """Bound of the total dust: settlements + holders of points (view floors) + distributions
        (all holders together lose less than totalPoints / 1e27 < 1 unit per distribution)."""
        holders = sum(1 for a in self.entitlement if self.entitlement[a] or self.points[a])
        return sum(self.settlements.values()) + holders + self.distributions


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
    max_members: int = 0
    max_inflows: int = 0
    lengths: Counter[int] = field(default_factory=Counter)
    inflows: int = 0
    members: int = 0


STATS = Stats()


class _SummaryPlugin:
    """Writes the run's statistics at the end of the pytest session."""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print how many sequences and steps actually ran."""
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
            f"{s.members / s.sequences:.1f} members at the end (max {s.max_members})"
        )
        terminalreporter.write_line(
            f"largest rounding dust {s.max_dust} units (at most {s.max_dust_bound_used:.0%} of its bound)"
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
        self.claimer: str | None = None
        self.steps_run = 0
        STATS.sequences += 1

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
        self.reverted = self.succeeded = False
        self.claimer = None

    def _pick(self, items: Sequence[str], index: int) -> str:
        return items[index % len(items)] if items else self.people[index % len(self.people)]

    def _send(self, sender: str, to: str, data: str) -> dict[str, Any]:
        """A transaction the model expects to succeed."""
        try:
            receipt = self.node.transact(sender, to, data)
        except RevertedError as reverted:
            raise AssertionError(
                f"{self.step}: unexpected revert {self.errors.describe(reverted.data)}"
            ) from None
        self.succeeded = True
        return receipt

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

    # -------------------------------------------------------------- membership

    @rule(
        sponsor=PICK,
        invitee=PICK,
        kind=KINDS,
        anyone=st.sampled_from([False, False, False, True]),
        accept_now=st.booleans(),
    )
    def invite(self, sponsor: int, invitee: int, kind: int, anyone: bool, accept_now: bool) -> None:
        """An active member invites a non-member (or anyone invites anyone); the invitee may
        accept at once."""
        self._begin("invite")
        m = self.model
        if anyone:
            sender, target = self.people[sponsor % len(self.people)], self.people[invitee % len(self.people)]
        else:
            sender = self._pick(m.active_members(), sponsor)
            target = self._pick(
                [a for a in self.people if a not in m.members and a not in m.invitations], invitee
            )
        data = calldata("invite(address,uint8)", target, kind)
        if not m.is_active(sender):
            self._reverts(sender, self.membership, data, "MembershipNotActiveMember", sender)
        elif target in m.members:
            self._reverts(sender, self.membership, data, "MembershipAlreadyMember", target)
        elif target in m.invitations:
            self._reverts(
                sender, self.membership, data, "MembershipAlreadyInvited", target, m.invitations[target][0]
            )
        elif m.members[sender].sent >= m.allowance:
            self._reverts(
                sender, self.membership, data, "MembershipInvitationAllowanceExhausted", sender, m.allowance
            )
        else:
            self._send(sender, self.membership, data)
            m.members[sender].sent += 1
            m.invitations[target] = (sender, kind)
            if accept_now:
                self._accept(target)

    def _accept(self, account: str) -> None:
        m = self.model
        data = calldata("acceptInvitation()")
        if account not in m.invitations:
            self._reverts(account, self.membership, data, "MembershipNoInvitation", account)
            return
        sponsor, kind = m.invitations[account]
        if not m.is_active(sponsor):
            self._reverts(account, self.membership, data, "MembershipSponsorNotActive", sponsor)
            return
        self._send(account, self.membership, data)
        del m.invitations[account]
        m.join(account, kind, sponsor)
        if m.membership_fee:
            m.inflow(account, m.membership_fee)

    @rule(
        who=PICK,
        action=st.sampled_from(["accept", "accept", "accept", "accept_anyone", "revoke", "revoke_anyone"]),
        person=PERSON,
    )
    def answer_invitation(self, who: int, action: str, person: int) -> None:
        """An invitee accepts (paying the membership fee, if any), or its sponsor withdraws the
        invitation; either from someone without an invitation reverts."""
        self._begin("answer_invitation")
        m = self.model
        invitee = self._pick(list(m.invitations), who)
        if action == "accept":
            self._accept(invitee)
            return
        if action == "accept_anyone":
            self._accept(self.people[person])
            return
        sender = (
            self.people[person] if action == "revoke_anyone" else m.invitations.get(invitee, (invitee, 0))[0]
        )
        data = calldata("revokeInvitation(address)", invitee)
        if m.invitations.get(invitee, (ZERO, 0))[0] != sender:
            self._reverts(sender, self.membership, data, "MembershipNoInvitation", invitee)
            return
        self._send(sender, self.membership, data)
        del m.invitations[invitee]
        m.members[sender].sent -= 1

    @rule(account=PERSON, kind=KINDS, sponsor=st.integers(min_value=-1, max_value=11), as_gov=AS_GOVERNANCE)
    def admit(self, account: int, kind: int, sponsor: int, as_gov: bool) -> None:
        """Governance admits someone, with or without a sponsor."""
        self._begin("admit")
        m = self.model
        sender = self._governed(as_gov, account)
        target = self.people[account]
        sponsor_address = ZERO if sponsor < 0 else self.people[sponsor]
        data = calldata("admit(address,uint8,address)", target, kind, sponsor_address)
        if sender != self.governance:
            self._reverts(sender, self.membership, data, "MembershipNotGovernance", sender)
        elif sponsor_address != ZERO and not m.is_active(sponsor_address):
            self._reverts(sender, self.membership, data, "MembershipSponsorNotActive", sponsor_address)
        elif target in m.members:
            self._reverts(sender, self.membership, data, "MembershipAlreadyMember", target)
        else:
            self._send(sender, self.membership, data)
            if target in m.invitations:
                inviter, _ = m.invitations.pop(target)
                m.members[inviter].sent -= 1
            m.join(target, kind, sponsor_address)

    @rule(who=PICK, any_account=st.sampled_from([False, False, False, True]), as_gov=AS_GOVERNANCE)
    def exclude_member(self, who: int, any_account: bool, as_gov: bool) -> None:
        """Governance excludes a member: votes end, points stop earning, accrued rewards stay."""
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
            self._send(sender, self.membership, data)
            m.members[target].excluded = True
            m.settle(target)
            m.total_points -= m.points[target]
            m.points[target] = 0

    def _set_invitation_allowance(self, allowance: int, as_gov: bool, person: int) -> None:
        """Governance sets how many invitations each member may send."""
        sender = self._governed(as_gov, person)
        data = calldata("setInvitationAllowance(uint16)", allowance)
        if sender != self.governance:
            self._reverts(sender, self.membership, data, "MembershipNotGovernance", sender)
            return
        self._send(sender, self.membership, data)
        self.model.allowance = allowance

    def _set_membership_fee(self, fee: int, as_gov: bool, person: int) -> None:
        """Governance sets the fee an invitee pays into the pool on accepting."""
        sender = self._governed(as_gov, person)
        data = calldata("setMembershipFee(uint256)", fee)
        if sender != self.governance:
            self._reverts(sender, self.membership, data, "MembershipNotGovernance", sender)
            return
        self._send(sender, self.membership, data)
        self.model.membership_fee = fee

    # -------------------------------------------------------------- inflows

    def _pay_relation(self, payer: str, counterparty: str, amount: int) -> None:
        m = self.model
        data = calldata("payRelation(address,uint256,bytes32)", counterparty, amount, keccak(text="meeting"))
        if amount == 0:
            self._reverts(payer, self.pool, data, "RedistributionZeroAmount")
        elif amount < m.min_fee:
            self._reverts(payer, self.pool, data, "RedistributionFeeBelowMinimum", amount, m.min_fee)
        elif payer == counterparty:
            self._reverts(payer, self.pool, data, "RedistributionSelfRelation", payer)
        elif not m.is_active(payer):
            self._reverts(payer, self.pool, data, "RedistributionNotActiveMember", payer)
        elif not m.is_active(counterparty):
            self._reverts(payer, self.pool, data, "RedistributionNotActiveMember", counterparty)
        else:
            self._send(payer, self.pool, data)
            payer_sponsor, counterparty_sponsor = m.active_sponsor(payer), m.active_sponsor(counterparty)
            w_payer, w_counterparty, w_payer_sponsor, w_counterparty_sponsor = m.weights
            m.award(payer, amount, w_payer)
            m.award(counterparty, amount, w_counterparty)
            if payer_sponsor != ZERO:
                m.award(payer_sponsor, amount, w_payer_sponsor)
            if counterparty_sponsor != ZERO:
                m.award(counterparty_sponsor, amount, w_counterparty_sponsor)
            m.inflow(payer, amount)

    def _pay_between_members(self, payer: int, counterparty: int, extra: int) -> None:
        active = self.model.active_members()
        first = payer % len(active) if active else 0
        # A different member when there are two or more (self-relations are tried by `pay_relation`).
        second = (first + 1 + counterparty % (len(active) - 1)) % len(active) if len(active) > 1 else first
        self._pay_relation(self._pick(active, first), self._pick(active, second), self.model.min_fee + extra)

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
        m = self.model
        sender = self.people[who]
        data = calldata("contribute(uint256,string)", amount, "m" * memo)
        if amount == 0:
            self._reverts(sender, self.pool, data, "RedistributionZeroAmount")
        elif memo > MAX_MEMO_LENGTH:
            self._reverts(sender, self.pool, data, "RedistributionMemoTooLong", memo, MAX_MEMO_LENGTH)
        else:
            self._send(sender, self.pool, data)
            m.inflow(sender, amount)

    @rule(who=PERSON, amount=AMOUNTS, book=st.booleans())
    def tokens_sent_directly(self, who: int, amount: int, book: bool) -> None:
        """Someone transfers tokens to the pool without calling it (an unaccounted surplus), or
        anyone books such a surplus as an inflow (reverts when there is none)."""
        self._begin("tokens_sent_directly:" + ("book" if book else "send"))
        m = self.model
        sender = self.people[who]
        if not book:
            self._send(sender, self.token, calldata("transfer(address,uint256)", self.pool, amount))
            m.transfer(sender, self.pool, amount)
            m.surplus += amount
            return
        data = calldata("accountSurplus()")
        if m.surplus == 0:
            self._reverts(sender, self.pool, data, "RedistributionNoSurplus")
            return
        self._send(sender, self.pool, data)
        amount, m.surplus = m.surplus, 0
        m.inflow("", amount)

    # -------------------------------------------------------------- outflows

    def _claim(self, account: str) -> None:
        assert self.previous is not None
        shown = self.previous["claimable"][account]
        assert shown <= self.model.owed(account), (
            f"{account} could claim {shown} > {self.model.owed(account)}"
        )
        data = calldata("claim()")
        if shown == 0:
            self._reverts(account, self.pool, data, "RedistributionNothingToClaim", account)
            return
        self._send(account, self.pool, data)
        m = self.model
        m.settle(account)
        m.claimed[account] += shown
        m.rewards_claimed += shown
        # The invariant then checks the claimer's balance rose by exactly `shown` and that
        # claimableOf is now 0.
        m.transfer(self.pool, account, shown)
        self.claimer = account

    @rule(who=PICK, holder=st.sampled_from([True, True, True, False]))
    def claim(self, who: int, holder: bool) -> None:
        """Someone with rewards (or anyone: reverting when nothing is due) claims."""
        self._begin("claim")
        assert self.previous is not None
        holders = [a for a, amount in self.previous["claimable"].items() if amount > 0]
        self._claim(self._pick(holders, who) if holder else self.people[who % len(self.people)])

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
        """The steward (or someone else) spends the collective fund."""
        self._begin("spend_collective")
        m = self.model
        sender = m.steward if by_steward else self.people[person]
        to = ZERO if recipient < 0 else (self.people + PAYOUT_WALLETS)[recipient]
        available = m.collective_received - m.collective_spent
        amount = _take(*take, available)
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
            self._send(sender, self.pool, data)
            m.collective_spent += amount
            m.transfer(self.pool, to, amount)

    @rule(as_gov=AS_GOVERNANCE, person=PERSON, project=PICK, take=BUCKET_TAKE)
    def fund_ess_project(self, as_gov: bool, person: int, project: int, take: tuple[str, int]) -> None:
        """The timelock (or, reverting, a member or the steward) funds an ESS project."""
        self._begin("fund_ess_project")
        m = self.model
        sender = self._governed(as_gov, person)
        project_id = project % (len(m.projects) + 2)  # 0 and count + 1 are unknown ids
        available = m.ess_received - m.ess_disbursed
        amount = _take(*take, available)
        data = calldata("fundEssProject(uint256,uint256)", project_id, amount)
        known = 1 <= project_id <= len(m.projects)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif amount == 0:
            self._reverts(sender, self.pool, data, "RedistributionZeroAmount")
        elif not known:
            self._reverts(sender, self.pool, data, "RedistributionUnknownProject", project_id)
        elif not m.projects[project_id - 1].active:
            self._reverts(sender, self.pool, data, "RedistributionProjectInactive", project_id)
        elif amount > available:
            self._reverts(sender, self.pool, data, "RedistributionInsufficientFunds", amount, available)
        else:
            self._send(sender, self.pool, data)
            self.step = "fund_ess_project:timelock"
            m.ess_disbursed += amount
            m.transfer(self.pool, m.projects[project_id - 1].wallet, amount)

    # -------------------------------------------------------------- governed settings

    @rule(
        mode=st.sampled_from(["valid", "valid", "floor", "below_floor", "bad_sum"]),
        a=st.integers(min_value=0, max_value=BPS),
        b=st.integers(min_value=0, max_value=BPS),
        as_gov=AS_GOVERNANCE,
        person=PERSON,
    )
    def set_shares(self, mode: str, a: int, b: int, as_gov: bool, person: int) -> None:
        """Governance changes the shares: valid, exactly the floor, below it, or not summing up."""
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
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif sum(shares) != BPS:
            self._reverts(sender, self.pool, data, "RedistributionSharesInvalidSum", sum(shares))
        elif ess < floor:
            self._reverts(sender, self.pool, data, "RedistributionEssShareBelowFloor", ess, floor)
        else:
            self._send(sender, self.pool, data)
            m.shares = shares

    @rule(
        weights=st.tuples(*[st.sampled_from([0, 0, 1, 1500, 2000, 5000, BPS]) for _ in range(4)]),
        as_gov=AS_GOVERNANCE,
        person=PERSON,
    )
    def set_point_weights(self, weights: tuple[int, int, int, int], as_gov: bool, person: int) -> None:
        """Governance changes the points weights (all zero is refused)."""
        self._begin("set_point_weights")
        data = calldata("setPointWeights((uint16,uint16,uint16,uint16))", weights)
        sender = self._governed(as_gov, person)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif not any(weights):
            self._reverts(sender, self.pool, data, "RedistributionWeightsAllZero")
        else:
            self._send(sender, self.pool, data)
            self.model.weights = weights

    def _set_min_relation_fee(self, fee: int, as_gov: bool, person: int) -> None:
        """Governance changes the minimum relation fee."""
        data = calldata("setMinRelationFee(uint256)", fee)
        sender = self._governed(as_gov, person)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
            return
        self._send(sender, self.pool, data)
        self.model.min_fee = fee

    def _set_steward(self, new: int, as_gov: bool, person: int) -> None:
        """Governance names a steward of the collective fund (the zero address is refused)."""
        steward = ZERO if new < 0 else self.people[new]
        data = calldata("setSteward(address)", steward)
        sender = self._governed(as_gov, person)
        if sender != self.governance:
            self._reverts(sender, self.pool, data, "RedistributionNotGovernance", sender)
        elif steward == ZERO:
            self._reverts(sender, self.pool, data, "RedistributionZeroAddress")
        else:
            self._send(sender, self.pool, data)
            self.model.steward = steward

    @rule(
        which=st.sampled_from(
            ["min_relation_fee", "membership_fee", "steward", "invitation_allowance", "project"]
        ),
        value=PICK,
        flag=st.booleans(),
        as_gov=AS_GOVERNANCE,
        person=PERSON,
    )
    def governance_setting(self, which: str, value: int, flag: bool, as_gov: bool, person: int) -> None:
        """The timelock (or, reverting, someone else) changes a setting: the minimum relation fee,
        the membership fee, the steward, the invitation allowance, or a project's status."""
        self._begin(f"governance_setting:{which}")
        if which == "min_relation_fee":
            self._set_min_relation_fee([0, 1, 3, 10_000, 3 * EUR, 10 * EUR][value % 6], as_gov, person)
        elif which == "membership_fee":
            self._set_membership_fee([0, 0, 1, 3, 5 * EUR, 10 * EUR + 7][value % 6], as_gov, person)
        elif which == "steward":
            self._set_steward(value % (len(self.people) + 1) - 1, as_gov, person)
        elif which == "invitation_allowance":
            self._set_invitation_allowance([0, 1, 2, 10][value % 4], as_gov, person)
        else:
            self._set_project_active(value, flag, as_gov, person)

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
            self._send(sender, self.registry, data)
            m.projects.append(Project(sender, payout))

    def _set_project_active(self, project: int, active: bool, as_gov: bool, person: int) -> None:
        """Governance switches a project on or off."""
        m = self.model
        project_id = project % (len(m.projects) + 2)
        data = calldata("setProjectActive(uint256,bool)", project_id, active)
        sender = self._governed(as_gov, person)
        if sender != self.governance:
            self._reverts(sender, self.registry, data, "EssProjectRegistryNotGovernance", sender)
        elif not 1 <= project_id <= len(m.projects):
            self._reverts(sender, self.registry, data, "EssProjectRegistryUnknownProject", project_id)
        elif m.projects[project_id - 1].active == active:
            self._reverts(
                sender, self.registry, data, "EssProjectRegistryStatusUnchanged", project_id, active
            )
        else:
            self._send(sender, self.registry, data)
            m.projects[project_id - 1].active = active

    # -------------------------------------------------------------- invariants

    def _read(self) -> dict[str, Any]:
        """Everything the invariants need, in one batched round trip."""
        m = self.model
        calls: list[tuple[str, str, str, list[str]]] = [
            ("balance", self.token, calldata("balanceOf(address)", self.pool), ["uint256"]),
            ("totals", self.pool, calldata("totals()"), ["uint256"] * 10),
            ("ess_available", self.pool, calldata("essAvailable()"), ["uint256"]),
            ("collective_available", self.pool, calldata("collectiveAvailable()"), ["uint256"]),
            ("members_available", self.pool, calldata("membersAvailable()"), ["uint256"]),
            ("shares", self.pool, calldata("shares()"), ["uint16"] * 3),
            ("weights", self.pool, calldata("pointWeights()"), ["uint16"] * 4),
            ("min_fee", self.pool, calldata("minRelationFee()"), ["uint256"]),
            ("steward", self.pool, calldata("steward()"), ["address"]),
            ("active_count", self.membership, calldata("activeMemberCount()"), ["uint256"]),
            ("allowance", self.membership, calldata("invitationAllowance()"), ["uint16"]),
            ("membership_fee", self.membership, calldata("membershipFee()"), ["uint256"]),
            ("project_count", self.registry, calldata("projectCount()"), ["uint256"]),
        ]
        per_account = [
            ("claimable", self.pool, "claimableOf(address)", ["uint256"]),
            ("points", self.pool, "pointsOf(address)", ["uint256"]),
            ("votes", self.membership, "getVotes(address)", ["uint256"]),
            ("wallet", self.token, "balanceOf(address)", ["uint256"]),
            (
                "member",
                self.membership,
                "memberOf(address)",
                ["address", "uint48", "uint8", "uint16", "uint48"],
            ),
            ("invitation", self.membership, "invitationOf(address)", ["address", "uint8"]),
        ]
        for label, to, signature, types in per_account:
            calls += [(f"{label}:{a}", to, calldata(signature, a), types) for a in self.people]
        calls += [
            (f"wallet:{w}", self.token, calldata("balanceOf(address)", w), ["uint256"])
            for w in PAYOUT_WALLETS
        ]
        calls += [
            (f"project:{i}", self.registry, calldata("payoutOf(uint256)", i), ["address", "bool"])
            for i in range(1, len(m.projects) + 1)
        ]
        results = self.node.rpc.batch(
            [("eth_call", [{"to": to, "data": data}, "latest"]) for _, to, data, _ in calls]
        )
        reading: dict[str, Any] = {}
        for (label, _, _, types), raw in zip(calls, results, strict=True):
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
        """Every invariant of DESIGN.md, and the chain against the model."""
        m = self.model
        r = self._read()
        previous, self.previous = self.previous, r
        if self.reverted and not self.succeeded:
            assert previous is not None
            assert r == previous, f"{self.step}: a reverted call changed what is read"
        if self.claimer is not None:
            assert r["claimable"][self.claimer] == 0, f"{self.claimer} can still claim after claiming"

        (total_received, members_received, ess_received, collective_received, rewards_claimed, ess_disbursed,
         collective_spent, undistributed, total_points, _) = r["totals"]  # fmt: skip
        balance = r["balance"]

        # The buckets hold exactly the pool's balance (apart from tokens sent without a call).
        assert balance == r["members_available"] + r["ess_available"] + r["collective_available"] + m.surplus
        # Every euro in is a euro out or still held.
        assert total_received == rewards_claimed + ess_disbursed + collective_spent + balance - m.surplus
        assert members_received + ess_received + collective_received == total_received
        assert r["ess_available"] == ess_received - ess_disbursed
        assert r["collective_available"] == collective_received - collective_spent

        # The pool's totals are the model's.
        assert (total_received, ess_received, collective_received) == (
            m.total_received, m.ess_received, m.collective_received,
        )  # fmt: skip
        assert (rewards_claimed, ess_disbursed, collective_spent) == (
            m.rewards_claimed, m.ess_disbursed, m.collective_spent,
        )  # fmt: skip
        assert undistributed == m.undistributed
        assert total_points == m.total_points
        assert r["shares"] == m.shares and r["weights"] == m.weights and r["min_fee"] == m.min_fee
        assert r["steward"] == m.steward

        # Every inflow gives ESS at least the floor; only the timelock moves ESS money.
        if previous is not None:
            (p_received, _, p_ess, *_) = previous["totals"]
            delta, delta_ess = total_received - p_received, ess_received - p_ess
            assert delta_ess * BPS >= delta * m.floor_bps, f"ESS got {delta_ess} of {delta}"
            if ess_disbursed != previous["totals"][5]:
                assert self.step == "fund_ess_project:timelock", f"ESS money moved on {self.step}"
            assert r["ess_available"] >= previous["ess_available"] or self.step == "fund_ess_project:timelock"
        assert ess_received * BPS >= total_received * m.floor_bps

        # Rewards: nobody can claim more than accrued, and the rounding dust is bounded.
        dust_exact = Fraction(0)
        for account in self.people:
            claimable = r["claimable"][account]
            assert r["points"][account] == m.points[account], f"points of {account}"
            owed = m.owed(account)
            assert claimable <= owed, f"{account} may claim {claimable} > its entitlement {owed}"
            assert owed - claimable < m.dust_bound(account), f"{account} lost {owed - claimable} to rounding"
            dust_exact += owed - claimable
        dust = r["members_available"] - undistributed - sum(r["claimable"].values())
        assert dust == dust_exact
        assert 0 <= dust <= m.global_dust_bound(), f"dust {dust} > bound {m.global_dust_bound()}"
        assert balance == (
            sum(r["claimable"].values())
            + undistributed
            + r["ess_available"]
            + r["collective_available"]
            + dust
            + m.surplus
        )
        STATS.max_dust = max(STATS.max_dust, dust)
        if dust:
            STATS.max_dust_bound_used = max(STATS.max_dust_bound_used, dust / m.global_dust_bound())

        # Token balances: what each wallet paid in or received, to the unit.
        assert balance == m.balances[self.pool]
        for account, amount in r["wallet"].items():
            assert amount == m.balances[account], f"token balance of {account}"

        # Membership: one vote per active member, never more.
        assert r["active_count"] == len(m.active_members())
        assert r["allowance"] == m.allowance and r["membership_fee"] == m.membership_fee
        for account in self.people:
            votes = r["votes"][account]
            assert votes in (0, 1)
            assert votes == (1 if m.is_active(account) else 0), f"votes of {account}"
            sponsor, joined_at, kind, sent, excluded_at = r["member"][account]
            record = m.members.get(account)
            if record is None:
                assert joined_at == 0
            else:
                assert joined_at != 0 and (excluded_at != 0) == record.excluded
                assert (sponsor, kind, sent) == (record.sponsor, record.kind, record.sent), (
                    f"record of {account}"
                )
            assert r["invitation"][account] == m.invitations.get(account, (ZERO, 0))
        assert sum(r["votes"].values()) == r["active_count"]

        # ESS projects.
        assert r["project_count"] == len(m.projects)
        for i, project in enumerate(m.projects, start=1):
            assert r["project"][str(i)] == (project.wallet, project.active)


# ---------------------------------------------------------------------- the test


def _prepare(system: Deployment, accounts: Any, chain: Any, settings_: NetworkSettings) -> Context:
    """Fund and unlock every actor, and describe the freshly deployed system as a model."""
    url = chain.provider.web3.provider.endpoint_uri
    errors = Errors([system.pool, system.membership, system.registry, system.token])
    node = Node(Rpc(url), errors)
    people = [str(accounts[i].address) for i in range(1, 10)] + EXTRA_PEOPLE
    governance = str(system.timelock.address)
    token, pool = str(system.token.address), str(system.pool.address)
    for address in [*people, governance]:
        node.rpc.request("anvil_impersonateAccount", [address])
        node.rpc.request("anvil_setBalance", [address, hex(10**24)])
    for address in people:
        node.transact(address, token, calldata("mint(address,uint256)", address, WALLET_FUNDS))
        node.transact(address, token, calldata("approve(address,uint256)", pool, UINT256_MAX))

    model = Model(
        governance=governance,
        pool=pool,
        floor_bps=settings_.ess_floor_bps,
        shares=settings_.shares.as_tuple(),
        weights=settings_.weights.as_tuple(),
        min_fee=settings_.min_relation_fee,
        steward=people[3],
        allowance=settings_.invitation_allowance,
    )
    # The founders, as conftest deploys them: admin (Pilote), member (Abeille), ESS structure.
    for account, kind in zip(people[:3], (0, 1, 2), strict=True):
        model.join(account, kind, ZERO)
    for address in [*people, *PAYOUT_WALLETS, pool]:
        raw = node.call(token, calldata("balanceOf(address)", address))
        model.balances[address] = decode(["uint256"], raw)[0]
    return Context(node=node, chain=chain, system=system, people=people, base_model=model)


@pytest.mark.skipif(SEQUENCES <= 0 or STEPS <= 0, reason="CMIR_PROPERTY_SEQUENCES/STEPS set to 0")
def test_pool_invariants_hold_over_random_sequences(
    system: Deployment,
    accounts: Any,
    chain: Any,
    settings: NetworkSettings,
    steward: Any,
    request: pytest.FixtureRequest,
) -> None:
    """Random sequences of operations on the deployed system never break an invariant."""
    assert str(system.pool.steward()) == str(accounts[4].address) == str(steward.address)
    if not request.config.pluginmanager.has_plugin("cmir-invariants-summary"):
        request.config.pluginmanager.register(_SummaryPlugin(), "cmir-invariants-summary")
    PoolMachine.CTX = _prepare(system, accounts, chain, settings)
    started = time.monotonic()
    try:
        # Left alone, Hypothesis ends about one sequence in ten early (it explores the "stop"
        # branch too); `_min_steps` (pinned Hypothesis) makes every sequence run all STEPS steps.
        # A failing sequence still ends at its failing step, and shrinks as usual.
        run_state_machine_as_test(PoolMachine, settings=_hypothesis_settings(), _min_steps=STEPS)
    finally:
        STATS.seconds += time.monotonic() - started


def _hypothesis_settings() -> Any:
    """Sizes from the environment; no deadline (each step is a chain round trip)."""
    return hypothesis_settings(
        max_examples=SEQUENCES,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
    )
