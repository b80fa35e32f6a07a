"""The story of the audit benchmark's chain (`cmir.dev.bench.audit`), told block by block.

Over `AuditPlan.blocks` blocks (six hours of chain time by default): a village phase (the first
third) where the founders' first members invite others within their allowance, governance names
attesters (ESS structures are attested, two admitted), excludes, funds ESS projects and lowers
the quorum to 5 %; a town phase where membership grows to 97 % of `members`; a city phase where
it reaches `members` (newcomers then pay a membership fee; the last ones are still in probation at
the end), the rules, shares, weights and epoch length change, more members are excluded, a
project moves its wallet and is funded again. All along, relations (`benchcrowd.Society`),
contributions, claims, steward spends, a surplus, and proposals of every fate
(`benchpolls.Governance`); the last block leaves proposals pending, active, succeeded and queued.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmir.dev.bench.chain import EUR, Miner, Rpc, calldata, say, selector
from cmir.dev.bench.crowd import ABEILLE, ESS, PILOTE, ZERO, Rules, Sender, Society
from cmir.dev.bench.polls import Action, Governance, GovernorSettings, Projects

if TYPE_CHECKING:
    from cmir.dev.bench.audit import AuditPlan

#: Blocks at the end whose proposals are left in every state.
TAIL = 400
Effect = Callable[[int], None]


class TracingMiner(Miner):
    """A `Miner` that explains a failed transaction by its innermost reverted call (anvil's
    ``debug_traceTransaction``): a crowd transaction makes many calls."""

    def _why(self, receipt: dict[str, Any] | None) -> str:
        if receipt is None:
            return "no receipt"
        trace = self.rpc.call(
            "debug_traceTransaction", [receipt["transactionHash"], {"tracer": "callTracer"}]
        )
        path: list[str] = []
        while True:
            path.append(f"{trace.get('to')} {str(trace.get('input', ''))[:10]} {trace.get('error', '')}")
            failed = [c for c in trace.get("calls", []) if c.get("error")]
            if not failed:
                return " > ".join(path) + f" output {str(trace.get('output', ''))[:330]}"
            trace = failed[-1]


class Story:
    """The generator's state: the crowd, the mirror of the rules, governance, the clock."""

    def __init__(self, rpc: Rpc, record: Path, plan: AuditPlan) -> None:
        deployment = json.loads(record.read_text())
        self.contracts = contracts = {role: e["address"] for role, e in deployment["contracts"].items()}
        accounts: list[str] = rpc.call("eth_accounts")
        self.deployer, self.founders = accounts[0], accounts[1:4]
        self.steward, guardian = accounts[4], accounts[5]
        self.plan, self.rng = plan, random.Random(plan.seed)  # noqa: S311 (a story, not a secret)
        self.miner = miner = TracingMiner(rpc, plan.seconds_per_block)
        self.sender = Sender(miner, self.deployer, contracts)
        membership, governor = contracts["membership"], contracts["governor"]
        rules = miner.view(membership, "rules()", "(uint48,uint48,uint16,uint48)")
        self.society = Society(self.sender, contracts, Rules(*rules), self.rng)
        for founder, kind in zip(self.founders, (PILOTE, ABEILLE, ESS), strict=True):
            record_ = miner.view(
                membership, "memberOf(address)", "(address,uint48,uint8,uint16,uint48,uint48)", founder
            )
            self.society.found(founder, kind, int(record_[1]))
        settings = GovernorSettings(
            delay=int(miner.view(governor, "votingDelay()", "uint256")),
            period=int(miner.view(governor, "votingPeriod()", "uint256")),
            timelock=int(miner.view(contracts["timelock"], "getMinDelay()", "uint256")),
            grace=int(miner.view(governor, "approvalGracePeriod()", "uint256")),
            percent=int(miner.view(governor, "quorumNumerator()", "uint256")),
            floor=int(miner.view(governor, "quorumFloor()", "uint256")),
        )
        step = plan.seconds_per_block
        self.governance = Governance(self.sender, self.society, contracts, guardian, settings, self.rng, step)
        self.projects = Projects(self.sender, self.society, contracts, self.rng)
        self.events: dict[int, list[Effect]] = {}
        self.doomed: set[str] = set()
        self.claims = self.contributions = self.spends = 0
        self.start = miner.time

    # ---------------------------------------------------------------------------- helpers

    def at(self, block: int, effect: Effect) -> None:
        """Run `effect` (given the block's time) while building block number `block`."""
        self.events.setdefault(block, []).append(effect)

    def time_of(self, block: int) -> int:
        """The timestamp block number `block` of the story will have."""
        return self.start + (block + 1) * self.plan.seconds_per_block

    def propose(
        self, block: int, build: Callable[[int], tuple[list[Action], str, Effect | None] | None]
    ) -> None:
        """A proposal to execute, sent while building block `block`."""
        self.governance.plan(self.time_of(block), "execute", build)

    def call(self, role: str, signature: str, *args: Any) -> Action:
        """An action: `signature` called on the contract of `role`."""
        return (self.contracts[role], calldata(signature, *args))

    def target(self, block: int) -> int:
        """Members (founders aside) the story wants joined or joining by block `block`."""
        plan = self.plan
        village, town = plan.blocks // 3, plan.blocks // 2
        first = max(20, plan.members * 3 // 100)
        big = plan.members * 97 // 100
        final = plan.members + plan.members // 100 + 50
        if block < village:
            return first * block // village
        if block < town:
            return int(first * (big / first) ** ((block - village) / (town - village)))
        return big + (final - big) * (block - town) // (plan.blocks - town)

    def victims(self, count: int) -> list[str]:
        """Crowd members to exclude: not attesters nor project owners."""
        keep = set(self.society.attesters) | set(self.projects.owners.values()) | self.doomed
        pool = [a for a in self.society.payers if a not in keep]
        chosen = self.rng.sample(pool, min(count, len(pool)))
        self.doomed.update(chosen)  # never in two exclusions
        return chosen

    # ---------------------------------------------------------------------------- the script

    def script(self) -> None:
        """Schedule the story's governance and events."""
        plan, society, rng = self.plan, self.society, self.rng
        blocks = plan.blocks
        village, town, tail = blocks // 3, blocks // 2, blocks - TAIL
        attesters = [society.newcomer(), society.newcomer()]

        def name_attester(which: int, allowed: bool) -> Callable[[int], tuple[list[Action], str, Effect]]:
            def build(_now: int) -> tuple[list[Action], str, Effect]:
                who = attesters[which]

                def effect(_t: int) -> None:
                    if allowed:
                        society.attesters.append(who)
                    else:
                        society.attesters.remove(who)

                title = f"{'Nommer' if allowed else 'Retirer'} l'attestataire {which + 1} des structures ESS"
                return [self.call("membership", "setAttester(address,bool)", who, allowed)], title, effect

            return build

        def exclude(count: int) -> Callable[[int], tuple[list[Action], str, Effect] | None]:
            def build(_now: int) -> tuple[list[Action], str, Effect] | None:
                chosen = self.victims(count)
                if not chosen:
                    return None
                actions = [
                    self.call(
                        "membership", "exclude(address,string)", who, f"Manquement à la charte ({n + 1})"
                    )
                    for n, who in enumerate(chosen)
                ]

                def effect(t: int) -> None:
                    for who in chosen:
                        society.exclude(t, who)

                return actions, f"Exclure {len(chosen)} membre(s)", effect

            return build

        def admit(_now: int) -> tuple[list[Action], str, Effect]:
            ess, pilote = society.newcomer(), society.newcomer()
            sponsor = rng.choice(self.founders)  # never excluded: the admission cannot fail
            actions = [
                self.call("membership", "admit(address,uint8,address)", ess, ESS, ZERO),
                self.call("membership", "admit(address,uint8,address)", pilote, PILOTE, sponsor),
            ]

            def effect(t: int) -> None:
                society.join(t, ess, ESS, ZERO, by_governance=True)
                society.join(t, pilote, PILOTE, sponsor, by_governance=True)

            return actions, "Admettre une structure ESS et une pilote", effect

        def percent(_now: int) -> tuple[list[Action], str, Effect]:
            def effect(t: int) -> None:
                self.governance.set_percent(t, 5)

            return [self.call("governor", "updateQuorumNumerator(uint256)", 5)], "Quorum à 5 %", effect

        def revoke(_now: int) -> tuple[list[Action], str, Effect] | None:
            waiting = [i for i in society.awaiting_governance if not i.done]
            if not waiting:
                return None
            for invitation in waiting:
                invitation.done = True  # never in two proposals
            actions = [
                self.call("membership", "revokeInvitation(address,address)", i.invitee, i.sponsor)
                for i in waiting
            ]

            def effect(_t: int) -> None:
                for invitation in waiting:
                    society.revoked_by_governance(invitation)

            return actions, f"Révoquer {len(waiting)} invitation(s)", effect

        def rules(_now: int) -> tuple[list[Action], str, Effect]:
            new = Rules(120, society.rules.period, society.rules.cap, society.rules.ttl)

            def effect(_t: int) -> None:
                society.rules = new

            data = ((new.probation, new.period, new.cap, new.ttl),)
            return (
                [self.call("membership", "setRules((uint48,uint48,uint16,uint48))", *data)],
                "Probation de 2 min",
                effect,
            )

        def fee(_now: int) -> tuple[list[Action], str, None]:
            return (
                [self.call("membership", "setMembershipFee(uint256)", 2 * EUR)],
                "Cotisation de 2 EUR",
                None,
            )

        def shares(_now: int) -> tuple[list[Action], str, None]:
            return (
                [
                    self.call("pool", "setShares((uint16,uint16,uint16))", (4500, 3500, 2000)),
                    self.call(
                        "pool", "setPointWeights((uint16,uint16,uint16,uint16))", (2500, 4500, 1500, 1500)
                    ),
                    self.call("pool", "setEpochLength(uint256)", 90),
                ],
                "Parts, poids, époques de 90 s",
                None,
            )

        def epochs(_now: int) -> tuple[list[Action], str, None]:
            return (
                [
                    self.call("pool", "setEpochLength(uint256)", 45),
                    self.call("pool", "setEpochRewardCap(uint256)", 5000),
                ],
                "Époques de 45 s, plafond 50 %",
                None,
            )

        def fund(number: int, activate: bool) -> Callable[[int], tuple[list[Action], str, None] | None]:
            def build(_now: int) -> tuple[list[Action], str, None] | None:
                if number not in self.projects.wallets:
                    return None
                verb = "Activer et financer" if activate else "Financer"
                return self.projects.fund(number, activate), f"{verb} le projet ESS {number}", None

            return build

        def deactivate(_now: int) -> tuple[list[Action], str, None] | None:
            if 2 not in self.projects.wallets:
                return None
            return self.projects.deactivate(2), "Désactiver le projet ESS 2", None

        # Village: attesters, projects, exclusions, admissions, then a 5 % quorum.
        self.propose(1, name_attester(0, True))
        self.at(village * 3 // 10, self.register(2))
        self.propose(village * 35 // 100, fund(1, True))
        self.propose(village * 36 // 100, fund(2, True))
        self.propose(village // 2, exclude(2))
        self.propose(village * 55 // 100, admit)
        self.propose(village * 6 // 10, name_attester(1, True))
        self.at(village * 65 // 100, self.register(1, wrong_hash=True))
        self.propose(village * 7 // 10, fund(1, False))
        self.propose(village * 9 // 10, percent)
        # Town: invitations revoked by governance, exclusions.
        self.propose(village + 10, revoke)
        self.propose((village + town) // 2, exclude(3))
        # City: rules, fee, shares, attester withdrawn, exclusions, a project's new wallet.
        span = tail - town
        self.propose(town + 2, rules)
        self.propose(town + span * 5 // 100, fee)
        self.propose(town + span * 10 // 100, shares)
        self.propose(town + span * 15 // 100, name_attester(0, False))
        for n in range(max(1, plan.members // 2_000)):
            self.propose(town + span * (20 + 8 * n) // 100, exclude(5))
        self.at(town + span * 25 // 100, lambda _t: self.projects.move_wallet(1))
        self.propose(town + span * 30 // 100, fund(1, True))
        self.propose(town + span * 40 // 100, deactivate)
        self.at(town + span * 45 // 100, self.register(1))
        self.propose(town + span * 50 // 100, fund(4, True))
        self.propose(town + span * 70 // 100, epochs)
        self.propose(tail + 100, revoke)
        # Money in and out besides relations.
        for block in (village // 2, town + span // 2):
            self.at(block, self.surplus)
        for n in range(6):
            self.at(village + (blocks - village) * (n + 1) // 8, self.spend)
        self._generic(village, town, tail)

    def _generic(self, village: int, town: int, tail: int) -> None:
        """The other proposals: harmless settings (executed), or defeated, canceled, expired;
        in the tail, proposals left in every state at the end."""
        plan, rng = self.plan, self.rng
        early_fates = {
            "execute": 48,
            "defeat-quorum": 14,
            "defeat-against": 8,
            "cancel-pending": 2,
            "cancel-active": 3,
            "cancel-succeeded": 2,
            "cancel-queued": 3,
            "cancel-proposer": 2,
            "expire-unqueued": 4,
            "expire-queued": 4,
        }
        late_fates = {
            "execute": 6,
            "defeat-quorum": 76,
            "defeat-against": 1,
            "cancel-pending": 3,
            "cancel-active": 5,
            "cancel-succeeded": 1,
            "cancel-queued": 1,
            "cancel-proposer": 3,
            "expire-unqueued": 2,
            "expire-queued": 2,
        }
        ending = (
            [("hold-pending", plan.blocks - 1, plan.blocks - 1)] * 8
            + [("hold-active", plan.blocks - 24, plan.blocks - 2)] * 15
            + [("hold-succeeded", plan.blocks - 300, plan.blocks - 30)] * 6
            + [("hold-queued", plan.blocks - 300, plan.blocks - 40)] * 6
            + [("expire-unqueued", tail + 5, tail + 20)] * 3
            + [("expire-queued", tail + 5, tail + 20)] * 3
            + [("execute", tail + 30, plan.blocks - 60)] * 4
            + [("defeat-quorum", tail + 30, plan.blocks - 30)] * 10
            + [
                (fate, tail + 30, plan.blocks - 60)
                for fate in ("cancel-pending", "cancel-active", "cancel-proposer")
            ]
            + [(fate, tail + 30, plan.blocks - 60) for fate in ("cancel-succeeded", "cancel-queued")]
        )
        scripted = len(self.governance.schedule) + len(ending)
        generic = max(0, plan.proposals - scripted + 5)  # a scripted one may find nothing to do
        counts = (generic * 40 // 100, generic * 5 // 100)
        windows = [(2, village - 1, early_fates, counts[0]), (village, town - 1, early_fates, counts[1])]
        windows.append((town, tail - 1, late_fates, generic - counts[0] - counts[1]))
        for first, last, fates, count in windows:
            names, weights = list(fates), list(fates.values())
            for _ in range(count):
                ending.append((rng.choices(names, weights)[0], first, last))
        for fate, first, last in ending:
            block = rng.randint(first, last)
            self.governance.plan(self.time_of(block), fate, self._harmless(fate))

    def _harmless(self, fate: str) -> Callable[[int], tuple[list[Action], str, None]]:
        """A proposal whose actions succeed whenever executed (current values set again, a view
        called, an empty call); those never executed may ask for anything."""
        rng = self.rng

        def build(_now: int) -> tuple[list[Action], str, None]:
            choices: list[tuple[str, Action]] = [
                (
                    "Confirmer le droit de relation minimal",
                    self.call("pool", "setMinRelationFee(uint256)", 10 * EUR),
                ),
                (
                    "Confirmer la part minimale des parties",
                    self.call("pool", "setPartiesMinShare(uint256)", 6000),
                ),
                (
                    "Confirmer le budget du collectif",
                    self.call("pool", "setCollectiveBudget(uint256,uint256)", 10_000 * EUR, 86_400),
                ),
                ("Confirmer le plancher du quorum", self.call("governor", "setQuorumFloor(uint256)", 3)),
                (
                    "Confirmer le délai de grâce",
                    self.call("governor", "setApprovalGracePeriod(uint256)", 3_600),
                ),
                ("Consulter le nombre de membres", self.call("membership", "activeMemberCount()")),
                ("Signal sans effet", (self.founders[rng.randrange(3)], b"")),
            ]
            if fate != "execute":
                choices += [
                    (
                        "Changer les parts",
                        self.call("pool", "setShares((uint16,uint16,uint16))", (4000, 4000, 2000)),
                    ),
                    (
                        "Exclure un membre",
                        self.call("membership", "exclude(address,string)", self.founders[1], "x"),
                    ),
                    ("Époques d'une heure", self.call("pool", "setEpochLength(uint256)", 3_600)),
                ]
            picked = rng.sample(choices, rng.choice((1, 1, 1, 2, 3)))
            return [action for _, action in picked], " ; ".join(title for title, _ in picked), None

        return build

    # ---------------------------------------------------------------------------- events

    def register(self, count: int, wrong_hash: bool = False) -> Effect:
        """ESS members register `count` projects (`wrong_hash`: metadata not matching its hash)."""

        def effect(_now: int) -> None:
            for _ in range(count):
                self.projects.register(wrong_hash)

        return effect

    def surplus(self, _now: int) -> None:
        """Tokens sent to the pool without a call, then booked (all to ESS)."""
        who = self.rng.choice(self.society.payers)
        pool = self.contracts["pool"]
        self.sender.call(who, self.contracts["token"], calldata("transfer(address,uint256)", pool, 123 * EUR))
        self.sender.call(who, pool, selector("accountSurplus()"))

    def spend(self, _now: int) -> None:
        """The steward spends from the collective bucket."""
        amount = self.rng.randint(100, 900) * EUR
        data = calldata(
            "spendCollective(address,uint256,string)", self.rng.choice(self.society.active), amount, "atelier"
        )
        self.sender.call(self.steward, self.contracts["pool"], data, eoa=True)
        self.spends += 1

    def activity(self, block: int, relations: int) -> None:
        """Relations, contributions and claims of one block."""
        society, rng, pool = self.society, self.rng, self.contracts["pool"]
        society.relations(relations)
        if society.payers and rng.random() < 0.25:
            amount = rng.randint(5, 200) * EUR
            memo = rng.choice(("", "don", "soutien à l'épicerie", "cotisation volontaire"))
            self.sender.call(
                rng.choice(society.payers), pool, calldata("contribute(uint256,string)", amount, memo)
            )
            self.contributions += 1
        if block % 5 == 0 and block > 30 and society.payers:
            for who in rng.sample(
                society.payers, min(len(society.payers), max(5, len(society.payers) // 60))
            ):
                self.sender.claim(who)
                self.claims += 1
        if block % 97 == 0 and block > 0:
            founder = self.founders[block % 3]
            if self.miner.view(pool, "claimableOf(address)", "uint256", founder):
                self.sender.call(founder, pool, selector("claim()"), eoa=True)

    # ---------------------------------------------------------------------------- the run

    def run(self, report: bool = True) -> dict[str, Any]:
        """Tell the story block by block; returns what it made."""
        plan, society, sender, miner = self.plan, self.society, self.sender, self.miner
        started = time.monotonic()
        spawn = plan.members + plan.members // 12 + 60
        fresh: list[str] = []
        while len(fresh) < spawn:
            fresh += sender.spawn(min(2_000, spawn - len(fresh)))
            miner.mine()
        society.fresh = fresh[::-1]
        self.start = miner.time
        self.script()
        village, town = plan.blocks // 3, plan.blocks // 2
        quotas = [
            (0, village, plan.relations * 5 // 100),
            (village, town, plan.relations * 15 // 100),
            (town, plan.blocks, plan.relations - plan.relations * 20 // 100),
        ]
        paid = 0.0
        for block in range(plan.blocks):
            now = miner.time + miner.seconds
            self.governance.tick(now)
            for effect in self.events.pop(block, []):
                effect(now)
            society.settle(now)
            inflight = sum(1 for i in society.pending if i.fate == "accept" and not i.done)
            want = self.target(block) - (society.counts["joined"] + inflight)
            if want > 0:
                society.grow(now, want, self.time_of(plan.blocks - 1), plan.seconds_per_block)
            for first, last, total in quotas:
                if first <= block < last:
                    paid += total / (last - first)
            self.activity(block, max(0, int(paid) - society.paid))
            sender.flush()
            miner.mine()
            if report and (block + 1) % 100 == 0:
                say(
                    f"  block {block + 1}/{plan.blocks}: {len(society.active)} members, "
                    f"{society.paid} relations, {self.governance.proposed} proposals, "
                    f"{sum(self.governance.votes.values())} votes, {sender.transactions} transactions "
                    f"({time.monotonic() - started:.0f} s)"
                )
        miner.close()
        summary = self.summary(time.monotonic() - started)
        summary["states"] = self.states()
        return summary

    def states(self) -> dict[str, int]:
        """How many proposals the Governor gives in each state at the last block."""
        names = ("Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed")
        governor = self.contracts["governor"]
        calls = [
            ("eth_call", [{"to": governor, "data": "0x" + calldata("state(uint256)", pid).hex()}, "latest"])
            for pid in self.governance.ids
        ]
        tally: dict[str, int] = {}
        for start in range(0, len(calls), 500):
            for answer in self.miner.rpc.batch(calls[start : start + 500]):
                name = names[int(answer, 16)]
                tally[name] = tally.get(name, 0) + 1
        return dict(sorted(tally.items()))

    def summary(self, seconds: float) -> dict[str, Any]:
        """What the story made."""
        society, governance = self.society, self.governance
        return {
            "seconds": round(seconds, 1),
            "members": len(society.people),
            "active_members": len(society.active),
            "in_probation": len(society.in_probation(self.miner.time)),
            **{f"members_{k}": v for k, v in society.counts.items()},
            "relations": society.paid,
            "proposals": governance.proposed,
            "fates": dict(sorted(governance.fates.items())),
            "votes": {
                "against": governance.votes[0],
                "for": governance.votes[1],
                "abstain": governance.votes[2],
            },
            "zero_weight_votes": governance.zero_weight,
            "projects": len(self.projects.wallets),
            "claim_attempts": self.claims,
            "contributions": self.contributions,
            "steward_spends": self.spends,
            "transactions": self.sender.transactions,
        }
