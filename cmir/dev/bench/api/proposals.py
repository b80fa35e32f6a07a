"""Governance in the bench's synthetic year: proposals asking the pool for a new minimum relation
fee, voted in the block that creates them; a third queued the next day and executed the day
after (the timelock runs the call, the pool logs its new fee), some canceled the next day."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from eth_utils.crypto import keccak

from cmir.dev.bench.api.synthetic import Block, BlockLog

EUR = 10**6
SET_MIN_RELATION_FEE = keccak(text="setMinRelationFee(uint256)")[:4].hex()
NO_PREDECESSOR = "0x" + "00" * 32
TIMELOCK_DELAY = 60


class Governance:
    """Proposals drawn once, their events emitted block by block (`emit`)."""

    def __init__(
        self,
        rng: random.Random,
        blocks: Sequence[Block],
        count: int,
        voters_each: int,
        contracts: Mapping[str, str],
        fee: int,
    ) -> None:
        self.rng = rng
        self.voters_each = voters_each
        self.pool = contracts["pool"]
        #: the pool's minimum relation fee (executions change it)
        self.fee = fee
        days = len(blocks)
        first, last = days // 5, days - 3  # room for the queue and execution days
        self.created_at = sorted(rng.randrange(first, last) for _ in range(count)) if last > first else []
        self.created = 0
        #: block index -> what happens then to proposals created earlier
        self.later: dict[int, list[Callable[[BlockLog], None]]] = defaultdict(list)

    def emit(self, log: BlockLog, k: int, members: Sequence[str], joined: int) -> None:
        """The governance events of block `k`; the first `joined` of `members` have joined."""
        for step in self.later.pop(k, []):
            step(log)
        while self.created < len(self.created_at) and self.created_at[self.created] == k:
            if joined:
                self._propose(log, k, self.created, members, joined)
            self.created += 1

    def _propose(self, log: BlockLog, k: int, n: int, members: Sequence[str], joined: int) -> None:
        rng, t = self.rng, log.block.timestamp
        proposal_id = int.from_bytes(rng.randbytes(32), "big")
        voters = rng.sample(range(joined), min(self.voters_each, joined))
        support = [rng.choice((0, 1, 1, 2)) for _ in voters]
        fee = (5 + n % 6) * EUR
        calldata = f"0x{SET_MIN_RELATION_FEE}{fee:064x}"
        log.tx(
            ("governor", "ProposalCreated", {
                "proposalId": proposal_id, "proposer": members[voters[0]], "targets": [self.pool],
                "values": [0], "signatures": [""], "calldatas": [calldata],
                "voteStart": t + 1, "voteEnd": t + 301,
                "description": f"Proposition {n}: financer le projet ESS {n % 300 + 1}\n\n" + "Motifs. " * 20,
            })
        )  # fmt: skip
        for voter, choice in zip(voters, support, strict=True):
            log.tx(
                ("governor", "VoteCast", {
                    "voter": members[voter], "proposalId": proposal_id, "support": choice, "weight": 1,
                    "reason": "pour" if choice == 1 else "",
                })
            )  # fmt: skip
        if n % 3 == 0:
            operation = "0x" + keccak(proposal_id.to_bytes(32, "big")).hex()
            self.later[k + 1].append(lambda log: self._queue(log, proposal_id, operation, calldata))
            self.later[k + 2].append(lambda log: self._execute(log, proposal_id, operation, calldata, fee))
        elif n % 11 == 0:
            self.later[k + 1].append(
                lambda log: log.tx(("governor", "ProposalCanceled", {"proposalId": proposal_id}))
            )

    def _queue(self, log: BlockLog, proposal_id: int, operation: str, calldata: str) -> None:
        log.tx(
            ("timelock", "CallScheduled", {
                "id": operation, "index": 0, "target": self.pool, "value": 0, "data": calldata,
                "predecessor": NO_PREDECESSOR, "delay": TIMELOCK_DELAY,
            }),
            ("governor", "ProposalQueued", {
                "proposalId": proposal_id, "etaSeconds": log.block.timestamp + TIMELOCK_DELAY,
            }),
        )  # fmt: skip

    def _execute(self, log: BlockLog, proposal_id: int, operation: str, calldata: str, fee: int) -> None:
        log.tx(
            ("pool", "MinRelationFeeChanged", {"previousFee": self.fee, "newFee": fee}),
            ("timelock", "CallExecuted", {
                "id": operation, "index": 0, "target": self.pool, "value": 0, "data": calldata,
            }),
            ("governor", "ProposalExecuted", {"proposalId": proposal_id}),
        )  # fmt: skip
        self.fee = fee
