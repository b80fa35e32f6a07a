"""Governance at scale on the audit benchmark's chain (`cmir.dev.bench.audit`): proposals by
members past probation, voted For, Against or Abstain with reasons by many members (a few with
no weight: in probation at the snapshot), queued and executed through the timelock, defeated
(no quorum, or more against), canceled (by the guardian at every stage, by the proposer while
pending), expired (never queued, or queued and never executed), and at the chain's end still
pending, active, succeeded or queued. Each proposal's fate is chosen in advance; its votes are
drawn at its snapshot from the members the Governor counts (`benchcrowd.Society` mirrors them)
so that the fate comes true. ESS projects (`Projects`) are registered by ESS members with
``data:`` metadata, activated and funded by proposals, one changes its wallet.
"""

from __future__ import annotations

import base64
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from cmir.dev.bench.chain import EUR, calldata
from cmir.dev.bench.crowd import ESS, Sender, Society

AGAINST, FOR, ABSTAIN = 0, 1, 2
#: Fates whose votes must reach the quorum with more For than Against.
PASSING = {
    "execute",
    "expire-unqueued",
    "expire-queued",
    "cancel-succeeded",
    "cancel-queued",
    "hold-succeeded",
    "hold-queued",
}
#: Fates that queue the proposal.
QUEUED = {"execute", "expire-queued", "cancel-queued", "hold-queued"}
REASONS = (
    "",
    "",
    "",
    "D'accord.",
    "Pas convaincu par le montant.",
    "Je m'abstiens : conflit d'intérêts.",
    "Bonne idée pour le quartier 🌱",
    "Le conseil en a débattu ; je suis la majorité.",
    "Against: the budget should wait for the next epoch.",
    "Pour, à condition d'un bilan dans trois mois. " * 4,
)

Action = tuple[str, bytes]
#: Builds a proposal when its time comes: (actions, title, effect at execution) or None to skip.
Build = Callable[[int], tuple[list[Action], str, Callable[[int], None] | None] | None]


@dataclass
class Poll:
    """One proposal and where it stands."""

    proposer: str
    actions: list[Action]
    title: str
    fate: str
    effect: Callable[[int], None] | None = None
    description: str = ""
    id: int = 0
    created: int = 0
    snapshot: int = 0
    deadline: int = 0
    votes: list[tuple[int, str, int, str]] = field(default_factory=list)  # time, voter, support, reason
    planned: bool = False
    step: str = "voting"  # voting, queued, done
    queued: int = 0
    eta: int = 0
    wait: int = 0  # seconds after the earliest time before the next step

    @property
    def args(self) -> tuple[list[str], list[int], list[bytes], bytes]:
        """(targets, values, calldatas, description hash)."""
        return (
            [t for t, _ in self.actions],
            [0] * len(self.actions),
            [d for _, d in self.actions],
            keccak(text=self.description),
        )


@dataclass
class GovernorSettings:
    """The Governor's and the timelock's settings at deployment."""

    delay: int
    period: int
    timelock: int
    grace: int
    percent: int
    floor: int


class Governance:
    """Proposals sent when their time comes and moved to their fate."""

    def __init__(
        self,
        sender: Sender,
        society: Society,
        contracts: dict[str, str],
        guardian: str,
        settings: GovernorSettings,
        rng: random.Random,
        step: int,
    ) -> None:
        self.sender, self.society, self.rng, self.step = sender, society, rng, step
        self.governor, self.guardian, self.settings = contracts["governor"], guardian, settings
        self.numerator: list[tuple[int, int]] = [(0, settings.percent)]
        self.floor: list[tuple[int, int]] = [(0, settings.floor)]
        self.live: list[Poll] = []
        self.schedule: list[tuple[int, str, Build]] = []  # time, fate, build
        self.fates: Counter[str] = Counter()
        self.votes: Counter[int] = Counter()
        self.zero_weight = 0
        self.proposed = 0
        self.ids: list[int] = []

    # ---------------------------------------------------------------------------- rules

    def quorum(self, snapshot: int) -> int:
        """The Governor's quorum at `snapshot`: the larger of the fraction of the members and the
        floor (at most every member)."""
        members = self.society.supply_at(snapshot)
        percent = [v for t, v in self.numerator if t <= snapshot][-1]
        floor = [v for t, v in self.floor if t <= snapshot][-1]
        return max(members * percent // 100, min(floor, members))

    def set_percent(self, now: int, percent: int) -> None:
        """The quorum fraction changed (an executed proposal)."""
        self.numerator.append((now, percent))

    # ---------------------------------------------------------------------------- proposing

    def plan(self, at: int, fate: str, build: Build) -> None:
        """Propose what `build` gives at time `at`, to meet `fate`."""
        self.schedule.append((at, fate, build))

    def tick(self, now: int) -> None:
        """Propose what is due, then move every live proposal one step."""
        due = [item for item in self.schedule if item[0] <= now]
        if due:
            self.schedule = [item for item in self.schedule if item[0] > now]
            for _, fate, build in due:
                built = build(now)
                if built is not None:
                    self._propose(now, fate, *built)
        for poll in self.live:
            self._move(now, poll)
        self.live = [p for p in self.live if p.step != "done"]

    def _proposer(self, now: int) -> str:
        people = self.society.people
        for _ in range(200):
            who = self.rng.choice(self.society.active)
            if people[who].votes_from <= now - 1:
                return who
        raise RuntimeError(f"no member may propose at {now}")

    def _propose(
        self, now: int, fate: str, actions: list[Action], title: str, effect: Callable[[int], None] | None
    ) -> None:
        proposer = self._proposer(now)
        self.proposed += 1
        body = self.rng.choice(
            (
                "Proposition soumise au vote des membres.",
                "Voir la discussion du conseil de quartier.\n\n- motif : continuité\n- coût : nul",
                "Texte court.",
            )
        )
        poll = Poll(proposer, actions, title, fate, effect)
        poll.description = f"# {title} (n° {self.proposed})\n\n{body}\n\n#proposer={proposer.lower()}"
        targets, values, datas, digest = poll.args
        poll.id = int.from_bytes(
            keccak(
                encode(["address[]", "uint256[]", "bytes[]", "bytes32"], [targets, values, datas, digest])
            ),
            "big",
        )
        self.ids.append(poll.id)
        poll.created, poll.snapshot = now, now + self.settings.delay
        poll.deadline = poll.snapshot + self.settings.period
        data = calldata(
            "propose(address[],uint256[],bytes[],string)", targets, values, datas, poll.description
        )
        self._as(proposer, data, 400_000 + 60_000 * len(actions))
        self.fates[fate] += 1
        if fate == "cancel-pending":
            self._guardian_cancel(poll, "Proposition retirée : hors du mandat")
        elif fate == "cancel-proposer":
            self._as(proposer, calldata("cancel(address[],uint256[],bytes[],bytes32)", *poll.args), 300_000)
            poll.step = "done"
        if poll.step != "done":
            poll.wait = self.rng.randrange(0, 5) * self.step
            self.live.append(poll)

    def _as(self, who: str, data: bytes, gas: int) -> None:
        self.sender.call(who, self.governor, data, eoa=self.society.people[who].eoa, gas=gas)

    def _guardian_cancel(self, poll: Poll, reason: str) -> None:
        data = calldata("guardianCancel(address[],uint256[],bytes[],bytes32,string)", *poll.args, reason)
        self.sender.call(self.guardian, self.governor, data, eoa=True, gas=400_000)
        poll.step = "done"

    # ---------------------------------------------------------------------------- voting

    def _plan_votes(self, now: int, poll: Poll) -> None:
        """Draw the voters among those the Governor counts at the snapshot, so that the fate
        comes true; spread their votes over the voting period."""
        poll.planned = True
        eligible = self.society.eligible(poll.snapshot)
        quorum, count, rng = self.quorum(poll.snapshot), len(eligible), self.rng
        fate = poll.fate
        if (fate in PASSING and count < quorum) or (fate == "defeat-against" and count < quorum * 3 // 2 + 5):
            self.fates[fate] -= 1  # too few members vote yet: it cannot pass (or be outvoted)
            fate = poll.fate = "defeat-quorum"
            self.fates[fate] += 1
        if fate in PASSING:
            yes = min(count, quorum + rng.randint(0, max(1, quorum // 10)))
            abstain = min(count - yes, rng.randint(0, quorum // 8))
            no = min(count - yes - abstain, rng.randint(0, yes // 3))
        elif fate == "defeat-against":
            yes = quorum // 2 + 1
            abstain = quorum - yes
            no = yes + rng.randint(0, 3)
        elif fate == "defeat-quorum":
            most = max(0, min(quorum - 1, count, 30))
            yes = rng.randint(0, most)
            abstain = rng.randint(0, most - yes)
            no = rng.randint(0, min(count - yes - abstain, 8))
        else:  # canceled while active, or still active at the end
            yes = rng.randint(0, min(count, 10))
            abstain = rng.randint(0, min(count - yes, 3))
            no = rng.randint(0, min(count - yes - abstain, 5))
        voters = rng.sample(eligible, yes + no + abstain)
        supports = [FOR] * yes + [AGAINST] * no + [ABSTAIN] * abstain
        ballots = list(zip(voters, supports, strict=True))
        if rng.random() < 0.1:  # members in probation at the snapshot vote with no weight
            waiting = self.society.in_probation(poll.snapshot)
            for who in rng.sample(waiting, min(2, len(waiting))):
                ballots.append((who, rng.choice((FOR, AGAINST, ABSTAIN))))
                self.zero_weight += 1
        last = max(now, poll.deadline - self.step)
        poll.votes = sorted(
            (rng.randint(now, last), who, support, rng.choice(REASONS)) for who, support in ballots
        )

    def _vote(self, now: int, poll: Poll) -> None:
        while poll.votes and poll.votes[0][0] <= now:
            _, voter, support, reason = poll.votes.pop(0)
            data = calldata("castVoteWithReason(uint256,uint8,string)", poll.id, support, reason)
            self._as(voter, data, 150_000)
            self.votes[support] += 1

    # ---------------------------------------------------------------------------- steps

    def _move(self, now: int, poll: Poll) -> None:
        fate = poll.fate
        if poll.step == "voting":
            if now > poll.snapshot and now <= poll.deadline:
                if not poll.planned:
                    self._plan_votes(now, poll)
                self._vote(now, poll)
                if fate == "cancel-active" and poll.created + poll.wait + 60 <= now:
                    self._guardian_cancel(poll, "Annulée par le conseil de surveillance en cours de vote")
                return
            if now <= poll.deadline:
                return
            if fate not in PASSING:
                poll.step = "done"  # defeated (or active until the end)
            elif fate in ("expire-unqueued", "hold-succeeded"):
                poll.step = "done"
            elif now >= poll.deadline + poll.wait:
                if fate == "cancel-succeeded":
                    self._guardian_cancel(poll, "Approuvée mais contraire aux statuts")
                    return
                queue = calldata("queue(address[],uint256[],bytes[],bytes32)", *poll.args)
                self._as(self.rng.choice(self.society.payers), queue, 400_000 + 100_000 * len(poll.actions))
                poll.step, poll.queued, poll.eta = "queued", now, now + self.settings.timelock
                poll.wait = self.rng.randrange(0, 10) * self.step
        elif poll.step == "queued":
            if fate == "execute" and now >= poll.eta + poll.wait:
                execute = calldata("execute(address[],uint256[],bytes[],bytes32)", *poll.args)
                self._as(self.rng.choice(self.society.payers), execute, 500_000 + 300_000 * len(poll.actions))
                if poll.effect is not None:
                    poll.effect(now)
                poll.step = "done"
            elif fate == "cancel-queued" and now >= poll.queued + 2 * self.step:
                self._guardian_cancel(poll, "Suspendue avant exécution")
            elif fate not in ("execute", "cancel-queued"):
                poll.step = "done"  # left queued: it expires, or is still queued at the end


class Projects:
    """ESS projects: registered by ESS members, activated and funded by proposals."""

    def __init__(
        self, sender: Sender, society: Society, contracts: dict[str, str], rng: random.Random
    ) -> None:
        self.sender, self.society, self.rng = sender, society, rng
        self.registry, self.pool = contracts["registry"], contracts["pool"]
        self.wallets: dict[int, tuple[str, int]] = {}  # project id -> wallet, version
        self.owners: dict[int, str] = {}

    def owner(self) -> str | None:
        """An active ESS structure of the crowd."""
        people = self.society.people
        owners = [a for a in self.society.payers if people[a].kind == ESS]
        return self.rng.choice(owners) if owners else None

    @staticmethod
    def document(number: int, version: int) -> bytes:
        """A project's metadata document."""
        return json.dumps(
            {
                "name": f"Projet ESS n° {number}",
                "description": f"Épicerie solidaire et atelier vélo, version {version}.",
                "website": f"https://example.org/ess/{number}",
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    def register(self, wrong_hash: bool = False) -> bool:
        """An ESS member registers a project (`wrong_hash`: its metadata's hash is not the one
        registered); False when no ESS member is there yet."""
        owner = self.owner()
        if owner is None:
            return False
        number = len(self.wallets) + 1
        wallet = self.society.newcomer()  # a crowd address that never joins: the payout wallet
        document = self.document(number, 1)
        uri = "data:application/json;base64," + base64.b64encode(document).decode()
        digest = keccak(document + (b" " if wrong_hash else b""))
        data = calldata("registerProject(address,string,bytes32)", wallet, uri, digest)
        self.sender.call(owner, self.registry, data, gas=400_000)
        self.wallets[number], self.owners[number] = (wallet, 1), owner
        return True

    def move_wallet(self, number: int) -> None:
        """The owner gives project `number` a new wallet: it is deactivated, version + 1."""
        owner = self.owners[number]
        version = self.wallets[number][1]
        new = self.society.newcomer()
        document = self.document(number, version + 1)
        uri = "data:application/json;base64," + base64.b64encode(document).decode()
        data = calldata("updateProject(uint256,address,string,bytes32)", number, new, uri, keccak(document))
        self.sender.call(owner, self.registry, data, gas=400_000)
        self.wallets[number] = (new, version + 1)

    def fund(self, number: int, activate: bool, amount: int = 0) -> list[Action]:
        """Actions activating project `number` (its current wallet version) and funding it."""
        wallet, version = self.wallets[number]
        actions: list[Action] = []
        if activate:
            actions.append((self.registry, calldata("activateProject(uint256,uint64)", number, version)))
        amount = amount or (200 + 50 * number) * EUR
        data = calldata("fundEssProject(uint256,address,uint64,uint256)", number, wallet, version, amount)
        actions.append((self.pool, data))
        return actions

    def deactivate(self, number: int) -> list[Action]:
        """An action deactivating project `number`."""
        return [(self.registry, calldata("deactivateProject(uint256)", number))]
