"""Synthetic proposals and votes for the bench database."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

EUR = 10**6


def _slots(blocks: Sequence[Any], count: int, rng: random.Random) -> list[tuple[Any, int]]:
    chosen = sorted(rng.randrange(len(blocks)) for _ in range(count))
    slots, logs = [], dict.fromkeys(range(len(blocks)), 0)
    for index in chosen:
        slots.append((blocks[index], logs[index]))
        logs[index] += 1
    return slots


def _tx(block: int, log: int) -> str:
    return f"0x{block:032x}{log:032x}"


def governance(
    rng: random.Random,
    chain: int,
    blocks: Sequence[Any],
    members: list[dict[str, Any]],
    count: int,
    voters_each: int,
    base: Any,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Proposals (a third executed, some canceled), their creation records and their votes."""
    proposals: list[dict[str, Any]] = []
    votes: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    slots = _slots(blocks[len(blocks) // 5 : -3], count, rng)
    for n, (block, log) in enumerate(slots):
        proposal_id = int.from_bytes(rng.randbytes(32), "big")
        voters = rng.sample(members, voters_each)
        support = [rng.choice((0, 1, 1, 2)) for _ in voters]
        status = "executed" if n % 3 == 0 else "canceled" if n % 11 == 0 else "created"
        start, end = block.timestamp + 1, block.timestamp + 301
        proposals.append(
            {
                "chain_id": chain,
                "proposal_id": proposal_id,
                "proposer": voters[0]["address"],
                "targets": [members[5]["address"]],
                "values": [0],
                "signatures": [""],
                "calldatas": ["0x" + "ab" * 36],
                "actions": [
                    {
                        "decoded": True,
                        "contract": "pool",
                        "function": "setMinRelationFee",
                        "signature": "setMinRelationFee(uint256)",
                        "args": {"fee": 10 * EUR + n},
                    }
                ],
                "description": f"Proposition {n}: financer le projet ESS {n % 300 + 1}\n\n" + "Motifs. " * 20,
                "description_hash": "0x" + rng.randbytes(32).hex(),
                "vote_start": start,
                "vote_end": end,
                "status": status,
                "eta": end + 60 if status == "executed" else None,
                "timelock_operation": None,
                "created_block": block.number,
                "created_time": block.timestamp,
                "created_tx": _tx(block.number, 50_000 + log),
                "queued_block": None,
                "queued_time": None,
                "executed_block": None,
                "executed_time": None,
                "executed_tx": None,
                "canceled_block": None,
                "canceled_time": None,
                "canceled_tx": None,
                "canceled_by_guardian": None,
                "cancel_reason": None,
                "approval_grace": 3600,
                "expires_at": (end + 60 if status == "executed" else end) + 3600,
                "for_votes": support.count(1),
                "against_votes": support.count(0),
                "abstain_votes": support.count(2),
                "voter_count": len(voters),
            }
        )
        changes.append(
            {**base(block, 50_000 + log), "proposal_id": proposal_id, "state": "created", "eta": None}
        )
        for i, (voter, choice) in enumerate(zip(voters, support, strict=True)):
            votes.append(
                {
                    **base(block, 60_000 + log * 100 + i),
                    "proposal_id": proposal_id,
                    "voter": voter["address"],
                    "support": choice,
                    "weight": 1,
                    "reason": "pour" if choice == 1 else "",
                    "params": None,
                }
            )
    return proposals, votes, changes
