"""A synthetic year of the DAO written through the indexer's own tables (Alembic schema, bulk
inserts): members with sponsors, paid relations with their inflows and bucket snapshots,
contributions, claims, ESS projects and fundings, collective spends, proposals and votes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from eth_utils.address import to_checksum_address

from backend.bench.proposals import governance
from indexer import rewards
from indexer.db import (
    BucketSnapshot,
    Checkpoint,
    Claim,
    CollectiveSpend,
    DaoState,
    EssFunding,
    EssProject,
    IndexedBlock,
    Inflow,
    Invitation,
    Member,
    ParameterChange,
    Proposal,
    ProposalChange,
    Relation,
    Vote,
)
from indexer.db.bulk import insert_rows
from indexer.db.session import make_engine, upgrade
from indexer.deployment import Deployment
from indexer.projections.context import new_member

EUR = 10**6
SHARES = (5000, 3000, 2000)
WEIGHTS = (2000, 5000, 1500, 1500)
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


@dataclass(frozen=True)
class Block:
    """A real block of the bench chain."""

    number: int
    hash: str
    timestamp: int


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


@dataclass
class Ledger:
    """Running totals while events are generated in chain order."""

    totals: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (
                "total_received",
                "members_received",
                "ess_received",
                "collective_received",
                "rewards_claimed",
                "ess_disbursed",
                "collective_spent",
                "undistributed_rewards",
                "total_points",
                "reward_per_point",
            ),
            0,
        )
    )
    snapshots: list[dict[str, Any]] = field(default_factory=list)

    def snapshot(self, base: dict[str, Any], cause: str) -> None:
        t = self.totals
        self.snapshots.append(
            {
                **base,
                "cause": cause,
                **{k: t[k] for k in t},
                "members_available": t["members_received"] - t["rewards_claimed"],
                "ess_available": t["ess_received"] - t["ess_disbursed"],
                "collective_available": t["collective_received"] - t["collective_spent"],
            }
        )

    def receive(self, amount: int, points: int) -> tuple[int, int, int, int]:
        to_members, to_ess, to_collective = rewards.split(amount, *SHARES)
        t = self.totals
        t["total_received"] += amount
        t["members_received"] += to_members
        t["ess_received"] += to_ess
        t["collective_received"] += to_collective
        t["total_points"] += points
        increase, carry = rewards.distribute(to_members + t["undistributed_rewards"], t["total_points"])
        t["reward_per_point"] += increase
        t["undistributed_rewards"] = carry
        return to_members, to_ess, to_collective, increase


def address(i: int) -> str:
    """A deterministic checksummed address."""
    return str(to_checksum_address(f"0x{(i * 2654435761 + 0xC0FFEE) % (1 << 160):040x}"))


def tx(block: int, log: int) -> str:
    """A transaction hash unique per event."""
    return f"0x{block:032x}{log:032x}"


def _event_slots(blocks: Sequence[Block], count: int, rng: random.Random) -> list[tuple[Block, int]]:
    """`count` event positions (block, log index) in chain order, spread over `blocks`."""
    chosen = sorted(rng.randrange(len(blocks)) for _ in range(count))
    slots, logs = [], dict.fromkeys(range(len(blocks)), 0)
    for index in chosen:
        slots.append((blocks[index], logs[index]))
        logs[index] += 1
    return slots


def fill(
    url: str, deployment: Deployment, blocks: Sequence[Block], sizes: Sizes, seed: int = 7
) -> dict[str, int]:
    """Create the schema at `url` and write the synthetic year; returns row counts."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
    chain = deployment.chain_id
    engine = make_engine(url)
    upgrade(engine)
    counts: dict[str, int] = {}

    def base(block: Block, log: int) -> dict[str, Any]:
        return {
            "chain_id": chain,
            "block_number": block.number,
            "log_index": log,
            "tx_hash": tx(block.number, log),
            "block_time": block.timestamp,
        }

    # Members join over the year, each sponsored by an earlier member (founders: none).
    join_slots = _event_slots(blocks[: len(blocks) // 2 + 1], sizes.members, rng)
    members: list[dict[str, Any]] = []
    for i, (block, _log) in enumerate(join_slots):
        sponsor = None if i < 3 else members[int(rng.random() ** 2 * i)]["address"]
        members.append(
            {
                **new_member(chain, address(i)),
                "kind": 0 if i % 10 < 3 else 2 if i % 10 == 9 else 1,
                "sponsor": sponsor,
                "status": "active",
                "joined_at": block.timestamp,
                "joined_block": block.number,
                "by_governance": False,
            }
        )
    by_address = {m["address"]: m for m in members}
    for m in members:
        if m["sponsor"]:
            by_address[m["sponsor"]]["invitations_sent"] += 1
    for m in rng.sample(members[3:], len(members) // 50):
        m.update(status="excluded", excluded_at=blocks[-1].timestamp, excluded_block=blocks[-1].number)
        m["exclusion_reason"] = "inactif"

    # Flows in chain order: relations, contributions, claims, fundings, spends.
    kinds = (
        ["relation"] * sizes.relations
        + ["contribution"] * sizes.contributions
        + ["claim"] * sizes.claims
        + ["funding"] * sizes.fundings
        + ["spend"] * sizes.spends
    )
    rng.shuffle(kinds)
    slots = _event_slots(blocks[len(blocks) // 10 :], len(kinds), rng)
    ledger = Ledger()
    relations, inflows, claims, fundings, spends = [], [], [], [], []
    project_funded: dict[int, list[int]] = {}
    cumulative = list(accumulate(1.0 / (1 + (i % 97)) for i in range(len(members))))  # a few hubs
    for kind, (block, log) in zip(kinds, slots, strict=True):
        b = base(block, log)
        if kind == "relation":
            payer, counterparty = rng.choices(members, cum_weights=cumulative, k=2)
            if payer is counterparty:
                counterparty = members[(members.index(payer) + 1) % len(members)]
            amount = rng.randrange(10, 500) * EUR
            parties = [
                payer,
                counterparty,
                by_address.get(payer["sponsor"] or ""),
                by_address.get(counterparty["sponsor"] or ""),
            ]
            points = [rewards.points(amount, w) if q else 0 for q, w in zip(parties, WEIGHTS, strict=True)]
            for party, n in zip(parties, points, strict=True):
                if party:
                    party["points"] += n
            to_m, to_e, to_c, _ = ledger.receive(amount, sum(points))
            payer["relations_paid"] += 1
            payer["amount_paid"] += amount
            counterparty["relations_received"] += 1
            relations.append(
                {
                    **b,
                    "payer": payer["address"],
                    "counterparty": counterparty["address"],
                    "relation_ref": "0x" + rng.randbytes(32).hex(),
                    "amount": amount,
                    "to_members": to_m,
                    "to_ess": to_e,
                    "to_collective": to_c,
                    "payer_sponsor": payer["sponsor"],
                    "counterparty_sponsor": counterparty["sponsor"],
                    "payer_points": points[0],
                    "counterparty_points": points[1],
                    "payer_sponsor_points": points[2],
                    "counterparty_sponsor_points": points[3],
                    "reward_per_point": ledger.totals["reward_per_point"],
                }
            )
            source, memo, cause = payer["address"], None, "RelationPaid"
        elif kind == "contribution":
            amount = rng.randrange(1, 2000) * EUR
            to_m, to_e, to_c, _ = ledger.receive(amount, 0)
            source, memo, cause = (
                address(rng.randrange(len(members), 2 * len(members))),
                "soutien",
                "Contributed",
            )
        elif kind == "claim":
            member = rng.choice(members)
            amount = min(
                rng.randrange(1, 50) * EUR,
                ledger.totals["members_received"] - ledger.totals["rewards_claimed"],
            )
            if amount <= 0:
                continue
            ledger.totals["rewards_claimed"] += amount
            member["claimed"] += amount
            claims.append(
                {
                    **b,
                    "member": member["address"],
                    "amount": amount,
                    "reward_per_point": ledger.totals["reward_per_point"],
                }
            )
            ledger.snapshot(b, "RewardsClaimed")
            continue
        elif kind == "funding":
            amount = min(
                rng.randrange(50, 3000) * EUR, ledger.totals["ess_received"] - ledger.totals["ess_disbursed"]
            )
            if amount <= 0:
                continue
            project = rng.randrange(1, sizes.projects + 1)
            ledger.totals["ess_disbursed"] += amount
            project_funded.setdefault(project, []).append(amount)
            fundings.append(
                {
                    **b,
                    "project_id": project,
                    "payout_wallet": address(100_000 + project),
                    "amount": amount,
                    "proposal_id": None,
                }
            )
            ledger.snapshot(b, "EssProjectFunded")
            continue
        else:
            amount = min(
                rng.randrange(20, 1500) * EUR,
                ledger.totals["collective_received"] - ledger.totals["collective_spent"],
            )
            if amount <= 0:
                continue
            ledger.totals["collective_spent"] += amount
            spends.append(
                {
                    **b,
                    "steward": address(1),
                    "recipient": address(200_000 + rng.randrange(40)),
                    "amount": amount,
                    "memo": "vitrine",
                }
            )
            ledger.snapshot(b, "CollectiveSpent")
            continue
        t = ledger.totals
        inflows.append(
            {
                **b,
                "kind": "relation" if cause == "RelationPaid" else "contribution",
                "source": source,
                "amount": amount,
                "to_members": to_m,
                "to_ess": to_e,
                "to_collective": to_c,
                "reward_per_point": t["reward_per_point"],
                "reward_per_point_increase": 0,
                "undistributed_after": t["undistributed_rewards"],
                "total_points_after": t["total_points"],
                "memo": memo,
            }
        )
        ledger.snapshot(b, cause)

    # Members' reward positions: what is left in the members' bucket, shared by points.
    t = ledger.totals
    left = t["members_received"] - t["rewards_claimed"] - t["undistributed_rewards"]
    for m in members:
        m["reward_per_point_paid"] = t["reward_per_point"]
        m["accrued"] = left * m["points"] // max(t["total_points"], 1)

    projects = []
    for p in range(1, sizes.projects + 1):
        doc = {
            "name": f"{rng.choice(WORDS).capitalize()} solidaire n°{p}",
            "legalForm": rng.choice(FORMS),
            "themes": rng.sample(THEMES, 2),
            "territories": rng.sample(COMMUNES, 2),
            "description": f"Projet {p}: {rng.choice(WORDS)} et {rng.choice(WORDS)} pour le quartier",
        }
        funded = project_funded.get(p, [])
        projects.append(
            {
                "chain_id": chain,
                "project_id": p,
                "owner": address(9 + 10 * (p % 900)),
                "payout_wallet": address(100_000 + p),
                "metadata_uri": f"ipfs://bench/{p}",
                "metadata_hash": "0x" + rng.randbytes(32).hex(),
                "active": p % 17 != 0,
                "registered_block": blocks[1].number,
                "registered_time": blocks[1].timestamp,
                "updated_block": blocks[1].number,
                "updated_time": blocks[1].timestamp,
                "funded_total": sum(funded),
                "funding_count": len(funded),
                "metadata_status": "ok",
                "metadata_doc": doc,
                "metadata_error": None,
                "metadata_checked_at": blocks[1].timestamp,
            }
        )

    proposals, votes, changes = governance(
        rng, chain, blocks, members, sizes.proposals, sizes.votes_per_proposal, base
    )
    head = blocks[-1]
    state = {
        "chain_id": chain,
        **t,
        "members_bps": SHARES[0],
        "ess_bps": SHARES[1],
        "collective_bps": SHARES[2],
        "payer_bps": WEIGHTS[0],
        "counterparty_bps": WEIGHTS[1],
        "payer_sponsor_bps": WEIGHTS[2],
        "counterparty_sponsor_bps": WEIGHTS[3],
        "min_relation_fee": 10 * EUR,
        "steward": address(1),
        "membership_fee": 0,
        "invitation_allowance": 10,
        "pool": deployment.contracts["pool"].address,
        "active_members": sum(m["status"] == "active" for m in members),
        "members_total": len(members),
        "voting_delay": 1,
        "voting_period": 300,
        "proposal_threshold": 0,
        "quorum_numerator": 20,
        "timelock": deployment.contracts["timelock"].address,
        "timelock_min_delay": 60,
        "relation_count": len(relations),
        "inflow_count": len(inflows),
        "accumulator_mismatches": 0,
    }
    pending = [
        {
            **base(head, 100_000 + i),
            "invitee": address(300_000 + i),
            "sponsor": members[i]["address"],
            "kind": 1,
            "status": "pending",
            "closed_block": None,
            "closed_time": None,
            "closed_tx": None,
        }
        for i in range(300)
    ]
    quorum = [
        {
            **base(blocks[0], 0),
            "contract": "governor",
            "event": "QuorumNumeratorUpdated",
            "parameter": "quorum_numerator",
            "old_value": 0,
            "new_value": 20,
            "proposal_id": None,
        }
    ]
    tables: list[tuple[Any, list[dict[str, Any]]]] = [
        (Member, members),
        (Relation, relations),
        (Inflow, inflows),
        (BucketSnapshot, ledger.snapshots),
        (Claim, claims),
        (EssFunding, fundings),
        (CollectiveSpend, spends),
        (EssProject, projects),
        (Proposal, proposals),
        (ProposalChange, changes),
        (Vote, votes),
        (Invitation, pending),
        (ParameterChange, quorum),
        (DaoState, [state]),
        (
            IndexedBlock,
            [
                {
                    "chain_id": chain,
                    "number": b.number,
                    "hash": b.hash,
                    "parent_hash": "0x" + "00" * 32,
                    "timestamp": b.timestamp,
                    "has_events": True,
                }
                for b in blocks
            ],
        ),
        (
            Checkpoint,
            [
                {
                    "chain_id": chain,
                    "network": deployment.network,
                    "fingerprint": deployment.fingerprint(),
                    "deployment_block": deployment.deployment_block,
                    "block_number": head.number,
                    "block_hash": head.hash,
                    "updated_at": head.timestamp,
                }
            ],
        ),
    ]
    with engine.begin() as connection:
        for model, rows in tables:
            if model is EssProject or model is Proposal or len(rows) < 2:
                for row in rows:  # JSON columns (and single rows): plain SQLAlchemy inserts
                    connection.execute(model.__table__.insert(), row)
            else:
                for start in range(0, len(rows), 50_000):
                    insert_rows(connection, model.__table__, rows[start : start + 50_000])
            counts[model.__tablename__] = len(rows)
    engine.dispose()
    return counts
