"""Governance on the generated chain (`cmir.dev.bench.chain`): proposals through the Governor
(each bound to its proposer, a founder: founders have no probation), voted by the founders,
queued and executed through the timelock while the helpers' stream goes on. They change the
epoch reward cap, the parties' minimum share and the membership fee (a late helper then joins
paying it), exclude a helper right after it earned pending points (it then claims what it had
earned), change the shares and the weights, and twice the epoch length."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_utils.crypto import keccak

from cmir.dev.bench.chain import EUR, Miner, add_helpers, calldata, run_helper

if TYPE_CHECKING:
    from cmir.dev.bench.chain import ChainPlan

#: Steps of a proposal, in order.
STEPS = ("waiting", "proposed", "voted", "queued", "executed", "done")


@dataclass
class Proposal:
    """One proposal and where it stands."""

    at: float  # share of the stream's calls made before it is proposed
    calls: list[tuple[str, bytes]]
    description: str
    excludes: str | None = None
    step: str = "waiting"
    #: The block (`Miner.blocks`) its last step was sent in: the next waits for a later one.
    sent: int = -1
    id: int = 0
    after: Callable[[str, ChainPlan], None] | None = field(default=None, repr=False)

    def bind(self, proposer: str) -> None:
        """End the description with ``#proposer=<address>``, as the Governor requires."""
        if "#proposer=" not in self.description:
            self.description = f"{self.description}\n\n#proposer={proposer.lower()}"

    @property
    def args(self) -> list[Any]:
        """(targets, values, calldatas) as the Governor takes them."""
        return [[t for t, _ in self.calls], [0] * len(self.calls), [d for _, d in self.calls]]


class Governance:
    """The proposals of the generated chain, moved one step whenever their time has come."""

    def __init__(
        self, miner: Miner, contracts: dict[str, str], founders: list[str], helpers: list[str], events: int
    ) -> None:
        self.miner = miner
        self.contracts = contracts
        self.founders = founders
        self.helpers = helpers
        self.events = events
        self.governor = contracts["governor"]
        pool, membership = contracts["pool"], contracts["membership"]
        excluded = helpers[-1]
        # Settings within the bounds of the deployment's shares and weights: half the highest
        # cap, and a parties' share the weights keep (the ones set later keep 70 %).
        cap = int(miner.view(pool, "maxEpochRewardCapBps()", "uint256")) // 2
        weights = miner.view(pool, "pointWeights()", "(uint16,uint16,uint16,uint16)")
        parties = max(5000, min(7000, (weights[0] + weights[1]) * 10_000 // sum(weights)))
        self.proposals = [
            Proposal(
                0.10,
                [
                    (pool, calldata("setEpochRewardCap(uint256)", cap)),
                    (pool, calldata("setPartiesMinShare(uint256)", parties)),
                    (membership, calldata("setMembershipFee(uint256)", 2 * EUR)),
                ],
                "bench: plafond, part des parties, cotisation 2 EUR",
                after=self._late_helper,
            ),
            Proposal(
                0.30,
                [(membership, calldata("exclude(address,string)", excluded, "bench: exclusion"))],
                "bench: exclure un membre",
                excludes=excluded,
                after=self._excluded_claims,
            ),
            Proposal(
                0.50,
                [
                    (pool, calldata("setShares((uint16,uint16,uint16))", (4500, 3500, 2000))),
                    (
                        pool,
                        calldata("setPointWeights((uint16,uint16,uint16,uint16))", (2500, 4500, 1500, 1500)),
                    ),
                    (pool, calldata("setEpochLength(uint256)", 90)),
                ],
                "bench: parts, poids, époques de 90 s",
            ),
            Proposal(
                0.75,
                [
                    (pool, calldata("setEpochLength(uint256)", 45)),
                    (pool, calldata("setEpochRewardCap(uint256)", 5000)),
                ],
                "bench: époques de 45 s, plafond 50 % (au plus 55 % avec ces parts et poids)",
            ),
        ]

    @property
    def done(self) -> bool:
        """Whether every proposal was executed and followed up."""
        return all(p.step == "done" for p in self.proposals)

    def before_block(self, calls: int, deployer: str, plan: ChainPlan) -> None:
        """Follow up executed proposals (before the block's stream is queued); propose those
        whose share of the stream is reached."""
        for proposal in self.proposals:
            if proposal.step == "executed":
                if proposal.after is not None:
                    proposal.after(deployer, plan)
                proposal.step = "done"
            elif proposal.step == "waiting" and calls >= proposal.at * self.events:
                self._propose(proposal)

    def in_block(self, deployer: str, plan: ChainPlan) -> None:
        """Queue the proposals' next steps whose time has come into the block being built."""
        upcoming = self.miner.time + self.miner.seconds  # the block's timestamp
        view = self.miner.view
        for proposal in self.proposals:
            if proposal.sent == self.miner.blocks:
                continue
            if proposal.step == "proposed":
                for founder in self.founders:
                    self.miner.send(
                        founder, self.governor, calldata("castVote(uint256,uint8)", proposal.id, 1), 300_000
                    )
                proposal.step, proposal.sent = "voted", self.miner.blocks
            elif proposal.step == "voted":
                if upcoming > view(self.governor, "proposalDeadline(uint256)", "uint256", proposal.id):
                    self._step("queue", proposal)
                    proposal.step, proposal.sent = "queued", self.miner.blocks
            elif proposal.step == "queued":
                if upcoming >= view(self.governor, "proposalEta(uint256)", "uint256", proposal.id):
                    if proposal.excludes is not None:  # points pending right up to the exclusion
                        others = [a for a in (*self.founders, *self.helpers) if a != proposal.excludes]
                        run_helper(self.miner, deployer, proposal.excludes, others, plan.calls_per_tx, 0, 0)
                    self._step("execute", proposal)
                    proposal.step, proposal.sent = "executed", self.miner.blocks

    def _propose(self, proposal: Proposal) -> None:
        proposal.bind(self.founders[0])
        targets, values, datas = proposal.args
        description_hash = keccak(text=proposal.description)
        proposal.id = int(
            self.miner.view(
                self.governor,
                "hashProposal(address[],uint256[],bytes[],bytes32)",
                "uint256",
                targets,
                values,
                datas,
                description_hash,
            )
        )
        data = calldata(
            "propose(address[],uint256[],bytes[],string)", targets, values, datas, proposal.description
        )
        self.miner.send(self.founders[0], self.governor, data, 3_000_000)
        proposal.step, proposal.sent = "proposed", self.miner.blocks

    def _step(self, name: str, proposal: Proposal) -> None:
        targets, values, datas = proposal.args
        data = calldata(
            f"{name}(address[],uint256[],bytes[],bytes32)",
            targets,
            values,
            datas,
            keccak(text=proposal.description),
        )
        self.miner.send(self.founders[1], self.governor, data, 5_000_000)

    def _late_helper(self, deployer: str, plan: ChainPlan) -> None:
        """A helper joins after the membership fee was set: it pays it."""
        self.helpers.extend(add_helpers(self.miner, self.contracts, deployer, self.founders[2:], 1))

    def _excluded_claims(self, deployer: str, plan: ChainPlan) -> None:
        """The excluded helper leaves the stream and claims what it had earned (with no
        counterparties, its run claims when it can and contributes otherwise)."""
        excluded = self.proposals[1].excludes
        assert excluded is not None
        self.helpers.remove(excluded)
        run_helper(self.miner, deployer, excluded, [], 1, 0, 1)
