"""The crowd of the audit benchmark's chain (`cmir.dev.bench.audit`): thousands of members that
join the real way and pay relations, in few transactions.

Members are `CrowdMember` contracts (``contracts/test/BenchCrowd.sol``) at CREATE2 addresses of
one `BenchCrowd`, which has many of them act in one transaction; the founders, the steward and
the guardian stay anvil's unlocked accounts. `Sender` keeps a block's calls in the order the story
made them (anvil runs with ``--order fifo``). `Society` mirrors the Membership's rules
(``contracts/Membership.sol``: invitations within an allowance that refills one per period after
probation up to a cap, probation, ESS structures attested, exclusions) so that every invitation
and acceptance it sends succeeds, and picks each relation's payer and counterparty.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cmir.dev.bench.chain import EUR, Miner, artifacts, calldata

ZERO = "0x0000000000000000000000000000000000000000"
PILOTE, ABEILLE, ESS = 0, 1, 2
#: Gas of one crowd transaction at most (anvil has no per-transaction cap; blocks hold 4e9).
TX_GAS = 60_000_000
#: Gas budgets per call (generous: a budget only caps what a call may use).
GAS = {"spawn": 260_000, "pay": 160_000, "claim": 120_000, "call": 250_000}


class Sender:
    """A block's transactions in the story's order: crowd calls gathered into `BenchCrowd`
    transactions (``act``, ``pay``, ``claimAll``), an account's own transaction sent when it
    comes, after the crowd calls queued before it."""

    def __init__(self, miner: Miner, deployer: str, contracts: dict[str, str]) -> None:
        self.miner, self.deployer = miner, deployer
        types = artifacts()
        code = bytes.fromhex(str(types["BenchCrowd"]["deploymentBytecode"]["bytecode"])[2:])
        miner.send(deployer, None, code + encode(["address"], [contracts["pool"]]), 3_000_000)
        self.crowd = to_checksum_address(miner.mine()[0]["contractAddress"])
        member = bytes.fromhex(str(types["CrowdMember"]["deploymentBytecode"]["bytecode"])[2:])
        self._init_hash = keccak(
            member + encode(["address", "address"], [contracts["token"], contracts["pool"]])
        )
        self.spawned = 0
        self.next_ref = 1
        self.kind = ""
        self.items: list[tuple[Any, ...]] = []
        self.gas = 0
        self.transactions = 0

    def member(self, number: int) -> str:
        """The address of crowd member `number` (CREATE2, salt = the number)."""
        salt = number.to_bytes(32, "big")
        return to_checksum_address(
            keccak(b"\xff" + bytes.fromhex(self.crowd[2:]) + salt + self._init_hash)[12:]
        )

    def spawn(self, count: int) -> list[str]:
        """Deploy `count` more members (each mints itself test euros and approves the pool)."""
        first = self.spawned
        self.flush()
        per_tx = TX_GAS // GAS["spawn"]
        for start in range(0, count, per_tx):
            n = min(per_tx, count - start)
            self._send(calldata("spawn(uint256)", n), n * GAS["spawn"])
        self.spawned += count
        return [self.member(n) for n in range(first, first + count)]

    def call(self, actor: str, target: str, data: bytes, eoa: bool = False, gas: int = GAS["call"]) -> None:
        """`actor` calls `target` with `data`: through the crowd, or as an account (`eoa`)."""
        if eoa:
            self.flush()
            self.miner.send(actor, target, data, gas + 40 * len(data) + 100_000)
            self.transactions += 1
            return
        self._add("act", (actor, target, data), gas + 40 * len(data) + 2_000)

    def pay(self, payer: str, counterparty: str, amount: int) -> None:
        """A relation paid by crowd member `payer`."""
        self._add("pay", (payer, counterparty, amount), GAS["pay"])

    def claim(self, member: str) -> None:
        """Crowd member `member` claims if it has something to claim."""
        self._add("claim", (member,), GAS["claim"])

    def _add(self, kind: str, item: tuple[Any, ...], gas: int) -> None:
        if kind != self.kind or self.gas + gas > TX_GAS:
            self.flush()
        self.kind = kind
        self.items.append(item)
        self.gas += gas

    def flush(self) -> None:
        """Send the gathered crowd calls as one transaction."""
        items, kind, gas = self.items, self.kind, self.gas
        self.items, self.kind, self.gas = [], "", 0
        if not items:
            return
        if kind == "act":
            who, targets, datas = (list(column) for column in zip(*items, strict=True))
            data = calldata("act(address[],address[],bytes[])", who, targets, datas)
        elif kind == "pay":
            payers, counterparties, amounts = (list(column) for column in zip(*items, strict=True))
            data = calldata(
                "pay(address[],address[],uint256[],uint256)", payers, counterparties, amounts, self.next_ref
            )
            self.next_ref += len(items)
        else:
            data = calldata("claimAll(address[])", [who for (who,) in items])
        self._send(data, gas)

    def _send(self, data: bytes, gas: int) -> None:
        self.miner.send(self.deployer, self.crowd, data, gas + 40 * len(data) + 200_000)
        self.transactions += 1


@dataclass
class Person:
    """A member as the Membership records it (the mirror's copy)."""

    address: str
    kind: int
    sponsor: str
    joined: int
    votes_from: int
    anchor: int  # invitations accrue from here
    eoa: bool = False
    excluded_at: int = 0
    partners: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Not excluded."""
        return self.excluded_at == 0


@dataclass
class Invitation:
    """An invitation sent, and what becomes of it: ``accept`` (at `due`), ``expire`` (never
    accepted; `renew`: the same sponsor invites again once it expired), ``revoke`` (by the
    sponsor at `due`), ``governance`` (left for a proposal to revoke)."""

    sponsor: str
    invitee: str
    kind: int
    expires: int
    fate: str
    due: int
    renew: bool = False
    done: bool = False
    attester: str = ZERO  # an ESS structure's


@dataclass
class Rules:
    """The Membership's governed rules."""

    probation: int
    period: int
    cap: int
    ttl: int


class Society:
    """The Membership's rules mirrored: who is a member, who may invite, who votes."""

    def __init__(self, sender: Sender, contracts: dict[str, str], rules: Rules, rng: random.Random) -> None:
        self.sender, self.rng, self.rules = sender, rng, rules
        self.membership, self.pool = contracts["membership"], contracts["pool"]
        self.people: dict[str, Person] = {}
        self.active: list[str] = []  # active members, founders included
        self.payers: list[str] = []  # active crowd members
        self.voters: list[tuple[int, str]] = []  # (votes_from, address), in join order
        self.supply: list[tuple[int, int]] = []  # (time, active members) checkpoints
        self.pending: list[Invitation] = []
        self.awaiting_governance: list[Invitation] = []
        self.invited: set[str] = set()
        self.fresh: list[str] = []  # spawned crowd members never invited
        self.attesters: list[str] = []
        self.counts = {"invited": 0, "joined": 0, "revoked": 0, "excluded": 0, "admitted": 0, "renewed": 0}
        self.on_join: list[Callable[[Person], None]] = []
        self.paid = 0  # relations sent
        self.excluded: list[str] = []

    # ---------------------------------------------------------------------------- the rules

    def credits(self, person: Person, now: int) -> int:
        """Invitations `person` may send at `now` (Membership._credits)."""
        if now < person.anchor:
            return 0
        return min((now - person.anchor) // self.rules.period, self.rules.cap)

    def supply_at(self, timepoint: int) -> int:
        """Active members at `timepoint` (the Membership's checkpoint lookup)."""
        index = bisect.bisect_right(self.supply, (timepoint, 1 << 62)) - 1
        return self.supply[index][1] if index >= 0 else 0

    def eligible(self, snapshot: int) -> list[str]:
        """Members whose vote counts at `snapshot`: past probation, not excluded by then."""
        end = bisect.bisect_right(self.voters, (snapshot, "~"))
        people = self.people
        return [
            who
            for _, who in self.voters[:end]
            if not people[who].excluded_at or snapshot < people[who].excluded_at
        ]

    def in_probation(self, now: int) -> list[str]:
        """Active members still in probation at `now`."""
        start = bisect.bisect_right(self.voters, (now, "~"))
        return [who for _, who in self.voters[start:] if self.people[who].active]

    def _checkpoint(self, now: int, delta: int) -> None:
        count = (self.supply[-1][1] if self.supply else 0) + delta
        if self.supply and self.supply[-1][0] == now:
            self.supply[-1] = (now, count)
        else:
            self.supply.append((now, count))

    # ---------------------------------------------------------------------------- joining

    def found(self, address: str, kind: int, joined: int) -> None:
        """A founder (an account, no sponsor or probation, a full allowance)."""
        full = self.rules.cap * self.rules.period
        self._enter(Person(address, kind, ZERO, joined, joined, max(joined - full, 0), eoa=True), joined)

    def _enter(self, person: Person, now: int) -> None:
        self.people[person.address] = person
        self.active.append(person.address)
        if not person.eoa:
            self.payers.append(person.address)
        self.voters.append((person.votes_from, person.address))
        self._checkpoint(now, 1)
        others = [a for a in self.active[-400:] if a != person.address]
        picks = self.rng.sample(others, min(3, len(others)))
        person.partners = ([person.sponsor] if person.sponsor != ZERO else []) + picks
        for hook in self.on_join:
            hook(person)

    def join(self, now: int, address: str, kind: int, sponsor: str, by_governance: bool = False) -> None:
        """`address` becomes a member at `now` (the mirror only)."""
        votes_from = now + self.rules.probation
        self._enter(Person(address, kind, sponsor, now, votes_from, votes_from), now)
        self.counts["admitted" if by_governance else "joined"] += 1

    def newcomer(self) -> str:
        """A crowd member never invited (spawned in advance)."""
        if not self.fresh:
            raise RuntimeError("the crowd ran out of spawned members: spawn more")
        return self.fresh.pop()

    def invite(self, now: int, sponsor: str, invitee: str, kind: int, fate: str, due: int) -> Invitation:
        """`sponsor` invites `invitee` now (it must have a credit); ESS structures are attested."""
        person = self.people[sponsor]
        available = self.credits(person, now)
        if available < 1 or now < person.votes_from or not person.active:
            raise RuntimeError(f"{sponsor} may not invite at {now}")
        rules = self.rules
        person.anchor = (
            now - (rules.cap - 1) * rules.period if available >= rules.cap else person.anchor + rules.period
        )
        invitation = Invitation(sponsor, invitee, kind, now + rules.ttl, fate, due)
        self.sender.call(
            sponsor, self.membership, calldata("invite(address,uint8)", invitee, kind), eoa=person.eoa
        )
        if kind == ESS:
            invitation.attester = self.rng.choice(self.attesters)
            data = calldata("attestEssStructure(address)", invitee)
            self.sender.call(invitation.attester, self.membership, data)
        self.invited.add(invitee)
        self.pending.append(invitation)
        self.counts["invited"] += 1
        return invitation

    def sponsors(self, now: int, count: int) -> list[str]:
        """Up to `count` members who may invite now, drawn at random (one invitation each)."""
        found: list[str] = []
        seen: set[str] = set()
        for _ in range(count * 6 + 20):
            if len(found) >= count or not self.active:
                break
            who = self.rng.choice(self.active)
            person = self.people[who]
            if who in seen or now < person.votes_from or self.credits(person, now) < 1:
                continue
            seen.add(who)
            found.append(who)
        return found

    def grow(self, now: int, count: int, last: int, step: int) -> None:
        """Send about `count` invitations now, most to be accepted a few blocks later; some expire
        (a few renewed), some are revoked, a few wait for governance; those sent in the story's
        last hour may still be pending at its end (`last`: the last block's time)."""
        kinds = (PILOTE, ABEILLE, ESS) if self.attesters else (PILOTE, ABEILLE)
        weights = (45, 45, 10) if self.attesters else (50, 50)
        for sponsor in self.sponsors(now, count):
            kind = self.rng.choices(kinds, weights)[0]
            roll = self.rng.random()
            delay = step * self.rng.randint(1, 4)
            if roll < 0.03:
                fate, renew = "expire", self.rng.random() < 0.2
            elif roll < 0.04:
                fate, renew = "revoke", False
            elif roll < 0.043:
                fate, renew = "governance", False
            else:
                fate, renew = "accept", False
                if last - now < 3_600 and self.rng.random() < 0.3:
                    delay = 4_000  # still pending at the end
            invitation = self.invite(now, sponsor, self.newcomer(), kind, fate, now + delay)
            invitation.renew = renew
            if fate == "governance":
                self.awaiting_governance.append(invitation)
            if kind != ESS and self.rng.random() < 0.005:  # a second sponsor invites the same newcomer
                for other in self.sponsors(now, 1):
                    if other != sponsor:
                        self.invite(now, other, invitation.invitee, kind, "expire", 0)

    def settle(self, now: int) -> None:
        """Accept, revoke or renew the invitations whose time has come."""
        keep: list[Invitation] = []
        for invitation in self.pending:
            if invitation.done:
                continue
            sponsor = self.people[invitation.sponsor]
            if invitation.fate == "accept" and now >= invitation.due:
                invitation.done = True
                if (
                    now < invitation.expires
                    and sponsor.active
                    and invitation.invitee not in self.people
                    and (invitation.kind != ESS or invitation.attester in self.attesters)
                ):
                    self._accept(now, invitation)
                continue
            if invitation.fate == "revoke" and now >= invitation.due:
                invitation.done = True
                self._revoke(invitation)
                continue
            if invitation.fate == "expire" and invitation.renew and now >= invitation.expires:
                if sponsor.active and now >= sponsor.votes_from and self.credits(sponsor, now) >= 1:
                    invitation.done = True
                    self.counts["renewed"] += 1
                    self.invite(now, invitation.sponsor, invitation.invitee, invitation.kind, "accept", now)
                    continue
            if invitation.fate == "expire" and now >= invitation.expires and not invitation.renew:
                invitation.done = True
                continue
            keep.append(invitation)
        self.pending = keep

    def _accept(self, now: int, invitation: Invitation) -> None:
        data = calldata("acceptInvitation(address,uint8)", invitation.sponsor, invitation.kind)
        self.sender.call(invitation.invitee, self.membership, data)
        self.join(now, invitation.invitee, invitation.kind, invitation.sponsor)

    def _revoke(self, invitation: Invitation, by_governance: bool = False) -> None:
        sponsor = self.people[invitation.sponsor]
        period = self.rules.period
        sponsor.anchor = sponsor.anchor - period if sponsor.anchor > period else 0
        if not by_governance:
            data = calldata("revokeInvitation(address,address)", invitation.invitee, invitation.sponsor)
            self.sender.call(invitation.sponsor, self.membership, data, eoa=sponsor.eoa)
        self.counts["revoked"] += 1

    def revoked_by_governance(self, invitation: Invitation) -> None:
        """A proposal revoking `invitation` was executed (the mirror only)."""
        self._revoke(invitation, by_governance=True)

    def exclude(self, now: int, member: str) -> None:
        """A proposal excluding `member` was executed (the mirror only)."""
        person = self.people[member]
        person.excluded_at = now
        self.active.remove(member)
        if member in self.payers:
            self.payers.remove(member)
        self._checkpoint(now, -1)
        self.excluded.append(member)
        self.counts["excluded"] += 1

    # ---------------------------------------------------------------------------- activity

    def relations(self, count: int) -> None:
        """`count` relations between active members: most with a member's usual partners."""
        people, rng = self.people, self.rng
        if len(self.active) < 2 or not self.payers:
            return
        for _ in range(count):
            payer = rng.choice(self.payers)
            partners = people[payer].partners
            counterparty = (
                rng.choice(partners) if partners and rng.random() < 0.75 else rng.choice(self.active)
            )
            if counterparty == payer or not people[counterparty].active:
                counterparty = rng.choice(self.active)
                if counterparty == payer:
                    continue
            amount = 10 * EUR + rng.randrange(0, 50) * EUR + rng.randrange(0, 100) * EUR // 100
            self.sender.pay(payer, counterparty, amount)
            self.paid += 1
