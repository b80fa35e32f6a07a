"""A synthetic year of the DAO written through the indexer's own tables (Alembic schema, bulk
inserts): members with sponsors, paid relations with their inflows and bucket snapshots,
contributions, claims, exclusions, ESS projects and fundings, collective spends, proposals and
votes. The pool's arithmetic is replayed as the contract does it (`Ledger`): points pending until
their epoch ends, the members' share spread over matured points within the epoch's reward cap,
the rest to ESS; members' positions, claims and freezes settle as on chain."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from eth_utils.address import to_checksum_address

from cmir.chain.deployment import Deployment
from cmir.dev.bench.api.ledger import SHARES, Ledger, PoolSettings
from cmir.dev.bench.api.proposals import governance
from cmir.indexer.projections.context import new_member
from cmir.store import (
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
    RewardFreeze,
    Vote,
    rewards,
)
from cmir.store.bulk import insert_rows
from cmir.store.session import make_engine, upgrade

EUR = 10**6
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
    url: str,
    deployment: Deployment,
    blocks: Sequence[Block],
    sizes: Sizes,
    settings: PoolSettings,
    seed: int = 7,
) -> dict[str, int]:
    """Create the schema at `url` and write the synthetic year of the pool deployed with
    `settings`; returns row counts."""
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
                # founders vote from joining; the others after the local probation (60 s)
                "votes_from": block.timestamp + (0 if i < 3 else 60),
                "invitation_anchor": block.timestamp + (0 if i < 3 else 60),
            }
        )
    by_address = {m["address"]: m for m in members}
    for m in members:
        if m["sponsor"]:
            by_address[m["sponsor"]]["invitations_sent"] += 1
    excluded = rng.sample(members[3:], len(members) // 50)

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
    ledger = Ledger(settings)
    relations, inflows, claims, fundings, spends = [], [], [], [], []
    project_funded: dict[int, list[int]] = {}
    cumulative = list(accumulate(1.0 / (1 + (i % 97)) for i in range(len(members))))  # a few hubs
    for kind, (block, log) in zip(kinds, slots, strict=True):
        b = base(block, log)
        current = ledger.epoch_at(block.timestamp)
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
            ledger.advance(current)
            for party, n in zip(parties, points, strict=True):
                if party:
                    ledger.award(party, n, current)
            to_m, to_e, to_c, increase, to_ess = ledger.receive(amount, current)
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
                    "epoch": current,
                    "members_to_ess": to_ess,
                }
            )
            source, memo, cause = payer["address"], None, "RelationPaid"
        elif kind == "contribution":
            amount = rng.randrange(1, 2000) * EUR
            ledger.advance(current)
            to_m, to_e, to_c, increase, to_ess = ledger.receive(amount, current)
            source, memo, cause = (
                address(rng.randrange(len(members), 2 * len(members))),
                "soutien",
                "Contributed",
            )
        elif kind == "claim":
            member = rng.choice(members)
            ledger.settle(member, current)  # a claim pays everything accrued
            amount = member["accrued"]
            if amount <= 0:
                continue
            member["accrued"] = 0
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
            ledger.snapshot(b, "RewardsClaimed", current)
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
            ledger.snapshot(b, "EssProjectFunded", current)
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
            ledger.snapshot(b, "CollectiveSpent", current)
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
                "reward_per_point_increase": increase,
                "matured_points_after": t["matured_points"],
                "pending_points_after": t["pending_points"],
                "members_to_ess": to_ess,
                "epoch": current,
                "memo": memo,
            }
        )
        ledger.snapshot(b, cause, current)

    # Exclusions on the last day: each member's points leave the totals, its rewards stay.
    head = blocks[-1]
    freezes = []
    for i, m in enumerate(excluded):
        m.update(status="excluded", excluded_at=head.timestamp, excluded_block=head.number)
        m["exclusion_reason"] = "inactif"
        matured_removed, pending_removed = ledger.freeze(m, ledger.epoch_at(head.timestamp))
        freezes.append(
            {
                **base(head, 200_000 + i),
                "member": m["address"],
                "matured_removed": matured_removed,
                "pending_removed": pending_removed,
                "accrued": m["accrued"],
                "reward_per_point": ledger.totals["reward_per_point"],
            }
        )
    t = ledger.totals

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
                "wallet_version": 1 + p % 3,
                "inactive_reason": None if p % 17 != 0 else "registered" if p % 2 else "wallet_changed",
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
    clock = settings.clock
    state = {
        "chain_id": chain,
        **t,
        "undistributed_rewards": 0,
        "total_points": t["matured_points"] + t["pending_points"],
        "epoch_length": clock.length,
        "epoch_origin": clock.origin,
        "epoch_origin_epoch": clock.origin_epoch,
        "epoch_reward_cap_bps": settings.reward_cap_bps,
        "parties_min_share_bps": settings.parties_min_share_bps,
        "members_bps": SHARES[0],
        "ess_bps": SHARES[1],
        "collective_bps": SHARES[2],
        "payer_bps": WEIGHTS[0],
        "counterparty_bps": WEIGHTS[1],
        "payer_sponsor_bps": WEIGHTS[2],
        "counterparty_sponsor_bps": WEIGHTS[3],
        "min_relation_fee": 10 * EUR,
        "steward": address(1),
        "collective_budget": 10_000 * EUR,
        "collective_budget_period": 86_400,
        "budget_period_start": head.timestamp,
        "budget_spent": 0,
        "membership_fee": 0,
        "probation": 60,
        "invitation_refill_period": 60,
        "invitation_cap": 10,
        "invitation_ttl": 3600,
        "quorum_floor": 3,
        "approval_grace_period": 3600,
        "guardian": None,
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
            "expires_at": head.timestamp + 3600,
            "closed_block": None,
            "closed_time": None,
            "closed_tx": None,
            "revoked_by": None,
        }
        for i in range(300)
    ]
    settings_changes = [
        {
            **base(blocks[0], log),
            "contract": contract,
            "event": event,
            "parameter": parameter,
            "old_value": old,
            "new_value": new,
            "proposal_id": None,
        }
        for log, (contract, event, parameter, old, new) in enumerate(
            (
                ("governor", "QuorumNumeratorUpdated", "quorum_numerator", 0, 20),
                ("governor", "QuorumFloorChanged", "quorum_floor", 0, 3),
                ("governor", "ApprovalGracePeriodChanged", "approval_grace_period", 0, 3600),
                ("pool", "EpochLengthChanged", "epoch_length", None, clock.as_json()),
                ("pool", "EpochRewardCapChanged", "epoch_reward_cap_bps", 0, settings.reward_cap_bps),
                (
                    "pool",
                    "PartiesMinShareChanged",
                    "parties_min_share_bps",
                    0,
                    settings.parties_min_share_bps,
                ),
            )
        )
    ]
    tables: list[tuple[Any, list[dict[str, Any]]]] = [
        (Member, members),
        (Relation, relations),
        (Inflow, inflows),
        (BucketSnapshot, ledger.snapshots),
        (Claim, claims),
        (RewardFreeze, freezes),
        (EssFunding, fundings),
        (CollectiveSpend, spends),
        (EssProject, projects),
        (Proposal, proposals),
        (ProposalChange, changes),
        (Vote, votes),
        (Invitation, pending),
        (ParameterChange, settings_changes),
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
            if model in (EssProject, Proposal, ParameterChange) or len(rows) < 2:
                for row in rows:  # JSON columns (and single rows): plain SQLAlchemy inserts
                    connection.execute(model.__table__.insert(), row)
            else:
                for start in range(0, len(rows), 50_000):
                    insert_rows(connection, model.__table__, rows[start : start + 50_000])
            counts[model.__tablename__] = len(rows)
    engine.dispose()
    return counts
