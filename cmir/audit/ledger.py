"""The auditor's ledger: every flow recomputed from the pool's raw events, the pool's rules
replayed from scratch (`replay`: epochs, maturing points, the capped accumulator, what members
could not receive going to ESS), and the conservation identities checked against the
contracts' views at one block.

A wrong event, a wrong total, a wrong claim or a member's wrong points shows up as a failed
identity; so does an ESS funding paid to a wallet not on record (or to an inactive project) and a
collective spend beyond the steward's budget (`guards`).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from cmir.audit.chain import AuditError, Contract, Event, Rpc, fetch_logs, with_timestamps
from cmir.audit.guards import Guards
from cmir.audit.replay import Booking, Clock, MemberFigures, Replay

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
SETTINGS_EVENTS = {
    "SharesChanged",
    "PointWeightsChanged",
    "EpochRewardCapChanged",
    "EpochLengthChanged",
    "PartiesMinShareChanged",
}
ROLES = ("pool", "membership", "registry", "governor", "timelock", "token")
#: The pool's single-value views read at the audited block, in one batch.
POOL_VIEWS = (
    "totals",
    "membersAvailable",
    "essAvailable",
    "collectiveAvailable",
    "essFloorBps",
    "epochClock",
    "epoch",
    "epochRewardCapBps",
    "maxEpochRewardCapBps",
    "partiesMinShareBps",
)


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
    epoch: int | None = None  # inflows: the epoch it was booked in
    members_to_ess: int | None = None  # inflows: the members' part that went to ESS

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


@dataclass(frozen=True)
class Freeze:
    """An exclusion's MemberRewardsFrozen."""

    matured_removed: int
    pending_removed: int
    accrued: int
    tx_hash: str


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
    members_to_ess: dict[str, int] = field(default_factory=dict)  # by reason, and "surplus"
    clock: Clock | None = None
    members: dict[str, MemberFigures] = field(default_factory=dict)  # the pool's views, by address
    claimed: dict[str, int] = field(default_factory=dict)
    freezes: dict[str, Freeze] = field(default_factory=dict)
    members_replayed: int = 0
    event_count: int = 0
    guards: Guards | None = None
    #: Every decoded event of the deployment's contracts up to the block, with its block's time.
    events: list[Event] = field(default_factory=list, repr=False)
    #: The deployment's contracts by role.
    contracts: dict[str, Contract] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """Every identity holds."""
        return bool(all(c.ok for c in self.checks))

    def check(self, name: str, expected: Any, actual: Any, note: str = "") -> bool:
        """Record `expected == actual`."""
        ok = bool(expected == actual)
        self.checks.append(Check(name, expected, actual, ok, note))
        return ok


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


def call(contract: Contract, name: str, block: int, *args: Any) -> tuple[str, list[Any]]:
    """The eth_call request of view `name` at `block`, for a batch."""
    return ("eth_call", [{"to": contract.address, "data": contract.encode_call(name, *args)}, hex(block)])


def read_members(rpc: Rpc, pool: Contract, block: int, addresses: list[str]) -> dict[str, MemberFigures]:
    """claimableOf, pointsOf and memberPoints of each address at `block` (batched)."""
    names = ("claimableOf", "pointsOf", "memberPoints")
    answers = rpc.eth_calls(
        [(pool.address, pool.encode_call(name, who)) for who in addresses for name in names], block
    )
    figures: dict[str, MemberFigures] = {}
    for index, who in enumerate(addresses):
        claimable, points, member = (
            pool.decode_result(name, answers[3 * index + offset]) for offset, name in enumerate(names)
        )
        figures[who] = MemberFigures(
            claimable=int(claimable),
            points=int(points),
            matured=int(member["matured"]),
            pending=int(member["pending"]),
            pending_epoch=int(member["pendingEpoch"]),
            matures_at=int(member["maturesAt"]),
        )
    return figures


class _Books:
    """The events of the pool, read in chain order into flows and the replay."""

    def __init__(self, ledger: Ledger, replay: Replay, events: list[Event]) -> None:
        self.ledger, self.replay = ledger, replay
        self.by_kind: dict[str, dict[str, int]] = {}
        self.fundings: dict[int, dict[str, int]] = {}
        self.executed_in_tx: dict[str, int] = {}
        self.timelock_txs: set[str] = set()
        for event in events:
            if event.contract == "governor" and event.name == "ProposalExecuted":
                self.executed_in_tx[event.tx_hash] = int(event.args["proposalId"])
            if event.contract == "timelock" and event.name == "CallExecuted":
                self.timelock_txs.add(event.tx_hash)

    def read(self, event: Event) -> None:
        a, replay = event.args, self.replay
        if event.name in SETTINGS_EVENTS:
            replay.settings(event)
        elif event.name in INFLOW_EVENTS:
            booking: Booking
            if event.name == "RelationPaid":
                booking = replay.relation(event)
            elif event.name == "SurplusAccounted":
                booking = replay.surplus(event)
            else:
                booking = replay.inflow(event)
            self.inflow(event, booking)
        elif event.name in OUTFLOW_EVENTS:
            self.outflow(event)
        elif event.name == "MemberRewardsFrozen":
            replay.freeze(event)
            self.ledger.freezes[a["member"]] = Freeze(
                int(a["maturedRemoved"]), int(a["pendingRemoved"]), int(a["accrued"]), event.tx_hash
            )

    def inflow(self, event: Event, booking: Booking) -> None:
        a = event.args
        kind, amount, split = INFLOW_EVENTS[event.name], int(a["amount"]), a["split"]
        parts = (int(split["toMembers"]), int(split["toEss"]), int(split["toCollective"]))
        ref = a.get("relationRef")
        self.ledger.flows.append(
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
                epoch=booking.epoch,
                members_to_ess=booking.members_to_ess_total,
            )
        )
        totals = self.by_kind.setdefault(
            kind, {"count": 0, "amount": 0, "members": 0, "ess": 0, "collective": 0, "members_to_ess": 0}
        )
        totals["count"] += 1
        totals["amount"] += amount
        totals["members"] += parts[0]
        totals["ess"] += parts[1]
        totals["collective"] += parts[2]
        totals["members_to_ess"] += booking.members_to_ess_total

    def outflow(self, event: Event) -> None:
        a = event.args
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
            self.replay.claim(event)
            flow.recipient = a["member"]
        elif event.name == "EssProjectFunded":
            flow.recipient = a["payoutWallet"]
            flow.project_id = int(a["projectId"])
            flow.proposal_id = self.executed_in_tx.get(event.tx_hash)
            if event.tx_hash not in self.timelock_txs:
                self.replay.problems.append(
                    f"ESS funding in tx {event.tx_hash} (log {event.log_index}) was not made by the timelock"
                )
            project = self.fundings.setdefault(flow.project_id, {"count": 0, "amount": 0})
            project["count"] += 1
            project["amount"] += flow.amount
        else:
            flow.recipient = a["recipient"]
            flow.memo = a["memo"]
        self.ledger.flows.append(flow)


def _sums(ledger: Ledger, replay: Replay) -> dict[str, int]:
    inflows = [f for f in ledger.flows if f.direction == "in"]
    sums = {
        "total_received": sum(f.amount for f in inflows),
        "members_received": sum(f.split[0] for f in inflows if f.split),
        "ess_received": sum(f.split[1] for f in inflows if f.split),
        "collective_received": sum(f.split[2] for f in inflows if f.split),
        "rewards_claimed": sum(f.amount for f in ledger.flows if f.kind == "claim"),
        "ess_disbursed": sum(f.amount for f in ledger.flows if f.kind == "ess_funding"),
        "collective_spent": sum(f.amount for f in ledger.flows if f.kind == "collective_spend"),
        "members_to_ess": sum(f.members_to_ess or 0 for f in inflows),
        "surplus_to_ess": replay.surplus_to_ess,
    }
    sums["members_available"] = sums["members_received"] - sums["rewards_claimed"]
    sums["ess_available"] = sums["ess_received"] - sums["ess_disbursed"]
    sums["collective_available"] = sums["collective_received"] - sums["collective_spent"]
    sums["balance"] = sums["members_available"] + sums["ess_available"] + sums["collective_available"]
    sums["total_out"] = sums["rewards_claimed"] + sums["ess_disbursed"] + sums["collective_spent"]
    sums["inflow_count"] = len(inflows)
    sums["relation_count"] = sum(1 for f in inflows if f.kind == "relation")
    now = replay.totals(ledger.block_time)
    sums["matured_points"] = now["maturedPoints"]
    sums["pending_points"] = now["pendingPoints"]
    sums["total_points"] = now["maturedPoints"] + now["pendingPoints"]
    sums["reward_per_point"] = now["rewardPerPoint"]
    sums["epoch"] = now["epoch"]
    return sums


def _check_books(ledger: Ledger, replay: Replay) -> None:
    """The conservation identities and the event sums against the pool's views."""
    views, sums = ledger.views, ledger.sums
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
    # Events and the replay against the contract's running totals.
    for name, key in (
        ("total_received", "totalReceived"),
        ("members_received", "membersReceived"),
        ("ess_received", "essReceived"),
        ("collective_received", "collectiveReceived"),
        ("rewards_claimed", "rewardsClaimed"),
        ("ess_disbursed", "essDisbursed"),
        ("collective_spent", "collectiveSpent"),
        ("matured_points", "maturedPoints"),
        ("pending_points", "pendingPoints"),
        ("reward_per_point", "rewardPerPoint"),
        ("epoch", "epoch"),
    ):
        ledger.check(f"events (replayed) {name} == totals().{key}", totals[key], sums[name])
    for name in ("members_available", "ess_available", "collective_available"):
        ledger.check(f"events' {name} == {name.split('_')[0]}Available()", views[name], sums[name])
    ledger.check(
        "members' share not distributed (no matured points + cap + rounding) == sum over inflows",
        sums["members_to_ess"],
        sum(replay.members_to_ess.values()),
    )
    clock = views["epoch_clock"]
    replayed = (ledger.clock.origin, ledger.clock.length, ledger.clock.origin_epoch) if ledger.clock else None
    ledger.check(
        "epochClock() == the clock replayed from EpochLengthChanged",
        (clock["origin"], clock["length"], clock["originEpoch"]),
        replayed,
    )
    ledger.check("epoch() == the replayed clock at the block's time", views["epoch"], sums["epoch"])
    ledger.check(
        "epochRewardCapBps() == the last EpochRewardCapChanged", views["epoch_reward_cap_bps"], replay.cap_bps
    )
    ledger.check(
        "partiesMinShareBps() == the last PartiesMinShareChanged",
        views["parties_min_share_bps"],
        replay.parties_min_share_bps,
    )
    highest = replay.max_cap_bps()
    ledger.check(
        "maxEpochRewardCapBps() == min(10,000, 10,000 x (10,000 - members) / weights) replayed",
        views["max_epoch_reward_cap_bps"],
        highest,
    )
    ledger.check(
        "epochRewardCapBps() <= maxEpochRewardCapBps()",
        True,
        views["epoch_reward_cap_bps"] <= views["max_epoch_reward_cap_bps"],
    )


def _check_members(ledger: Ledger, replay: Replay, rpc: Rpc, pool: Contract, extra: list[str]) -> None:
    """Every member's claimable amount and points, replayed, against the pool's views."""
    members = sorted(
        {who for who in replay.accounts if int(who, 16)} | {to_checksum_address(a) for a in extra}
    )
    ledger.members = read_members(rpc, pool, ledger.block, members)
    wrong = []
    for who in members:
        chain, mine = ledger.members[who], replay.member(who, ledger.block_time)
        for name in ("claimable", "points", "matured", "pending", "pending_epoch", "matures_at"):
            if getattr(chain, name) != getattr(mine, name):
                wrong.append(f"{who}: {name} {getattr(chain, name)} (replay {getattr(mine, name)})")
    ledger.members_replayed = len(members)
    ledger.check(f"claimableOf, pointsOf and memberPoints of {len(members)} members == the replay", [], wrong)
    owed = sum(f.claimable for f in ledger.members.values())
    members_available = ledger.views["members_available"]
    ledger.check(
        "members' claimable (all) <= members available",
        True,
        owed <= members_available,
        note=f"{members_available - owed} units of rounding dust stay in the members' bucket"
        if owed <= members_available
        else f"claimable {owed} > available {members_available}",
    )
    ledger.check("every inflow, claim and freeze agrees with the replayed rules", [], replay.problems)


def build(rpc: Rpc, record_path: Path, block: int | None = None, members: list[str] | None = None) -> Ledger:
    """Recompute the ledger at `block` (default: the latest) and check every identity; every
    account with points or claims, and `members` too, is checked against the pool's views."""
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
    pool, token = contracts["pool"], contracts["token"]
    header, *answers = rpc.batch(
        [("eth_getBlockByNumber", [hex(at), False])]
        + [call(pool, name, at) for name in POOL_VIEWS]
        + [call(token, "balanceOf", at, pool.address)]
    )
    ledger = Ledger(
        block=at, block_hash=header["hash"], block_time=int(header["timestamp"], 16), chain_id=chain_id
    )
    values = {name: pool.decode_result(name, data) for name, data in zip(POOL_VIEWS, answers, strict=False)}
    ledger.views = {
        "totals": {k: int(v) for k, v in values["totals"].items()},
        "members_available": int(values["membersAvailable"]),
        "ess_available": int(values["essAvailable"]),
        "collective_available": int(values["collectiveAvailable"]),
        "token_balance": int(token.decode_result("balanceOf", answers[-1])),
        "ess_floor_bps": int(values["essFloorBps"]),
        "epoch_clock": {k: int(v) for k, v in values["epochClock"].items()},
        "epoch": int(values["epoch"]),
        "epoch_reward_cap_bps": int(values["epochRewardCapBps"]),
        "max_epoch_reward_cap_bps": int(values["maxEpochRewardCapBps"]),
        "parties_min_share_bps": int(values["partiesMinShareBps"]),
    }

    with _bulk():
        _read_chain(ledger, rpc, contracts, start, at, members or [])
    return ledger


@contextmanager
def _bulk() -> Iterator[None]:
    """Cyclic garbage collection paused while hundreds of thousands of events and flows are made
    (none of them is garbage, and each collection would walk them all again: a third of the
    time), then kept out of later collections (`gc.freeze`): the resources' checks allocate a
    lot while these live, as long as the audit."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _read_chain(
    ledger: Ledger, rpc: Rpc, contracts: dict[str, Contract], start: int, at: int, members: list[str]
) -> None:
    """The events up to the block, replayed into the flows and the pool's rules, and checked."""
    pool = contracts["pool"]
    events = with_timestamps(
        rpc, fetch_logs(rpc, [c for role, c in contracts.items() if role != "token"], start, at)
    )
    ledger.event_count = len(events)
    ledger.events, ledger.contracts = events, contracts
    pool_events = [e for e in events if e.contract == "pool"]
    replay = Replay(ledger.views["ess_floor_bps"])
    books = _Books(ledger, replay, events)
    for event in pool_events:
        books.read(event)
    ledger.inflows_by_kind = books.by_kind
    ledger.fundings_by_project = dict(sorted(books.fundings.items()))
    ledger.members_to_ess = {**replay.members_to_ess, "surplus": replay.surplus_to_ess}
    ledger.clock = replay.clock
    ledger.claimed = dict(replay.claimed)
    ledger.sums = _sums(ledger, replay)
    _check_books(ledger, replay)
    _check_members(ledger, replay, rpc, pool, members)
    _check_guards(ledger, rpc, pool, pool_events + [e for e in events if e.contract == "registry"])


def _check_guards(ledger: Ledger, rpc: Rpc, pool: Contract, events: list[Event]) -> None:
    """ESS fundings against the registry's wallets and statuses; collective spends against the
    steward in office and its budget; the pool's `collectiveBudget()` against the replay."""
    guards = Guards()
    for event in sorted(events, key=lambda e: e.key):
        guards.read(event)
    ledger.guards = guards
    ledger.check(
        f"every ESS funding ({guards.fundings_checked}) paid its project's wallet on record, while active",
        [],
        guards.fundings,
    )
    ledger.check(
        f"every collective spend ({guards.spends_checked}) by the steward in office, within its budget",
        [],
        guards.spends,
    )
    if guards.budgeted and "collectiveBudget" in pool.functions:
        view = pool.decode_result("collectiveBudget", rpc.call(*call(pool, "collectiveBudget", ledger.block)))
        ledger.check(
            "collectiveBudget() == the budget replayed from CollectiveBudgetChanged and CollectiveSpent",
            tuple(int(view[k]) for k in ("amount", "period", "periodStart", "spent")),
            guards.budget.view(ledger.block_time),
        )
