"""The auditor's ledger: every flow recomputed from the pool's raw events, the reward accumulator
replayed from scratch, and the conservation identities checked against the contracts' views at
one block.

The replay follows the pool's published rules (RewardMath: ESS part rounded up, collective
rounded down, members the remainder; points = amount x weight / 10,000; the accumulator spreads
the members' part plus the carried remainder over all points at 1e27 precision), so a wrong
event, a wrong total or a wrong claim shows up as a difference.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from cmir.audit.chain import AuditError, Contract, Event, Rpc, fetch_logs

BPS = 10_000
PRECISION = 10**27
INFLOW_EVENTS = {
    "RelationPaid": "relation",
    "Contributed": "contribution",
    "MembershipFeeReceived": "membership_fee",
    "SurplusAccounted": "surplus",
}
OUTFLOW_EVENTS = {
    "RewardsClaimed": ("claim", "members"),
    "EssProjectFunded": ("ess_funding", "ess"),
    "CollectiveSpent": ("collective_spend", "collective"),
}
INFLOW_SOURCE = {
    "RelationPaid": "payer",
    "Contributed": "contributor",
    "MembershipFeeReceived": "member",
    "SurplusAccounted": "caller",
}
ROLES = ("pool", "membership", "registry", "governor", "timelock", "token")


def ceil_div(a: int, b: int) -> int:
    """⌈a / b⌉ for non-negative integers."""
    return -(-a // b)


@dataclass
class Flow:
    """One flow as the chain's events say it."""

    tx_hash: str
    block: int
    log_index: int
    direction: str
    kind: str
    amount: int
    split: tuple[int, int, int] | None = None  # members, ess, collective
    bucket: str | None = None
    source: str | None = None
    recipient: str | None = None
    counterparty: str | None = None
    relation_ref: str | None = None
    memo: str | None = None
    project_id: int | None = None
    proposal_id: int | None = None

    @property
    def key(self) -> tuple[str, int]:
        """tx hash and log index."""
        return (self.tx_hash, self.log_index)


@dataclass
class Check:
    """One identity: what must hold, both sides, and whether it does."""

    name: str
    expected: Any
    actual: Any
    ok: bool
    note: str = ""


@dataclass
class Ledger:
    """What the audit found at one block."""

    block: int
    block_hash: str
    block_time: int
    chain_id: int
    flows: list[Flow] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    views: dict[str, Any] = field(default_factory=dict)
    sums: dict[str, int] = field(default_factory=dict)
    inflows_by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    fundings_by_project: dict[int, dict[str, int]] = field(default_factory=dict)
    members_replayed: int = 0
    event_count: int = 0

    @property
    def ok(self) -> bool:
        """Every identity holds."""
        return bool(all(c.ok for c in self.checks))

    def check(self, name: str, expected: Any, actual: Any, note: str = "") -> bool:
        """Record `expected == actual`."""
        ok = bool(expected == actual)
        self.checks.append(Check(name, expected, actual, ok, note))
        return ok


@dataclass
class _Account:
    points: int = 0
    accrued: int = 0
    paid: int = 0


class Replay:
    """The pool's accounting replayed event by event."""

    def __init__(self, ledger: Ledger, floor_bps: int) -> None:
        self.ledger = ledger
        self.floor = floor_bps
        self.shares: tuple[int, int, int] | None = None
        self.weights: tuple[int, int, int, int] | None = None
        self.rpp = 0
        self.undistributed = 0
        self.total_points = 0
        self.accounts: dict[str, _Account] = defaultdict(_Account)
        self.problems: list[str] = []

    def _settle(self, who: str, rpp: int) -> _Account:
        account = self.accounts[who]
        account.accrued += account.points * (rpp - account.paid) // PRECISION
        account.paid = rpp
        return account

    def _problem(self, event: Event, text: str) -> None:
        self.problems.append(f"{event.name} in tx {event.tx_hash} (log {event.log_index}): {text}")

    def inflow(self, event: Event, amount: int, split: dict[str, int], after: int, added_points: int) -> None:
        parts = (int(split["toMembers"]), int(split["toEss"]), int(split["toCollective"]))
        if sum(parts) != amount:
            self._problem(event, f"split {parts} does not add up to {amount}")
        if self.shares is not None:
            _, ess_bps, collective_bps = self.shares
            to_ess = ceil_div(amount * ess_bps, BPS)
            to_collective = amount * collective_bps // BPS
            expected = (amount - to_ess - to_collective, to_ess, to_collective)
            if parts != expected:
                self._problem(
                    event, f"split {parts} differs from the shares in force {self.shares}: {expected}"
                )
        if parts[1] * BPS < amount * self.floor:
            self._problem(event, f"ESS part {parts[1]} is below the floor of {self.floor} bps")
        self.total_points += added_points
        pending = parts[0] + self.undistributed
        if self.total_points == 0:
            increase, carry = 0, pending
        else:
            increase = pending * PRECISION // self.total_points
            carry = pending - ceil_div(increase * self.total_points, PRECISION)
        self.undistributed = carry
        self.rpp += increase
        if self.rpp != after:
            self._problem(event, f"reward per point {after} differs from the replay's {self.rpp}")
            self.rpp = after

    def relation(self, event: Event) -> None:
        a = event.args
        amount, points = int(a["amount"]), a["points"]
        parties = [
            (a["payer"], points["payerPoints"], 0),
            (a["counterparty"], points["counterpartyPoints"], 1),
            (points["payerSponsor"], points["payerSponsorPoints"], 2),
            (points["counterpartySponsor"], points["counterpartySponsorPoints"], 3),
        ]
        added = 0
        for who, awarded, slot in parties:
            if int(who, 16) == 0:
                if awarded:
                    self._problem(event, f"points {awarded} awarded to no sponsor")
                continue
            if self.weights is not None and awarded != amount * self.weights[slot] // BPS:
                self._problem(
                    event,
                    f"{who} got {awarded} points, the weights in force give "
                    f"{amount * self.weights[slot] // BPS}",
                )
            account = self._settle(who, self.rpp)
            account.points += int(awarded)
            added += int(awarded)
        self.inflow(event, amount, a["split"], int(a["rewardPerPoint"]), added)

    def claim(self, event: Event) -> None:
        who, amount, rpp = event.args["member"], int(event.args["amount"]), int(event.args["rewardPerPoint"])
        account = self._settle(who, rpp)
        if amount != account.accrued:
            self._problem(event, f"{who} claimed {amount}, the replay accrued {account.accrued}")
        account.accrued = 0

    def freeze(self, event: Event) -> None:
        who = event.args["member"]
        account = self._settle(who, int(event.args["rewardPerPoint"]))
        removed = int(event.args["pointsRemoved"])
        if removed != account.points:
            self._problem(event, f"{removed} points removed, the replay held {account.points}")
        if int(event.args["accrued"]) != account.accrued:
            self._problem(
                event, f"accrued {event.args['accrued']} differs from the replay's {account.accrued}"
            )
        self.total_points -= account.points
        account.points = 0

    def claimable(self, who: str) -> int:
        account = self.accounts[who]
        return account.accrued + account.points * (self.rpp - account.paid) // PRECISION


def load_contracts(record: dict[str, Any]) -> dict[str, Contract]:
    """The deployment's contracts by role."""
    try:
        return {
            role: Contract(role, entry["address"], entry["abi"])
            for role, entry in record["contracts"].items()
            if role in ROLES
        }
    except (KeyError, TypeError) as exc:
        raise AuditError(f"the deployment record lacks {exc}") from None


def view(rpc: Rpc, contract: Contract, name: str, block: int, *args: Any) -> Any:
    """A view's value at `block`."""
    data = rpc.call(
        "eth_call", [{"to": contract.address, "data": contract.encode_call(name, *args)}, hex(block)]
    )
    return contract.decode_result(name, data)


def build(rpc: Rpc, record_path: Path, block: int | None = None) -> Ledger:
    """Recompute the ledger at `block` (default: the latest) and check every identity."""
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError) as exc:
        raise AuditError(f"cannot read the deployment record {record_path}: {exc}") from None
    contracts = load_contracts(record)
    for role in ("pool", "token"):
        if role not in contracts:
            raise AuditError(f"the deployment record has no {role}")
    chain_id = int(rpc.call("eth_chainId", []), 16)
    if chain_id != int(record["chain_id"]):
        raise AuditError(
            f"the RPC serves chain {chain_id}, the deployment was made on chain {record['chain_id']}"
        )
    head = int(rpc.call("eth_blockNumber", []), 16)
    at = head if block is None else block
    if at > head:
        raise AuditError(f"block {at} is beyond the chain's head {head}")
    start = int(record.get("deployment_block", 0))
    header = rpc.call("eth_getBlockByNumber", [hex(at), False])
    ledger = Ledger(
        block=at, block_hash=header["hash"], block_time=int(header["timestamp"], 16), chain_id=chain_id
    )
    pool, token = contracts["pool"], contracts["token"]
    events = fetch_logs(rpc, [c for role, c in contracts.items() if role != "token"], start, at)
    ledger.event_count = len(events)

    floor = int(view(rpc, pool, "essFloorBps", at))
    replay = Replay(ledger, floor)
    executed_in_tx: dict[str, int] = {}
    timelock_txs: set[str] = set()
    for event in events:
        if event.contract == "governor" and event.name == "ProposalExecuted":
            executed_in_tx[event.tx_hash] = int(event.args["proposalId"])
        if event.contract == "timelock" and event.name == "CallExecuted":
            timelock_txs.add(event.tx_hash)

    by_kind: dict[str, dict[str, int]] = {}
    fundings: dict[int, dict[str, int]] = {}
    for event in events:
        if event.contract != "pool":
            continue
        a = event.args
        if event.name == "SharesChanged":
            new = a["newShares"]
            replay.shares = (int(new["membersBps"]), int(new["essBps"]), int(new["collectiveBps"]))
        elif event.name == "PointWeightsChanged":
            w = a["newWeights"]
            replay.weights = (
                int(w["payerBps"]),
                int(w["counterpartyBps"]),
                int(w["payerSponsorBps"]),
                int(w["counterpartySponsorBps"]),
            )
        elif event.name in INFLOW_EVENTS:
            kind = INFLOW_EVENTS[event.name]
            amount, split = int(a["amount"]), a["split"]
            if event.name == "RelationPaid":
                replay.relation(event)
            else:
                replay.inflow(event, amount, split, int(a["rewardPerPoint"]), 0)
            parts = (int(split["toMembers"]), int(split["toEss"]), int(split["toCollective"]))
            ref = a.get("relationRef")
            ledger.flows.append(
                Flow(
                    tx_hash=event.tx_hash,
                    block=event.block,
                    log_index=event.log_index,
                    direction="in",
                    kind=kind,
                    amount=amount,
                    split=parts,
                    source=a[INFLOW_SOURCE[event.name]],
                    counterparty=a.get("counterparty"),
                    relation_ref=("0x" + bytes(ref).hex()) if ref is not None else None,
                    memo=a.get("memo"),
                )
            )
            totals = by_kind.setdefault(
                kind, {"count": 0, "amount": 0, "members": 0, "ess": 0, "collective": 0}
            )
            totals["count"] += 1
            totals["amount"] += amount
            totals["members"] += parts[0]
            totals["ess"] += parts[1]
            totals["collective"] += parts[2]
        elif event.name in OUTFLOW_EVENTS:
            kind, bucket = OUTFLOW_EVENTS[event.name]
            flow = Flow(
                tx_hash=event.tx_hash,
                block=event.block,
                log_index=event.log_index,
                direction="out",
                kind=kind,
                amount=int(a["amount"]),
                bucket=bucket,
            )
            if event.name == "RewardsClaimed":
                replay.claim(event)
                flow.recipient = a["member"]
            elif event.name == "EssProjectFunded":
                flow.recipient = a["payoutWallet"]
                flow.project_id = int(a["projectId"])
                flow.proposal_id = executed_in_tx.get(event.tx_hash)
                if event.tx_hash not in timelock_txs:
                    replay.problems.append(
                        f"ESS funding in tx {event.tx_hash} (log {event.log_index}) "
                        "was not made by the timelock"
                    )
                project = fundings.setdefault(flow.project_id, {"count": 0, "amount": 0})
                project["count"] += 1
                project["amount"] += flow.amount
            else:
                flow.recipient = a["recipient"]
                flow.memo = a["memo"]
            ledger.flows.append(flow)
        elif event.name == "MemberRewardsFrozen":
            replay.freeze(event)
    ledger.inflows_by_kind = by_kind
    ledger.fundings_by_project = dict(sorted(fundings.items()))

    inflows = [f for f in ledger.flows if f.direction == "in"]
    sums = {
        "total_received": sum(f.amount for f in inflows),
        "members_received": sum(f.split[0] for f in inflows if f.split),
        "ess_received": sum(f.split[1] for f in inflows if f.split),
        "collective_received": sum(f.split[2] for f in inflows if f.split),
        "rewards_claimed": sum(f.amount for f in ledger.flows if f.kind == "claim"),
        "ess_disbursed": sum(f.amount for f in ledger.flows if f.kind == "ess_funding"),
        "collective_spent": sum(f.amount for f in ledger.flows if f.kind == "collective_spend"),
    }
    sums["members_available"] = sums["members_received"] - sums["rewards_claimed"]
    sums["ess_available"] = sums["ess_received"] - sums["ess_disbursed"]
    sums["collective_available"] = sums["collective_received"] - sums["collective_spent"]
    sums["balance"] = sums["members_available"] + sums["ess_available"] + sums["collective_available"]
    sums["total_out"] = sums["rewards_claimed"] + sums["ess_disbursed"] + sums["collective_spent"]
    sums["inflow_count"] = len(inflows)
    sums["relation_count"] = sum(1 for f in inflows if f.kind == "relation")
    sums["total_points"] = replay.total_points
    sums["undistributed_rewards"] = replay.undistributed
    sums["reward_per_point"] = replay.rpp
    ledger.sums = sums

    t = view(rpc, pool, "totals", at)
    views: dict[str, Any] = {
        "totals": {k: int(v) for k, v in t.items()},
        "members_available": int(view(rpc, pool, "membersAvailable", at)),
        "ess_available": int(view(rpc, pool, "essAvailable", at)),
        "collective_available": int(view(rpc, pool, "collectiveAvailable", at)),
        "token_balance": int(view(rpc, token, "balanceOf", at, pool.address)),
        "ess_floor_bps": floor,
    }
    ledger.views = views
    totals = views["totals"]
    buckets = views["members_available"] + views["ess_available"] + views["collective_available"]

    # Conservation: what the pool holds is what its buckets hold.
    surplus = views["token_balance"] - buckets
    ledger.check(
        "pool token balance == members + ESS + collective available",
        buckets,
        views["token_balance"] - max(surplus, 0),
        note=f"{surplus} token units sent to the pool without an inflow (accountSurplus books them)"
        if surplus > 0
        else "",
    )
    if surplus < 0:
        ledger.checks[-1].ok = False
        ledger.checks[-1].note = "the pool holds less than its buckets"
    ledger.check(
        "total received == claimed + ESS disbursed + collective spent + balance",
        totals["totalReceived"],
        totals["rewardsClaimed"] + totals["essDisbursed"] + totals["collectiveSpent"] + buckets,
    )
    # Events against the contract's running totals.
    for name, key in (
        ("total_received", "totalReceived"),
        ("members_received", "membersReceived"),
        ("ess_received", "essReceived"),
        ("collective_received", "collectiveReceived"),
        ("rewards_claimed", "rewardsClaimed"),
        ("ess_disbursed", "essDisbursed"),
        ("collective_spent", "collectiveSpent"),
        ("total_points", "totalPoints"),
        ("undistributed_rewards", "undistributedRewards"),
        ("reward_per_point", "rewardPerPoint"),
    ):
        ledger.check(f"sum of events {name} == totals().{key}", totals[key], sums[name])
    for name in ("members_available", "ess_available", "collective_available"):
        ledger.check(f"events' {name} == {name.split('_')[0]}Available()", views[name], sums[name])

    # Every member's claimable amount, replayed, against the pool's view.
    members = sorted(who for who in replay.accounts if int(who, 16))
    calls = [
        ("eth_call", [{"to": pool.address, "data": pool.encode_call("claimableOf", m)}, hex(at)])
        for m in members
    ]
    calls += [
        ("eth_call", [{"to": pool.address, "data": pool.encode_call("pointsOf", m)}, hex(at)])
        for m in members
    ]
    answers = rpc.batch(calls) if calls else []
    wrong = []
    for index, who in enumerate(members):
        on_chain = int(pool.decode_result("claimableOf", answers[index]))
        points = int(pool.decode_result("pointsOf", answers[len(members) + index]))
        if on_chain != replay.claimable(who) or points != replay.accounts[who].points:
            wrong.append(
                f"{who}: claimable {on_chain} (replay {replay.claimable(who)}), "
                f"points {points} (replay {replay.accounts[who].points})"
            )
    ledger.members_replayed = len(members)
    ledger.check(f"claimableOf and pointsOf of {len(members)} members == the replayed accumulator", [], wrong)
    ledger.check("every inflow, claim and freeze agrees with the replayed rules", [], replay.problems)
    return ledger


def checksum(value: str | None) -> str | None:
    """An address in checksum form (None stays None)."""
    return to_checksum_address(value) if value else None
