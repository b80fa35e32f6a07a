# ruff: noqa: E501, S311 - French prose; the random generator is seeded for a reproducible demo, not security
"""A realistic, deterministic demo on a fresh local anvil chain.

Six months of a network's life, replayed in about 20 seconds with anvil's time travel: 89 members
(Pilotes, Abeilles, ESS structures) across French regions, hundreds of paid relations with
references spread over the days, contributions, a surplus, claims, collective spends within the
steward's budget, ESS projects registered with metadata documents (served over HTTP and checked
against their hash), an exclusion, and proposals in every state — executed, defeated (by the vote
and for lack of quorum), canceled (by its author, and by the guardian with a reason in French),
expired, succeeded, queued, active and pending — with votes and reasons in French.

The network grows as the "demo" admission rules let it (30 days of probation, then one invitation
a month, at most 3 unused): the five founders invite first; each newcomer waits out its probation
before it votes, invites or proposes, so members join over the months, and the last ones are still
in probation at the end. ESS structures are attested by the regional CRESS (an attester named by
the first vote) before they accept, or admitted by governance; the projects they register are
activated by a vote before any funding. The guardian ("conseil de surveillance") cancels one
proposal, giving its reason; one adopted funding is never queued and expires.

Points mature (the "demo" settings: one-day epochs): the first relations find no matured point,
so their members' share goes to ESS, and the next ones hit the reward cap of the few points
matured; the launch patronage (12,000 €, third week) is far above what the matured points may
earn in an epoch, so most of its members' share goes to ESS too; the surplus is booked to ESS;
claims pay what matured points earned; the excluded member loses its matured and pending points.

Everything is fixed by a seeded random generator: the same members, amounts, references, votes
and outcomes on every run; only the dates move (the story ends "now"). Transactions are sent
from anvil's unlocked accounts with explicit nonces and gas, many per block (automine off).

    python -m cmir.dev.demo.seed --rpc http://127.0.0.1:8545 --deployment deployments/local.json \
        --metadata-dir .build/stack/metadata --metadata-url http://127.0.0.1:8001

expects a chain started 181 days in the past by `anvil --accounts 102 --timestamp T` and
contracts deployed with `demo_founders()` and `demo_guardian()`
(``cmir deploy --settings demo --guardian ...``, as `make up` does).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

from eth_abi.abi import decode
from eth_account import Account
from eth_utils.crypto import keccak
from web3 import Web3

from cmir.chain.deploy import NetworkSettings
from cmir.chain.errors import RpcResponseError
from cmir.chain.governance import Call, Proposal
from cmir.chain.reverts import explain
from cmir.chain.rpc import RpcClient
from cmir.chain.vocabulary import MEMBER_KINDS, SUPPORT_NAMES
from cmir.dev.demo import data
from cmir.dev.demo.figures import as_summary, story_figures

MNEMONIC = "test test test test test test test test test test test junk"
DEMO_PASSWORD = "cmir-demo"  # noqa: S105 - keyfiles of public test keys, for the local demo only
ACCOUNTS = 102  # 0 operator, 1-89 members, 90-94 suppliers, 95-99 candidates, 100 attester, 101 guardian
ATTESTER_INDEX = 100
GUARDIAN_INDEX = 101
EUR = 10**6
DAY = 86_400
HOUR = 3_600
SEED = 2024
STORY = 181 * DAY - 600  # the story's length: every action at a fixed time after its start
MARGIN = 600  # seconds of slack between the plan's times and the chain's (blocks may come later)
#: The first vote: the CRESS named attester and one ESS structure admitted by governance.
ADMISSION_VOTE_AT = 1 * DAY + 9 * HOUR
#: When a proposal made at t executes (voting delay 1 day, period 3 days, queued an hour after,
#: timelock 1 day, executed an hour after): the "demo" settings.
EXECUTION_DELAY = 5 * DAY + 2 * HOUR
ADMITTED_AT = ADMISSION_VOTE_AT + EXECUTION_DELAY
#: Founders 1 and 2 keep their invitations from this day on (the walkthroughs and tests use them).
FOUNDERS_KEEP_FROM = 80 * DAY
#: A supplier is invited (from this day, by the first member with an invitation left) and never
#: accepts: the invitation expires.
LAPSED_INVITATION_FROM = 60 * DAY
LAPSED_INVITEE = 94


@dataclass(frozen=True)
class Rules:
    """The admission rules the demo is played under (deployments/settings.yaml, `demo`)."""

    probation: int
    refill: int
    cap: int
    quorum_percent: int
    quorum_floor: int
    budget: int
    budget_period: int

    @classmethod
    @cache
    def demo(cls) -> Rules:
        """The `demo` entry of the deployment settings."""
        s = NetworkSettings.for_network("demo")
        return cls(
            s.probation,
            s.invitation_refill_period,
            s.invitation_cap,
            s.quorum_percent,
            s.quorum_floor,
            s.collective_budget,
            s.collective_budget_period,
        )

    def quorum(self, members: int) -> int:
        """The Governor's quorum for `members` active members at the snapshot."""
        return max(members * self.quorum_percent // 100, min(self.quorum_floor, members))


@dataclass
class Allowance:
    """A member's invitations, as the Membership counts them: one accrues every refill period
    after `anchor`, at most the cap; sending one moves the anchor."""

    anchor: float

    def available(self, t: float, rules: Rules) -> int:
        if t < self.anchor:
            return 0
        return int(min(rules.cap, (t - self.anchor) // rules.refill))

    def use(self, t: float, rules: Rules) -> None:
        if self.available(t, rules) >= rules.cap:
            self.anchor = t - (rules.cap - 1) * rules.refill
        else:
            self.anchor += rules.refill


class SeedError(Exception):
    """The demo could not be seeded."""


#: An activation proposal's title ({numbers}: "n°1, n°2 et n°3").
ACTIVATE_TEXT = "Activer les projets ESS {numbers}"


@dataclass
class Person:
    """One demo account."""

    index: int
    address: str
    key: str
    role: str
    name: str
    kind: str | None = None
    city: tuple[str, str, str, str] | None = None
    sponsor: int | None = None
    join_at: float | None = None  # seconds after genesis
    excluded_at: float | None = None
    votes_from: float = 0  # the end of its probation (founders: 0)
    admitted: bool = False  # by a governance vote rather than an invitation
    invited_by: int | None = None  # a non-member's invitation, never accepted (it expires)...
    invited_at: float = 0  # ...sent then
    allowance: Allowance = field(default_factory=lambda: Allowance(0))

    def active(self, t: float) -> bool:
        """A member at time `t` (joined two hours before, not excluded)."""
        return (
            self.join_at is not None
            and self.join_at + 2 * HOUR <= t
            and (self.excluded_at is None or t < self.excluded_at)
        )

    def votes(self, t: float) -> bool:
        """Its vote counts at `t` (and it may invite and propose): past probation, not excluded."""
        return self.active(t) and self.votes_from + MARGIN <= t


def _euros(units: int) -> str:
    """12 345 € (French grouping)."""
    return f"{units // EUR:,} €".replace(",", "\u202f")


def slug(text: str) -> str:
    """ascii-lowercase-words."""
    flat = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", flat.lower()).strip("-")


def derive_keys(count: int = ACCOUNTS) -> list[Any]:
    """anvil's default accounts (the mnemonic "test ... junk", m/44'/60'/0'/0/i)."""
    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(count)]


def cast(keys: list[Any] | None = None) -> list[Person]:
    """The demo's accounts: 0 the operator (CMIR association, deployer and steward), 1-89 members
    (1-5 founders), 90-94 suppliers of the collective fund, 95-99 candidates for the walkthroughs,
    100 the attester of ESS structures (a regional CRESS), 101 the guardian.

    Joining follows the admission rules: each newcomer is invited by a member past its probation
    that has an invitation left (counted as the Membership counts them), preferably from its
    region; ESS structures join once the attester is named (the first vote), one of them admitted
    by that vote."""
    keys = keys or derive_keys()
    rng = random.Random(SEED)
    people = [
        Person(
            0,
            keys[0].address,
            keys[0].key.hex(),
            "operator",
            "Association CMIR (opérateur, intendant du fonds collectif)",
        )
    ]
    kinds = ["Pilote", "Pilote", "Abeille", "EssStructure", "EssStructure"]
    rest = ["Pilote"] * 26 + ["Abeille"] * 39 + ["EssStructure"] * 19
    rng.shuffle(rest)
    kinds += rest
    pilotes, ess = list(data.PILOTES), list(data.ESS_STRUCTURES)
    first, last = list(data.FIRST_NAMES), list(data.LAST_NAMES)
    rng.shuffle(first)
    rng.shuffle(last)
    for offset, kind in enumerate(kinds):
        index = offset + 1
        city = data.CITIES[rng.randrange(len(data.CITIES))]
        if kind == "Pilote":
            name = pilotes.pop(0)
        elif kind == "EssStructure":
            name = ess.pop(0)[0]
        else:
            name = (
                f"{first[offset % 40]} {last[(offset * 7) % 40]} — {data.TRADES[offset % len(data.TRADES)]}"
            )
        people.append(Person(index, keys[index].address, keys[index].key.hex(), "member", name, kind, city))
    for index, (name, role) in enumerate(data.SUPPLIERS, start=90):
        people.append(
            Person(index, keys[index].address, keys[index].key.hex(), "supplier", f"{name} ({role})")
        )
    for index in range(95, ATTESTER_INDEX):
        people.append(
            Person(
                index,
                keys[index].address,
                keys[index].key.hex(),
                "candidate",
                f"Candidat·e n°{index - 94} (pas encore membre : à inviter)",
            )
        )
    for index, name, role in (
        (ATTESTER_INDEX, data.ATTESTER, "attester"),
        (GUARDIAN_INDEX, data.GUARDIAN, "guardian"),
    ):
        region = data.CITIES[0] if role == "attester" else None
        people.append(Person(index, keys[index].address, keys[index].key.hex(), role, name, city=region))
    _join(people, rng, Rules.demo())
    return people


def _join(people: list[Person], rng: random.Random, rules: Rules) -> None:
    """Joining dates and sponsors: the founders at genesis, one ESS structure admitted by the
    first vote, the others over the months, each invited at 09:00 by a member past its probation
    with an invitation left (the plan's times, with a margin for the chain's) and accepting at
    11:00."""
    members = [p for p in people if p.role == "member"]
    for p in members[:5]:
        p.join_at, p.votes_from = 0, 0
        p.allowance = Allowance(-rules.cap * rules.refill)  # founders start with every invitation
    excluded = excluded_member(people)
    admitted = next(p for p in members[5:] if p.kind == "EssStructure")
    admitted.join_at, admitted.admitted = ADMITTED_AT, True
    admitted.sponsor = next(p for p in members[:5] if p.kind == "EssStructure").index
    admitted.votes_from = ADMITTED_AT + rules.probation
    admitted.allowance = Allowance(admitted.votes_from)
    joining = [p for p in members[5:] if p is not admitted]

    def sponsors_at(invite_at: float) -> list[Person]:
        return [
            s
            for s in members
            if s.join_at is not None
            and s.join_at + 3 * HOUR <= invite_at
            and s.votes_from + MARGIN <= invite_at
            and s.allowance.available(invite_at - MARGIN, rules) >= 1
            and not (s.index in (1, 2) and invite_at >= FOUNDERS_KEEP_FROM)
            and not (s is excluded and invite_at >= 130 * DAY)
        ]

    day = 1
    lapsed = people[LAPSED_INVITEE]
    for k, p in enumerate(joining, start=1):
        day = max(day, 2 + int(170 * (k / len(joining)) ** 1.1))
        if p.kind == "EssStructure":
            day = max(day, int(ADMITTED_AT // DAY) + 1)  # once the attester is named
        if lapsed.invited_by is None and day * DAY >= LAPSED_INVITATION_FROM:
            inviters = sponsors_at(day * DAY + 8 * HOUR)
            if inviters:
                inviter = rng.choice(inviters)
                inviter.allowance.use(day * DAY + 8 * HOUR, rules)
                lapsed.invited_by, lapsed.invited_at = inviter.index, day * DAY + 8 * HOUR
        while True:
            invite_at = day * DAY + 9 * HOUR
            sponsors = sponsors_at(invite_at)
            if sponsors:
                break
            day += 1
        near = [s for s in sponsors if s.city and p.city and s.city[3] == p.city[3]]
        sponsor = rng.choice(near or sponsors)
        sponsor.allowance.use(invite_at, rules)
        p.sponsor = sponsor.index
        p.join_at = day * DAY + 11 * HOUR
        p.votes_from = p.join_at + rules.probation
        p.allowance = Allowance(p.votes_from)


def excluded_member(people: list[Person]) -> Person:
    """The member the network excludes (an Abeille, after a vote)."""
    return next(p for p in [p for p in people if p.role == "member"][12:] if p.kind == "Abeille")


def demo_founders(people: list[Person] | None = None) -> list[tuple[str, str]]:
    """(address, kind) of the founding members, for the deployment."""
    people = people or cast()
    return [(p.address, p.kind or "") for p in people if p.role == "member" and p.join_at == 0]


def demo_guardian(people: list[Person] | None = None) -> str:
    """The guardian's address ("conseil de surveillance"), for the deployment."""
    people = people or cast()
    return next(p.address for p in people if p.role == "guardian")


# ------------------------------------------------------------------------------ the node


class Node(RpcClient):
    """Raw JSON-RPC to anvil (`cmir.chain.rpc`), in batches of 200 calls. Never retried: a
    transaction sent again after a timeout would fail on its nonce, hiding the first failure."""

    def __init__(self, url: str) -> None:
        super().__init__(url, timeout=120, max_retries=0, batch_size=200)


@dataclass
class Pending:
    """A transaction waiting for the next block."""

    sender: str
    to: str
    data: str
    gas: int
    label: str


@dataclass
class DemoProposal:
    """A proposal of the story."""

    label: str
    proposer: Person
    proposal: Proposal
    outcome: str
    created_at: float = 0
    pid: int = 0


@dataclass
class Seeder:
    """Plays the story on the chain."""

    rpc_url: str
    record: dict[str, Any]
    metadata_dir: Path
    metadata_url: str
    people: list[Person]
    genesis: int = 0
    end: float = 0
    log: Callable[[str], None] = print
    node: Node = field(init=False)
    w3: Web3 = field(init=False)
    c: dict[str, Any] = field(init=False)
    nonces: dict[str, int] = field(default_factory=dict)
    queue: list[Pending] = field(default_factory=list)
    schedule: list[tuple[float, int, Callable[[float], None]]] = field(default_factory=list)
    projects: list[tuple[int, Person, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    blocks: int = 0
    last_timestamp: int = 0
    budget_start: float = -(10**9)  # the steward's budget period, as the pool counts it
    budget_spent: int = 0

    def __post_init__(self) -> None:
        self.node = Node(self.rpc_url)
        self.w3 = Web3(Web3.HTTPProvider(self.rpc_url, request_kwargs={"timeout": 120}))
        self.c = {
            role: self.w3.eth.contract(address=Web3.to_checksum_address(e["address"]), abi=e["abi"])
            for role, e in self.record["contracts"].items()
        }
        self.abis = [e["abi"] for e in self.record["contracts"].values()]
        self.rng = random.Random(SEED + 1)

    # -- plumbing

    def at(self, t: float, action: Callable[[float], None]) -> None:
        """Run `action` at `t` seconds after genesis (its transactions go in one block)."""
        self.schedule.append((t, len(self.schedule), action))

    def send(
        self, who: Person, contract: str, function: str, *args: Any, gas: int = 600_000, label: str = ""
    ) -> None:
        """Queue a transaction for the current block."""
        target = self.c[contract]
        self.queue.append(
            Pending(
                who.address,
                target.address,
                target.encode_abi(function, args=list(args)),
                gas,
                label or function,
            )
        )
        self.counts[function] = self.counts.get(function, 0) + 1

    def later(self, who: Person, contract: str, function: str, *args: Any) -> Callable[[float], None]:
        """An action sending one transaction, to schedule."""

        def action(_t: float) -> None:
            self.send(who, contract, function, *args)

        return action

    def view(self, contract: str, function: str, *args: Any) -> Any:
        return getattr(self.c[contract].functions, function)(*args).call()

    def mine(self, timestamp: int) -> None:
        """Send the queued transactions and mine them at `timestamp` (spilling into more blocks if full)."""
        if not self.queue:
            return
        calls = []
        for p in self.queue:
            nonce = self.nonces.get(p.sender)
            if nonce is None:
                nonce = int(self.node.call("eth_getTransactionCount", [p.sender, "pending"]), 16)
            self.nonces[p.sender] = nonce + 1
            calls.append(
                (
                    "eth_sendTransaction",
                    [{"from": p.sender, "to": p.to, "data": p.data, "gas": hex(p.gas), "nonce": hex(nonce)}],
                )
            )
        hashes = self.node.batch(calls)
        timestamp = max(timestamp, self.last_timestamp + 1)
        self.last_timestamp = timestamp
        self.node.call("evm_mine", [timestamp])  # one block at that time
        self.blocks += 1
        receipts = self.node.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        for _ in range(50):
            if all(receipts):
                break
            self.last_timestamp += 1
            self.node.call("evm_mine", [self.last_timestamp])
            self.blocks += 1
            receipts = self.node.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        failed = [
            (p, r) for p, r in zip(self.queue, receipts, strict=True) if not r or int(r["status"], 16) != 1
        ]
        if failed:
            pending, receipt = failed[0]
            reason = "not mined"
            if receipt:
                try:
                    self.node.call(
                        "eth_call",
                        [
                            {"from": pending.sender, "to": pending.to, "data": pending.data},
                            hex(int(receipt["blockNumber"], 16) - 1),
                        ],
                    )
                    reason = "reverted (passes when replayed alone: an ordering problem in the block)"
                except RpcResponseError as exc:
                    revert = exc.data if isinstance(exc.data, str) and exc.data.startswith("0x") else None
                    reason = explain(revert, self.abis) if revert is not None else str(exc)
            raise SeedError(
                f"{len(failed)} transaction(s) failed, first {pending.label} from {pending.sender}: {reason}"
            )
        self.queue = []

    def run(self) -> None:
        """Play the schedule in time order: actions of the same second share a block."""
        self.schedule.sort(key=lambda item: (int(item[0]), item[1]))
        current: int | None = None
        for t, _, action in self.schedule:
            if current is not None and int(t) != current:
                self.mine(self.genesis + current)
            current = int(t)
            action(t)
        if current is not None:
            self.mine(self.genesis + current)

    # -- the story

    def members(self, t: float, kind: str | None = None) -> list[Person]:
        return [
            p for p in self.people if p.role == "member" and p.active(t) and (kind is None or p.kind == kind)
        ]

    def plan(self) -> None:
        people = self.people
        operator = people[0]
        members = [p for p in people if p.role == "member"]
        attester = people[ATTESTER_INDEX]
        rng = self.rng
        end = self.end

        # Day 0, 08:00: test euros for everyone and the pool approved once (no fee needs a permit).
        def fund(_: float) -> None:
            for p in people[1:]:
                amount = {"Pilote": 60_000, "Abeille": 6_000, "EssStructure": 4_000}.get(
                    p.kind or "", 500
                ) * EUR
                self.send(operator, "token", "mint", p.address, amount, label=f"mint to {p.name}")

        def approve(_: float) -> None:
            for p in people[1:]:
                if p.role in ("member", "candidate"):
                    self.send(p, "token", "approve", self.c["pool"].address, 2**256 - 1)

        self.at(8 * HOUR, fund)
        self.at(8 * HOUR + 600, approve)

        # Joining: the sponsor invites at 09:00 (the CRESS attests an ESS structure then), the
        # invitee accepts at 11:00, naming its sponsor and kind.
        for p in members[5:]:
            if p.admitted:
                continue
            sponsor = people[p.sponsor or 0]
            invite_at = (p.join_at or 0) - 2 * HOUR
            kind = MEMBER_KINDS.index(p.kind or "Pilote")
            self.at(invite_at, self.later(sponsor, "membership", "invite", p.address, kind))
            if p.kind == "EssStructure":  # the CRESS attests it (in the same block)
                self.at(invite_at, self.later(attester, "membership", "attestEssStructure", p.address))
            self.at(p.join_at or 0, self.later(p, "membership", "acceptInvitation", sponsor.address, kind))
        # An invitation never accepted: it expires after 30 days.
        lapsed = people[LAPSED_INVITEE]
        self.at(
            lapsed.invited_at,
            self.later(
                people[lapsed.invited_by or 0],
                "membership",
                "invite",
                lapsed.address,
                MEMBER_KINDS.index("Abeille"),
            ),
        )

        # ESS projects: each structure registers one 2 days after joining, a few a second one later;
        # each waits for a vote activating it before it may be funded.
        structures = [p for p in members if p.kind == "EssStructure"]
        for number, owner in enumerate(structures):
            self.at((owner.join_at or 0) + 2 * DAY + 10 * HOUR, partial(self.register, owner, number))
            if number % 4 == 1:
                self.at(
                    (owner.join_at or 0) + 24 * DAY + 15 * HOUR,
                    partial(self.register, owner, number + 7),
                )

        # Governance (voting delay 1 day, period 3 days, timelock 1 day, approvals valid a week: the
        # "demo" settings). The first vote names the CRESS attester and admits an ESS structure.
        admitted = next(p for p in members if p.admitted)
        self.proposal_at(
            ADMISSION_VOTE_AT,
            "admission",
            "execute",
            [
                ("membership", "setAttester", attester.address, True),
                (
                    "membership",
                    "admit",
                    admitted.address,
                    MEMBER_KINDS.index("EssStructure"),
                    people[admitted.sponsor or 0].address,
                ),
            ],
            f"Nommer la {attester.name.split(' (')[0]} attestatrice des structures ESS et admettre "
            f"{admitted.name}\n\nLa CRESS atteste qu'un compte invité comme structure ESS en est bien une ; "
            f"{admitted.name}, structure ESS reconnue, est admise directement par le réseau.",
        )
        # Excluding a member: its exclusion time must be known to keep it out of later relations.
        excluded = excluded_member(people)
        self.proposal_at(14 * DAY + 9 * HOUR, "activate-1", "execute", "activate", ACTIVATE_TEXT)
        self.proposal_at(
            20 * DAY + 9 * HOUR,
            "fee",
            "execute",
            [("membership", "setMembershipFee", 20 * EUR)],
            "Instaurer un droit d'adhésion de 20 €\n\nChaque nouveau membre verse 20 € à l'entrée : la somme est "
            "répartie comme toute recette entre les membres, l'ESS et le fonds collectif.",
        )
        self.proposal_at(
            34 * DAY + 9 * HOUR, "fund-1", "execute", "fund:2500", "Financer {project} : {amount}"
        )
        self.proposal_at(45 * DAY + 9 * HOUR, "activate-2", "execute", "activate", ACTIVATE_TEXT)
        self.proposal_at(
            50 * DAY + 9 * HOUR,
            "fund-2",
            "execute",
            "fund2:3000:2000",
            "Financer deux projets d'insertion : {project} ({amount}) et {project2} ({amount2})",
        )
        self.proposal_at(
            62 * DAY + 9 * HOUR,
            "expired",
            "expired",
            "fund:1800",
            "Financer {project} : {amount} (adoptée, jamais mise en file : expirée)",
        )
        self.proposal_at(
            75 * DAY + 9 * HOUR,
            "fund-big",
            "against",
            "fund:20000",
            "Financer {project} à hauteur de {amount}",
        )
        self.proposal_at(
            80 * DAY + 9 * HOUR, "guardian", "guardian", "fund:3500", "Financer {project} : {amount}"
        )
        self.proposal_at(
            90 * DAY + 9 * HOUR,
            "shares",
            "execute",
            [("pool", "setShares", (4500, 3500, 2000))],
            "Porter la part ESS à 35 %\n\nMembres 45 %, ESS 35 %, fonds collectif 20 % pour toutes les recettes à venir.",
        )
        self.proposal_at(100 * DAY + 9 * HOUR, "activate-3", "execute", "activate", ACTIVATE_TEXT)
        self.proposal_at(
            105 * DAY + 9 * HOUR, "no-quorum", "noquorum", "fund:2000", "Financer {project} : {amount}"
        )
        self.proposal_at(
            110 * DAY + 9 * HOUR,
            "canceled",
            "cancel",
            "fund:1500",
            "Financer {project} : {amount} (doublon, retiré par son auteur)",
        )
        self.proposal_at(
            125 * DAY + 9 * HOUR,
            "fund-3",
            "execute",
            "fund2:6000:4000",
            "Financer {project} ({amount}) et {project2} ({amount2})",
        )
        exclusion = self.proposal_at(
            140 * DAY + 9 * HOUR,
            "exclude",
            "execute",
            [("membership", "exclude", excluded.address, "Manquements répétés à la charte de réciprocité")],
            f"Exclure {excluded.name}\n\nManquements répétés à la charte de réciprocité du réseau, constatés par "
            "le comité d'éthique. Les récompenses déjà acquises restent réclamables.",
        )
        excluded.excluded_at = exclusion
        # Its last relation, an hour before the exclusion executes: points still pending, removed.
        self.at(exclusion - HOUR, partial(self.relation, 481, payer=excluded))
        self.proposal_at(150 * DAY + 9 * HOUR, "activate-4", "execute", "activate", ACTIVATE_TEXT)
        self.proposal_at(
            155 * DAY + 9 * HOUR, "fund-4", "execute", "fund:8000", "Financer {project} : {amount}"
        )
        self.proposal_at(end - 5 * DAY, "queued", "queued", "fund:5000", "Financer {project} : {amount}")
        self.proposal_at(
            end - 4.6 * DAY,
            "succeeded",
            "succeeded",
            [("pool", "setMinRelationFee", 15 * EUR)],
            "Relever le tarif minimum d'une relation à 15 €\n\nLe tarif plancher n'a pas bougé depuis le lancement.",
        )
        self.proposal_at(end - 2 * DAY, "active", "active", "fund:4000", "Financer {project} : {amount}")
        self.proposal_at(end - 6 * HOUR, "pending", "pending", "fund:3000", "Financer {project} : {amount}")

        # Relations: 480 over the six months, most paid by Pilotes, at business hours.
        for number in range(1, 481):
            day = rng.uniform(3, (end - 2 * HOUR) / DAY)
            t = int(day) * DAY + rng.choice([9, 10, 11, 14, 15, 16, 17]) * HOUR
            t = min(t, int(end - HOUR))
            self.at(t, partial(self.relation, number))

        # Contributions and one surplus (tokens sent straight to the pool, then booked: all to ESS).
        # The launch patronage comes in the third week, when few points have matured: a matured
        # point earns at most the epoch's reward cap, so most of the members' share goes to ESS.
        self.at(20 * DAY + 8 * HOUR, partial(self.patronage, members[1], 12_000 * EUR))
        for number in range(15):
            t = int(rng.uniform(10, 170)) * DAY + 16 * HOUR
            self.at(t, partial(self.contribution, number))
        giver = next(p for p in members if p.kind == "Pilote")
        self.at(
            100 * DAY + 10 * HOUR,
            self.later(giver, "token", "transfer", self.c["pool"].address, 150 * EUR),
        )
        self.at(100 * DAY + 12 * HOUR, self.later(operator, "pool", "accountSurplus"))

        # Claims, collective spends (within the steward's budget per period).
        for number, day in enumerate((28, 55, 80, 100, 130, 160, 172)):
            self.at(day * DAY + 18 * HOUR, partial(self.claims, number))
        self.at(end - 3 * HOUR, partial(self.claims, 99))
        for number, memo in enumerate(data.COLLECTIVE_MEMOS):
            self.at((12 + 14 * number) * DAY + 13 * HOUR, partial(self.spend, number, memo))

    def register(self, owner: Person, number: int, _t: float = 0) -> None:
        template, themes, description = data.PROJECTS[number % len(data.PROJECTS)]
        city = owner.city or data.CITIES[0]
        structure, legal = next(
            (s for s in data.ESS_STRUCTURES if s[0] == owner.name), (owner.name, "association loi 1901")
        )
        project_name = f"{template} — {city[1]}"
        territories = [city[0]] + ([city[2]] if number % 3 == 0 else [])
        document = {
            "schema": "cmir-ess-project/1",
            "name": project_name,
            "structure": structure,
            "legalForm": legal,
            "territories": territories,
            "themes": themes,
            "description": f"{description} Porté par {structure} ({city[1]}, {city[3]}).",
            "website": f"https://example.org/{slug(structure)}",
            "contact": f"contact@{slug(structure)[:30]}.example.org",
        }
        content = (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
        project_id = len(self.projects) + 1
        filename = f"{project_id:02d}-{slug(project_name)[:60]}.json"
        (self.metadata_dir / "ess").mkdir(parents=True, exist_ok=True)
        (self.metadata_dir / "ess" / filename).write_bytes(content)
        uri = f"{self.metadata_url.rstrip('/')}/ess/{filename}"
        self.projects.append((project_id, owner, project_name))
        self.send(owner, "registry", "registerProject", owner.address, uri, keccak(content), gas=800_000)

    def relation(self, number: int, t: float, payer: Person | None = None) -> None:
        """Relation `number`: a random payer (or `payer`) pays a random counterparty."""
        rng = random.Random(SEED * 1000 + number)
        active = self.members(t)
        if len(active) < 2:
            return
        weights = [{"Pilote": 5, "Abeille": 1.5, "EssStructure": 0.6}[p.kind or "Pilote"] for p in active]
        payer = payer or rng.choices(active, weights)[0]
        others = [p for p in active if p is not payer]
        counter_weights = [
            {"Pilote": 1.2, "Abeille": 2.5, "EssStructure": 1.5}[p.kind or "Pilote"] for p in others
        ]
        counterparty = rng.choices(others, counter_weights)[0]
        low, high = (50, 600) if payer.kind == "Pilote" else (15, 150)
        amount = max(15, 5 * round(rng.uniform(low, high) / 5)) * EUR
        prefix = rng.choice(["RDV", "RDV", "INTRO", "SALON", "MISSION"])
        city = (payer.city or data.CITIES[0])[1]
        ref = f"{prefix}-{number:04d}-{slug(city)[:12].upper()}".encode()[:32].ljust(32, b"\0")
        self.send(payer, "pool", "payRelation", counterparty.address, amount, ref, label=f"relation {number}")

    def contribution(self, number: int, t: float) -> None:
        rng = random.Random(SEED * 2000 + number)
        pilotes = self.members(t, "Pilote")
        if not pilotes:
            return
        who = rng.choice(pilotes)
        memo = f"{data.CONTRIBUTION_MEMOS[number % len(data.CONTRIBUTION_MEMOS)]} — {who.name}"[:280]
        self.send(who, "pool", "contribute", rng.choice([200, 500, 750, 1000, 2500]) * EUR, memo)

    def patronage(self, giver: Person, amount: int, _t: float = 0) -> None:
        """A large contribution by `giver`, more than the matured points may earn in an epoch."""
        memo = f"Mécénat de lancement du réseau — {giver.name}"[:280]
        self.send(giver, "pool", "contribute", amount, memo, label="launch patronage")

    def claims(self, number: int, t: float) -> None:
        rng = random.Random(SEED * 3000 + number)
        candidates = [
            p for p in self.people if p.role == "member" and p.join_at is not None and p.join_at < t
        ]
        chosen = [p for p in candidates if rng.random() < 0.35]
        excluded = [p for p in candidates if p.excluded_at is not None and p.excluded_at < t]
        if number == 99:
            chosen += excluded  # an excluded member still claims what it earned
        for p in chosen:
            if int(self.view("pool", "claimableOf", p.address)) > 0:
                self.send(p, "pool", "claim")

    def spend(self, number: int, memo: str, t: float) -> None:
        available = int(self.view("pool", "collectiveAvailable"))
        planned = [450, 900, 1200, 600, 350, 800, 1500, 300, 250, 1800, 1100, 400][number] * EUR
        rules = Rules.demo()
        if t >= self.budget_start + rules.budget_period:  # a period starts with this spending
            self.budget_start, self.budget_spent = t, 0
        left = rules.budget - self.budget_spent
        amount = min(planned, available * 6 // 10 // EUR * EUR, left)
        if amount < 10 * EUR:
            return
        self.budget_spent += amount
        supplier = [p for p in self.people if p.role == "supplier"][number % 5]
        self.send(self.people[0], "pool", "spendCollective", supplier.address, amount, memo)

    # -- governance

    def _calls(self, spec: Any, description: str, label: str) -> tuple[list[Call], str]:
        """The calls and text of a proposal: `spec` is a list of (role, function, *args), or
        "activate" (every registered project not active yet), or "fund:A[:B]" (A and B euros to
        active projects, at the wallet and wallet version on record)."""
        if isinstance(spec, list):
            return [self._call(role, function, *args) for role, function, *args in spec], description
        if spec == "activate":
            payouts = self.payouts()
            waiting = [
                (pid, owner, name, payouts[pid][2], payouts[pid][0])
                for pid, owner, name in self.projects
                if not payouts[pid][1]
            ]
            if not waiting:
                raise SeedError(f"{label}: no project awaits activation")
            numbers = [f"n°{pid}" for pid, *_ in waiting]
            listed = ", ".join(numbers[:-1]) + (" et " if len(numbers) > 1 else "") + numbers[-1]
            text = (
                description.format(numbers=listed, count=len(waiting))
                + "\n\n"
                + " ".join(
                    f"Projet n°{pid} « {name} » ({owner.name}) : versements au portefeuille {wallet} (version {version})."
                    for pid, owner, name, version, wallet in waiting
                )
            )
            calls = [
                self._call("registry", "activateProject", pid, version) for pid, _, _, version, _ in waiting
            ]
            return calls, text
        _, *amounts = spec.split(":")
        wanted = [int(a) * EUR for a in amounts]
        available = int(self.view("pool", "essAvailable"))
        payouts = self.payouts()
        active = [
            (pid, owner, name, payouts[pid][0], payouts[pid][2])
            for pid, owner, name in self.projects
            if payouts[pid][1]
        ]
        rng = random.Random(f"{SEED}-{label}-projects")
        if len(active) < len(wanted):
            raise SeedError(f"{label}: {len(active)} active project(s), {len(wanted)} needed")
        picks = rng.sample(active, len(wanted))
        if sum(wanted) > available and "20000" not in spec:  # keep fundable amounts fundable
            scale = available * 8 // 10 / sum(wanted)
            wanted = [max(EUR, int(w * scale) // EUR * EUR) for w in wanted]
        calls = [
            self._call("pool", "fundEssProject", pid, wallet, version, amount)
            for (pid, _, _, wallet, version), amount in zip(picks, wanted, strict=True)
        ]
        names = [f"le projet n°{pid} « {name} »" for pid, _, name, _, _ in picks]
        text = description.format(
            project=names[0], project2=names[-1], amount=_euros(wanted[0]), amount2=_euros(wanted[-1])
        )
        body = "\n\n" + " ".join(
            f"Versement de {_euros(amount)} du fonds ESS au projet n°{pid} ({owner.name}), portefeuille {wallet}."
            for (pid, owner, _, wallet, _), amount in zip(picks, wanted, strict=True)
        )
        return calls, text + body

    def payouts(self) -> dict[int, tuple[str, bool, int]]:
        """Each registered project's payout wallet, status and wallet version now (one batch)."""
        registry = self.c["registry"]
        answers = self.node.batch(
            [
                (
                    "eth_call",
                    [{"to": registry.address, "data": registry.encode_abi("payoutOf", args=[pid])}, "latest"],
                )
                for pid, _, _ in self.projects
            ]
        )
        found: dict[int, tuple[str, bool, int]] = {}
        for (pid, _, _), answer in zip(self.projects, answers, strict=True):
            wallet, active, version = decode(["address", "bool", "uint64"], bytes.fromhex(answer[2:]))
            found[pid] = (Web3.to_checksum_address(wallet), bool(active), int(version))
        return found

    def _call(self, role: str, function: str, *args: Any) -> Call:
        return Call(
            self.c[role].address, bytes.fromhex(self.c[role].encode_abi(function, args=list(args))[2:])
        )

    def electorate(self, snapshot: float) -> tuple[list[Person], int]:
        """Who votes on a proposal whose snapshot is `snapshot` (members past probation then), and
        its quorum (the members then, probation included, as the Governor counts them)."""
        members = [p for p in self.people if p.role == "member"]
        voters = [p for p in members if p.votes(snapshot - HOUR)]
        counted = sum(
            1
            for p in members
            if p.join_at is not None
            and p.join_at <= snapshot - HOUR
            and (p.excluded_at is None or p.excluded_at > snapshot)
        )
        return voters, Rules.demo().quorum(counted)

    def vote_plan(
        self, label: str, outcome: str, voters: list[Person], quorum: int
    ) -> list[tuple[Person, str]]:
        """Who votes what: shares of the electorate, bent so that the outcome is the one told."""
        shares = {
            "execute": (0.45, 0.10, 0.06),
            "queued": (0.40, 0.12, 0.05),
            "succeeded": (0.38, 0.15, 0.05),
            "expired": (0.40, 0.10, 0.04),
            "against": (0.15, 0.42, 0.05),
            "noquorum": (0.05, 0.02, 0.02),
            "active": (0.22, 0.06, 0.03),
            "guardian": (0.12, 0.03, 0.02),
        }[outcome]
        count = len(voters)
        n_for, n_against, n_abstain = (max(1, round(share * count)) for share in shares)
        if outcome in ("execute", "queued", "succeeded", "expired"):
            n_for = max(n_for, quorum)  # the For votes alone reach the quorum
            n_against = min(n_against, n_for - 1)
        elif outcome == "against":
            n_against = max(n_against, n_for + 1)
            n_abstain = max(n_abstain, quorum - n_for)  # the quorum is reached: the vote defeats it
        elif outcome == "noquorum":
            n_for = max(1, min(n_for, quorum - 2))
            n_abstain = max(0, min(n_abstain, quorum - 1 - n_for))
            n_against = max(0, min(n_against, n_for - 1))
        while n_for + n_against + n_abstain > count and n_abstain:
            n_abstain -= 1
        while n_for + n_against + n_abstain > count and n_against:
            n_against -= 1
        if n_for > count or (outcome in ("execute", "queued", "succeeded", "expired") and n_for < quorum):
            raise SeedError(f"{label}: {count} members may vote, the quorum is {quorum}")
        plan = [(v, "for") for v in voters[:n_for]]
        plan += [(v, "against") for v in voters[n_for : n_for + n_against]]
        plan += [(v, "abstain") for v in voters[n_for + n_against : n_for + n_against + n_abstain]]
        return plan

    def proposal_at(self, t: float, label: str, outcome: str, spec: Any, description: str) -> float:
        """Schedule a proposal (bound to its proposer, a member past probation) and its votes,
        queueing, execution or cancellation (by its author, or by the guardian with a reason);
        returns when it executes (for "execute")."""
        state: dict[str, Any] = {}
        rng = random.Random(f"{SEED}-{label}")

        def propose(now: float) -> None:
            eligible = [p for p in self.people if p.role == "member" and p.votes(now)]
            proposer = rng.choice(eligible)
            calls, text = self._calls(spec, description, label)
            proposal = Proposal(tuple(calls), text).by(proposer.address)
            state.update(proposer=proposer, proposal=proposal)
            self.send(
                proposer,
                "governor",
                "propose",
                proposal.targets,
                proposal.values,
                proposal.calldatas,
                proposal.description,
                gas=3_000_000,
                label=f"propose {label}",
            )

        self.at(t, propose)
        snapshot = t + DAY
        if outcome == "pending":
            return t
        if outcome == "cancel":

            def cancel(now: float) -> None:
                self.send(
                    state["proposer"],
                    "governor",
                    "cancel",
                    *self._ids(state["proposal"]),
                    gas=500_000,
                    label=f"cancel {label}",
                )

            self.at(t + 3 * HOUR, cancel)
            return t
        voters, quorum = self.electorate(snapshot)
        rng.shuffle(voters)
        plan = self.vote_plan(label, outcome, voters, quorum)
        spread = (1.0 if outcome in ("active", "guardian") else 2.8) * DAY
        for number, (voter, support) in enumerate(plan):
            # Votes come in waves, every three hours.
            offset = int(spread * number / max(1, len(plan))) // (3 * HOUR) * (3 * HOUR)
            vote_at = snapshot + 60 + offset
            if outcome == "active":
                vote_at = min(vote_at, int(self.end - 30 * 60))
            reasons = data.VOTE_REASONS[support]

            def cast_vote(
                now: float, v: Person = voter, s: str = support, n: int = number, why: list[str] = reasons
            ) -> None:
                pid = int(self.view("governor", "hashProposal", *self._ids(state["proposal"])))
                code = SUPPORT_NAMES.index(s)
                if n % 3 == 2:
                    self.send(v, "governor", "castVote", pid, code, gas=400_000, label=f"vote {label}")
                else:
                    self.send(
                        v,
                        "governor",
                        "castVoteWithReason",
                        pid,
                        code,
                        why[n % len(why)],
                        gas=500_000,
                        label=f"vote {label}",
                    )

            self.at(vote_at, cast_vote)
        if outcome == "guardian":
            guardian = self.people[GUARDIAN_INDEX]
            self.at(
                snapshot + 1.5 * DAY,
                lambda now: self.send(
                    guardian,
                    "governor",
                    "guardianCancel",
                    *self._ids(state["proposal"]),
                    data.GUARDIAN_REASON,
                    gas=600_000,
                    label=f"guardian cancels {label}",
                ),
            )
            return t
        if outcome in ("execute", "queued"):
            queue_at = snapshot + 3 * DAY + HOUR if outcome == "execute" else self.end - 12 * HOUR
            self.at(
                queue_at,
                lambda now: self.send(
                    state["proposer"],
                    "governor",
                    "queue",
                    *self._ids(state["proposal"]),
                    gas=1_000_000,
                    label=f"queue {label}",
                ),
            )
            if outcome == "execute":
                execute_at = queue_at + DAY + HOUR
                self.at(
                    execute_at,
                    lambda now: self.send(
                        state["proposer"],
                        "governor",
                        "execute",
                        *self._ids(state["proposal"]),
                        gas=3_000_000,
                        label=f"execute {label}",
                    ),
                )
                return execute_at
        return t

    @staticmethod
    def _ids(p: Proposal) -> tuple[list[str], list[int], list[bytes], bytes]:
        return p.targets, p.values, p.calldatas, p.description_hash


def write_accounts(
    people: list[Person], path: Path, keyfile_dir: Path, record: dict[str, Any], genesis: int = 0
) -> None:
    """deployments/demo-accounts.json and one keyfile per account (password "cmir-demo"); a
    member's row gives its joining time and the end of its probation (Unix seconds, from the
    story's `genesis`)."""
    keyfile_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for p in people:
        keyfile = keyfile_dir / f"{p.index:02d}-{slug(p.name)[:40]}.json"
        keyfile.write_text(
            json.dumps(
                Account.encrypt(
                    bytes.fromhex(p.key.removeprefix("0x")), DEMO_PASSWORD, kdf="pbkdf2", iterations=2048
                )
            )
        )
        rows.append(
            {
                "index": p.index,
                "address": p.address,
                "role": p.role,
                "kind": p.kind,
                "name": p.name,
                "city": p.city[1] if p.city else None,
                "region": p.city[3] if p.city else None,
                "sponsor": None if p.sponsor is None else people[p.sponsor].address,
                "admitted_by_governance": p.admitted,
                "joined_at": None if p.join_at is None else genesis + int(p.join_at),
                "votes_from": None if p.join_at is None else genesis + int(p.votes_from),
                "excluded": p.excluded_at is not None,
                "private_key": "0x" + p.key.removeprefix("0x"),
                "keyfile": str(keyfile),
            }
        )
    (keyfile_dir / "password.txt").write_text(DEMO_PASSWORD + "\n")
    path.write_text(
        json.dumps(
            {
                "warning": "anvil's public test keys, for the local demo only: never use them on a real network",
                "mnemonic": MNEMONIC,
                "keyfile_password": DEMO_PASSWORD,
                "password_file": str(keyfile_dir / "password.txt"),
                "chain_id": record["chain_id"],
                "accounts": rows,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def seed(
    rpc_url: str,
    record_path: Path,
    metadata_dir: Path,
    metadata_url: str,
    accounts_file: Path,
    keyfile_dir: Path,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Play the demo on the chain at `rpc_url` (fresh anvil, contracts deployed at genesis time
    by `cmir deploy --settings demo` with `demo_founders()`); returns a summary."""
    started = time.monotonic()
    record = json.loads(record_path.read_text())
    keys = derive_keys()
    people = cast(keys)
    node = Node(rpc_url)
    head = node.call("eth_getBlockByNumber", ["latest", False])
    genesis = int(head["timestamp"], 16) + 60
    if genesis + STORY > time.time() + 60:
        raise SeedError("the chain must start 181 days in the past (anvil --timestamp)")
    seeder = Seeder(rpc_url, record, metadata_dir, metadata_url, people, genesis=genesis, end=STORY, log=log)
    seeder.plan()
    node.call("evm_setAutomine", [False])
    try:
        seeder.run()
    finally:
        node.call("evm_setAutomine", [True])
    # Back to the present: the clock follows wall time from here on.
    last = int(node.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    node.call("evm_setNextBlockTimestamp", [max(last + 1, int(time.time()))])
    node.call("evm_mine")
    write_accounts(people, accounts_file, keyfile_dir, record, genesis)
    summary = {
        "blocks": seeder.blocks,
        "transactions": sum(seeder.counts.values()),
        "by_function": dict(sorted(seeder.counts.items())),
        "members": sum(1 for p in people if p.role == "member"),
        "in_probation": sum(1 for p in people if p.role == "member" and p.votes_from > STORY),
        "projects": len(seeder.projects),
        "projects_awaiting_activation": sum(1 for _, active, _ in seeder.payouts().values() if not active),
        **as_summary(story_figures(seeder.w3, record)),
        "seconds": round(time.monotonic() - started, 1),
    }
    return summary


def main() -> None:
    """Command line: see the module's docstring."""
    parser = argparse.ArgumentParser(description="Seed the CMIR demo on a fresh local anvil chain.")
    parser.add_argument("--rpc", default="http://127.0.0.1:8545")
    parser.add_argument("--deployment", type=Path, default=Path("deployments/local.json"))
    parser.add_argument("--metadata-dir", type=Path, default=Path(".build/stack/metadata"))
    parser.add_argument("--metadata-url", default="http://127.0.0.1:8001")
    parser.add_argument("--accounts-file", type=Path, default=Path("deployments/demo-accounts.json"))
    parser.add_argument("--keyfile-dir", type=Path, default=Path(".build/stack/keyfiles"))
    args = parser.parse_args()
    summary = seed(
        args.rpc, args.deployment, args.metadata_dir, args.metadata_url, args.accounts_file, args.keyfile_dir
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
