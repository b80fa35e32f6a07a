"""A synthetic year of the DAO as the events its contracts would have logged, block by block:
the deployment's settings, members joining on invitations of earlier members, ESS projects
(their metadata as ``data:`` URIs, fetched and checked by the indexer's metadata path), paid
relations, contributions, claims, ESS fundings, collective spends, proposals with their votes,
queues, executions and cancellations, then on the last day pending invitations and exclusions.
The pool's arithmetic is replayed as the contract does it (`Ledger`), so that the events carry
the splits, accumulator and amounts the contract would have logged."""

from __future__ import annotations

import base64
import json
import random
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

from eth_utils.crypto import keccak

from cmir.chain.abi import ZERO_ADDRESS
from cmir.chain.deployment import Deployment
from cmir.dev.bench.api.ledger import SHARES, Ledger, PoolSettings
from cmir.dev.bench.api.proposals import Governance
from cmir.dev.bench.api.synthetic import Block, BlockLog, Call, address
from cmir.indexer.events import Event
from cmir.indexer.projections.context import new_member
from cmir.store import rewards

EUR = 10**6
WEIGHTS = (2000, 5000, 1500, 1500)
MIN_RELATION_FEE = 10 * EUR
#: Membership rules of the local deployment (deployments/settings.yaml)
PROBATION, REFILL, CAP, TTL = 60, 60, 10, 3600
BUDGET, BUDGET_PERIOD = 10_000 * EUR, 86_400
STEWARD = address(1)
THEMES = ("insertion", "alimentation", "culture", "mobilité", "logement", "santé", "éducation", "énergie")
FORMS = ("association loi 1901", "SCIC", "SCOP", "fondation", "mutuelle", "entreprise solidaire")
COMMUNES = ("75056", "93066", "69123", "13055", "31555", "33063", "59350", "44109", "67482", "35238", "97411")
WORDS = (
    "épicerie",
    "ressourcerie",
    "jardin",
    "atelier",
    "café",
    "recyclerie",
    "crèche",
    "garage",
    "tiers-lieu",
)


@dataclass
class Sizes:
    """How much to write."""

    members: int = 10_000
    relations: int = 200_000
    proposals: int = 1_000
    contributions: int = 4_000
    claims: int = 20_000
    projects: int = 300
    fundings: int = 1_200
    spends: int = 800
    votes_per_proposal: int = 30
    pending_invitations: int = 300


def _split(to_members: int, to_ess: int, to_collective: int) -> dict[str, int]:
    return {"toMembers": to_members, "toEss": to_ess, "toCollective": to_collective}


def _wallet(project: int, version: int) -> str:
    """A project's payout wallet at `version` (the bench's fundings pay the current one)."""
    return address(100_000 + project + 10_000 * (version - 1))


class Year:
    """The year's schedule, drawn once, then its events block by block (`blocks`)."""

    def __init__(
        self,
        rng: random.Random,
        deployment: Deployment,
        blocks: Sequence[Block],
        sizes: Sizes,
        settings: PoolSettings,
    ) -> None:
        self.rng = rng
        self.chain_id = deployment.chain_id
        self.contracts = {role: c.address for role, c in deployment.contracts.items()}
        self.chain = blocks
        self.sizes = sizes
        self.settings = settings
        n, days = sizes.members, len(blocks)
        #: the pool's books of each member (the rows the contract would hold), in joining order
        self.members = [new_member(self.chain_id, address(i)) for i in range(n)]
        self.addresses = [m["address"] for m in self.members]
        self.join_at = sorted(rng.randrange(days // 2 + 1) for _ in range(n))
        # each sponsored by an earlier member (the founders: none), early members more often
        self.sponsors: list[int | None] = [None if i < 3 else int(rng.random() ** 2 * i) for i in range(n)]
        self.excluded = rng.sample(range(3, n), n // 50) if n > 3 else []
        self.joined = 0
        kinds = (
            ["relation"] * sizes.relations
            + ["contribution"] * sizes.contributions
            + ["claim"] * sizes.claims
            + ["funding"] * sizes.fundings
            + ["spend"] * sizes.spends
        )
        rng.shuffle(kinds)
        self.flows = list(zip(sorted(rng.randrange(days // 10, days) for _ in kinds), kinds, strict=True))
        self.next_flow = 0
        self.cumulative = list(accumulate(1.0 / (1 + (i % 97)) for i in range(n)))  # a few hubs
        self.ledger = Ledger(settings)
        self.wallets: dict[int, str] = {}
        self.active: list[int] = []
        self.budget_start = self.budget_spent = 0
        self.governance = Governance(
            rng, blocks, sizes.proposals, sizes.votes_per_proposal, self.contracts, MIN_RELATION_FEE
        )

    def blocks(self) -> Iterator[tuple[Block, list[Event]]]:
        """Each block of the chain with its events, in chain order."""
        last = len(self.chain) - 1
        for k, block in enumerate(self.chain):
            log = BlockLog(self.chain_id, block, self.contracts)
            if k == 0:
                self._deployment(log)
            self._joins(log, k)
            if k == 1:
                self._projects(log)
            while self.next_flow < len(self.flows) and self.flows[self.next_flow][0] == k:
                self._flow(log, self.flows[self.next_flow][1])
                self.next_flow += 1
            self.governance.emit(log, k, self.addresses, self.joined)
            if k == last:
                self._pending_invitations(log)
                self._exclusions(log)
            yield block, log.events

    # ------------------------------------------------------------------ deployment

    def _deployment(self, log: BlockLog) -> None:
        """The settings each contract logs when it is deployed and wired."""
        clock, s = self.settings.clock, self.settings
        zero_shares = {"membersBps": 0, "essBps": 0, "collectiveBps": 0}
        zero_weights = {
            "payerBps": 0,
            "counterpartyBps": 0,
            "payerSponsorBps": 0,
            "counterpartySponsorBps": 0,
        }
        zero_rules = {"probation": 0, "invitationRefillPeriod": 0, "invitationCap": 0, "invitationTtl": 0}
        log.tx(("timelock", "MinDelayChange", {"oldDuration": 0, "newDuration": 60}))
        log.tx(
            ("pool", "EpochLengthChanged", {
                "previousLength": 0, "newLength": clock.length, "originEpoch": clock.origin_epoch,
                "origin": clock.origin,
            }),
            ("pool", "EpochRewardCapChanged", {"previousCapBps": 0, "newCapBps": s.reward_cap_bps}),
            ("pool", "PartiesMinShareChanged", {"previousBps": 0, "newBps": s.parties_min_share_bps}),
            ("pool", "SharesChanged", {
                "previousShares": zero_shares,
                "newShares": dict(zip(zero_shares, SHARES, strict=True)),
            }),
            ("pool", "PointWeightsChanged", {
                "previousWeights": zero_weights,
                "newWeights": dict(zip(zero_weights, WEIGHTS, strict=True)),
            }),
            ("pool", "MinRelationFeeChanged", {"previousFee": 0, "newFee": MIN_RELATION_FEE}),
            ("pool", "StewardChanged", {"previousSteward": ZERO_ADDRESS, "newSteward": STEWARD}),
            ("pool", "CollectiveBudgetChanged", {"amount": BUDGET, "period": BUDGET_PERIOD}),
        )  # fmt: skip
        log.tx(
            ("membership", "MembershipRulesChanged", {
                "previousRules": zero_rules,
                "newRules": dict(zip(zero_rules, (PROBATION, REFILL, CAP, TTL), strict=True)),
            }),
            ("membership", "MembershipFeeChanged", {"previousFee": 0, "newFee": 0}),
            ("membership", "PoolBound", {"pool": self.contracts["pool"]}),
        )  # fmt: skip
        log.tx(
            ("governor", "VotingDelaySet", {"oldVotingDelay": 0, "newVotingDelay": 1}),
            ("governor", "VotingPeriodSet", {"oldVotingPeriod": 0, "newVotingPeriod": 300}),
            ("governor", "ProposalThresholdSet", {"oldProposalThreshold": 0, "newProposalThreshold": 0}),
            ("governor", "QuorumNumeratorUpdated", {"oldQuorumNumerator": 0, "newQuorumNumerator": 20}),
            ("governor", "TimelockChange", {
                "oldTimelock": ZERO_ADDRESS, "newTimelock": self.contracts["timelock"],
            }),
            ("governor", "QuorumFloorChanged", {"previousFloor": 0, "newFloor": 3}),
            ("governor", "ApprovalGracePeriodChanged", {"previousGrace": 0, "newGrace": 3600}),
        )  # fmt: skip

    # ------------------------------------------------------------------ membership

    def _joins(self, log: BlockLog, k: int) -> None:
        """The members joining in block `k`: founders directly, the others on an invitation
        their sponsor sent in the same block."""
        t = log.block.timestamp
        while self.joined < len(self.members) and self.join_at[self.joined] == k:
            i = self.joined
            member = self.members[i]["address"]
            kind = 0 if i % 10 < 3 else 2 if i % 10 == 9 else 1
            sponsor_index = self.sponsors[i]
            if sponsor_index is None:
                sponsor, votes_from = ZERO_ADDRESS, t
            else:
                sponsor, votes_from = self.members[sponsor_index]["address"], t + PROBATION
                log.tx(
                    ("membership", "MemberInvited", {
                        "sponsor": sponsor, "invitee": member, "kind": kind, "expiresAt": t + TTL,
                    })
                )  # fmt: skip
            log.tx(
                ("membership", "MemberJoined", {
                    "member": member, "sponsor": sponsor, "kind": kind, "joinedAt": t, "feePaid": 0,
                    "byGovernance": False, "votesFrom": votes_from,
                })
            )  # fmt: skip
            self.joined += 1

    def _pending_invitations(self, log: BlockLog) -> None:
        """Invitations sent on the last day, not accepted yet."""
        for i in range(min(self.sizes.pending_invitations, self.joined)):
            log.tx(
                ("membership", "MemberInvited", {
                    "sponsor": self.members[i]["address"], "invitee": address(300_000 + i), "kind": 1,
                    "expiresAt": log.block.timestamp + TTL,
                })
            )  # fmt: skip

    def _exclusions(self, log: BlockLog) -> None:
        """Governance excludes members on the last day: their points leave the totals, what
        they earned stays claimable."""
        t = log.block.timestamp
        for i in self.excluded:
            member = self.members[i]
            matured, pending = self.ledger.freeze(member, self.ledger.epoch_at(t))
            log.tx(
                ("membership", "MemberExcluded", {
                    "member": member["address"], "excludedAt": t, "reason": "inactif",
                }),
                ("pool", "MemberRewardsFrozen", {
                    "member": member["address"], "maturedRemoved": matured, "pendingRemoved": pending,
                    "accrued": member["accrued"], "rewardPerPoint": self.ledger.totals["reward_per_point"],
                }),
            )  # fmt: skip

    # ------------------------------------------------------------------ ESS projects

    def _projects(self, log: BlockLog) -> None:
        """Projects registered, some changing wallets, most switched on by governance; a few
        off (never switched on, or switched off by a wallet change)."""
        rng = self.rng
        for p in range(1, self.sizes.projects + 1):
            content = json.dumps(
                {
                    "name": f"{rng.choice(WORDS).capitalize()} solidaire n°{p}",
                    "legalForm": rng.choice(FORMS),
                    "themes": rng.sample(THEMES, 2),
                    "territories": rng.sample(COMMUNES, 2),
                    "description": f"Projet {p}: {rng.choice(WORDS)} et {rng.choice(WORDS)} pour le quartier",
                }
            ).encode()
            metadata = {
                "metadataURI": "data:application/json;base64," + base64.b64encode(content).decode(),
                "metadataHash": "0x" + keccak(content).hex(),
            }
            self.wallets[p] = _wallet(p, 1)
            log.tx(
                ("registry", "EssProjectRegistered", {
                    "projectId": p, "owner": address(9 + 10 * (p % 900)), "payoutWallet": self.wallets[p],
                    **metadata,
                })
            )  # fmt: skip
            version = 1
            for version in range(2, 2 + p % 3):
                log.tx(self._wallet_change(p, version, metadata))
            if p % 17 == 0 and p % 2:
                continue  # waits for governance
            log.tx(("registry", "EssProjectStatusChanged", {"projectId": p, "active": True}))
            if p % 17 == 0:  # a new wallet switches an active project off until a new vote
                log.tx(
                    ("registry", "EssProjectStatusChanged", {"projectId": p, "active": False}),
                    self._wallet_change(p, version + 1, metadata),
                )
            else:
                self.active.append(p)

    def _wallet_change(self, project: int, version: int, metadata: dict[str, str]) -> Call:
        self.wallets[project] = _wallet(project, version)
        return (
            "registry",
            "EssProjectUpdated",
            {
                "projectId": project,
                "payoutWallet": self.wallets[project],
                **metadata,
                "walletVersion": version,
            },
        )

    # ------------------------------------------------------------------ the pool

    def _pick(self) -> int:
        """A joined member, the hubs more often."""
        return bisect_right(self.cumulative, self.rng.random() * self.cumulative[self.joined - 1])

    def _flow(self, log: BlockLog, kind: str) -> None:
        """One flow of money at `log`'s block, booked as the contract books it."""
        rng, ledger, t = self.rng, self.ledger, log.block.timestamp
        totals = ledger.totals
        current = ledger.epoch_at(t)
        if kind == "relation" and self.joined >= 2:
            self._relation(log, current)
        elif kind == "contribution":
            amount = rng.randrange(1, 2000) * EUR
            ledger.advance(current)
            to_m, to_e, to_c, _, _ = ledger.receive(amount, current)
            log.tx(
                ("pool", "Contributed", {
                    "contributor": address(rng.randrange(len(self.members), 2 * len(self.members))),
                    "amount": amount, "split": _split(to_m, to_e, to_c),
                    "rewardPerPoint": totals["reward_per_point"], "memo": "soutien",
                })
            )  # fmt: skip
        elif kind == "claim" and self.joined:
            member = self.members[rng.randrange(self.joined)]
            ledger.settle(member, current)  # a claim pays everything accrued
            amount = member["accrued"]
            if amount <= 0:
                return
            member["accrued"] = 0
            member["claimed"] += amount
            totals["rewards_claimed"] += amount
            log.tx(
                ("pool", "RewardsClaimed", {
                    "member": member["address"], "amount": amount,
                    "rewardPerPoint": totals["reward_per_point"],
                })
            )  # fmt: skip
        elif kind == "funding" and self.active:
            amount = min(rng.randrange(50, 3000) * EUR, totals["ess_received"] - totals["ess_disbursed"])
            if amount <= 0:
                return
            project = rng.choice(self.active)
            totals["ess_disbursed"] += amount
            log.tx(
                ("pool", "EssProjectFunded", {
                    "projectId": project, "payoutWallet": self.wallets[project],
                    "amount": amount,
                })
            )  # fmt: skip
        elif kind == "spend":
            # the first spending after the budget's period ended starts a new period
            start, spent = (
                (t, 0) if t >= self.budget_start + BUDGET_PERIOD else (self.budget_start, self.budget_spent)
            )
            available = totals["collective_received"] - totals["collective_spent"]
            amount = min(rng.randrange(20, 1500) * EUR, available, BUDGET - spent)
            if amount <= 0:
                return
            self.budget_start, self.budget_spent = start, spent + amount
            totals["collective_spent"] += amount
            log.tx(
                ("pool", "CollectiveSpent", {
                    "steward": STEWARD, "recipient": address(200_000 + rng.randrange(40)), "amount": amount,
                    "memo": "vitrine",
                })
            )  # fmt: skip

    def _relation(self, log: BlockLog, current: int) -> None:
        """A relation between two joined members: points to both and to their sponsors, pending
        until the epoch ends, then the inflow spread over the matured points."""
        rng, ledger, members = self.rng, self.ledger, self.members
        p, c = self._pick(), self._pick()
        if p == c:
            c = (p + 1) % self.joined
        amount = rng.randrange(10, 500) * EUR
        indexes = (p, c, self.sponsors[p], self.sponsors[c])
        parties = [members[i] if i is not None else None for i in indexes]
        points = [rewards.points(amount, w) if q else 0 for q, w in zip(parties, WEIGHTS, strict=True)]
        ledger.advance(current)
        for party, n in zip(parties, points, strict=True):
            if party:
                ledger.award(party, n, current)
        to_m, to_e, to_c, _, _ = ledger.receive(amount, current)
        payer_sponsor, counterparty_sponsor = (q["address"] if q else ZERO_ADDRESS for q in parties[2:])
        log.tx(
            ("pool", "RelationPaid", {
                "payer": members[p]["address"], "counterparty": members[c]["address"],
                "relationRef": "0x" + rng.randbytes(32).hex(), "amount": amount,
                "split": _split(to_m, to_e, to_c),
                "points": {
                    "payerSponsor": payer_sponsor, "counterpartySponsor": counterparty_sponsor,
                    "payerPoints": points[0], "counterpartyPoints": points[1],
                    "payerSponsorPoints": points[2], "counterpartySponsorPoints": points[3],
                },
                "rewardPerPoint": ledger.totals["reward_per_point"], "epoch": current,
            })
        )  # fmt: skip
