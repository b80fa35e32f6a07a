"""Reconciliation (the mirror against the chain at the indexed block), health, the ESS floor."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from sqlalchemy import Connection, func, select, text

from cmir.api.deps import AppState
from cmir.api.errors import ChainReadError
from cmir.api.schemas.common import AsOf, timestamp
from cmir.api.schemas.status import ChainHealth, DatabaseHealth, Figure, Health, IndexerHealth, Reconciliation
from cmir.api.services.context import Context, load_as_of
from cmir.api.services.points import now_of
from cmir.api.services.pool import budget_figures, dao_state, epoch_figures, outflows, point_totals
from cmir.store import Checkpoint, EssProject

POOL_VIEWS = (
    ("totals", "totals", ()),
    ("ess_available", "essAvailable", ()),
    ("collective_available", "collectiveAvailable", ()),
    ("members_available", "membersAvailable", ()),
    ("shares", "shares", ()),
    ("weights", "pointWeights", ()),
    ("min_relation_fee", "minRelationFee", ()),
    ("steward", "steward", ()),
    ("epoch_clock", "epochClock", ()),
    ("epoch_reward_cap_bps", "epochRewardCapBps", ()),
    ("max_epoch_reward_cap_bps", "maxEpochRewardCapBps", ()),
    ("parties_min_share_bps", "partiesMinShareBps", ()),
    ("collective_budget", "collectiveBudget", ()),
)
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
#: The membership's rules(): (name, key, label).
RULES = (
    ("probation", "probation", "probation (seconds)"),
    ("invitation_refill_period", "invitationRefillPeriod", "invitation refill period (seconds)"),
    ("invitation_cap", "invitationCap", "most unused invitations"),
    ("invitation_ttl", "invitationTtl", "invitation life (seconds)"),
)
TOTALS = (
    ("total_received", "totalReceived", "total received"),
    ("members_received", "membersReceived", "members' bucket received"),
    ("ess_received", "essReceived", "ESS bucket received"),
    ("collective_received", "collectiveReceived", "collective bucket received"),
    ("rewards_claimed", "rewardsClaimed", "rewards claimed"),
    ("ess_disbursed", "essDisbursed", "ESS disbursed"),
    ("collective_spent", "collectiveSpent", "collective spent"),
)
#: Points and the epoch as totals() gives them: (name, key, label).
POINT_TOTALS = (
    ("matured_points", "maturedPoints", "matured points"),
    ("pending_points", "pendingPoints", "pending points"),
    ("reward_per_point", "rewardPerPoint", "reward per point (x1e27)"),
)


@dataclass(frozen=True)
class ChainFigures:
    """What the chain said at one block."""

    block_hash: str | None
    values: dict[str, Any]
    read_at: datetime


def _chain_calls(state: AppState) -> list[Any]:
    from cmir.api.chain import ViewCall

    contracts = state.deployment.contracts
    calls = [ViewCall(key, "pool", fn, args) for key, fn, args in POOL_VIEWS]
    if "token" in contracts:
        calls.append(ViewCall("balance", "token", "balanceOf", (contracts["pool"].address,)))
    if "membership" in contracts:
        calls.append(ViewCall("active_members", "membership", "activeMemberCount"))
        calls.append(ViewCall("membership_fee", "membership", "membershipFee"))
        calls.append(ViewCall("rules", "membership", "rules"))
    if "registry" in contracts:
        calls.append(ViewCall("project_count", "registry", "projectCount"))
    if "governor" in contracts:
        calls.append(ViewCall("quorum_numerator", "governor", "quorumNumerator"))
        calls.append(ViewCall("quorum_floor", "governor", "quorumFloor"))
        calls.append(ViewCall("approval_grace_period", "governor", "approvalGracePeriod"))
        calls.append(ViewCall("guardian", "governor", "guardian"))
    return calls


def chain_figures(state: AppState, block: int, block_hash: str | None) -> ChainFigures:
    """The chain's views at `block`, read once per (block, hash) and process."""

    def read() -> ChainFigures:
        chain_hash, values = state.chain.read(block, _chain_calls(state))
        return ChainFigures(chain_hash, values, datetime.now(UTC))

    return state.chain_cache.get_or_compute(("views", block, block_hash), read)


def ess_floor_sync(state: AppState) -> int | None:
    """The pool's ESS floor, fixed at deployment (read once from the chain; None if unreachable)."""
    from cmir.api.chain import ViewCall

    value = state.chain.constant(ViewCall("ess_floor_bps", "pool", "essFloorBps"))
    return None if value is None else int(value)


async def ess_floor(state: AppState) -> int | None:
    """`ess_floor_sync` on a worker thread."""
    return await anyio.to_thread.run_sync(ess_floor_sync, state)


def _database_figures(connection: Connection, ctx: Context) -> tuple[AsOf, dict[str, Any]]:
    as_of = load_as_of(connection, ctx)
    s = dao_state(connection, ctx)
    projects = connection.execute(
        select(func.count())
        .select_from(EssProject.__table__)
        .where(EssProject.__table__.c.chain_id == ctx.chain_id)
    ).scalar_one()
    values = dict(s._mapping)
    values["project_count"] = int(projects)
    values["balance"] = int(s.total_received) - outflows(s)
    now = now_of(as_of)
    values["matured_points"], values["pending_points"] = point_totals(s, now)
    epoch = epoch_figures(s, now)
    values["epoch"] = epoch.epoch
    values["epoch_length"] = epoch.length
    values["max_epoch_reward_cap_bps"] = epoch.max_reward_cap_bps
    budget = budget_figures(s, now)
    values["budget_amount"], values["budget_period"], values["budget_start"], values["budget_spent"] = budget
    return as_of, values


def _figure(ctx: Context, name: str, label: str, unit: str, db: Any, chain: Any) -> Figure:
    def shown(value: Any) -> str | None:
        if value is None:
            return None
        return ctx.amount(int(value)).display if unit == "amount" else str(value)

    if unit == "address":
        same = (db or "").lower() == (chain or "").lower()
    else:
        same = db is not None and chain is not None and int(db) == int(chain)
    status = "ok" if same else "mismatch"
    if name == "balance" and not same and db is not None and chain is not None and int(chain) > int(db):
        status = "surplus"
    return Figure(
        name=name,
        label=label,
        unit=unit,  # type: ignore[arg-type]
        database=None if db is None else str(db),
        chain=None if chain is None else str(chain),
        database_display=shown(db),
        chain_display=shown(chain),
        status=status,  # type: ignore[arg-type]
    )


async def reconciliation(state: AppState) -> Reconciliation:
    """Every mirrored figure next to the chain's, at the indexed block."""
    ctx = state.ctx
    # the transaction ends before the chain is read (which may wait on a slow RPC endpoint)
    as_of, db = await state.database.run(functools.partial(_database_figures, ctx=ctx))
    chain = await anyio.to_thread.run_sync(chain_figures, state, as_of.block, as_of.block_hash)
    v = chain.values
    totals = v["totals"]
    figures = [_figure(ctx, n, label, "amount", db[n], totals[key]) for n, key, label in TOTALS]
    figures += [_figure(ctx, n, label, "points", db[n], totals[key]) for n, key, label in POINT_TOTALS]
    figures.append(_figure(ctx, "epoch", "current epoch", "count", db["epoch"], totals["epoch"]))
    figures.append(
        _figure(
            ctx,
            "epoch_length",
            "epoch length (seconds)",
            "count",
            db["epoch_length"],
            v["epoch_clock"]["length"],
        )
    )
    for name, label in (
        ("epoch_reward_cap_bps", "reward cap per epoch"),
        ("max_epoch_reward_cap_bps", "highest reward cap allowed"),
        ("parties_min_share_bps", "parties' minimum share of points"),
    ):
        figures.append(_figure(ctx, name, label, "bps", db[name], v[name]))
    for name, label, db_value in (
        ("members_available", "members' bucket available", db["members_received"] - db["rewards_claimed"]),
        ("ess_available", "ESS bucket available", db["ess_received"] - db["ess_disbursed"]),
        (
            "collective_available",
            "collective bucket available",
            db["collective_received"] - db["collective_spent"],
        ),
    ):
        figures.append(_figure(ctx, name, label, "amount", db_value, v[name]))
    if "balance" in v:
        figures.append(_figure(ctx, "balance", "pool token balance", "amount", db["balance"], v["balance"]))
    for name, key, label in (
        ("members_bps", "membersBps", "members' share"),
        ("ess_bps", "essBps", "ESS share"),
        ("collective_bps", "collectiveBps", "collective share"),
    ):
        figures.append(_figure(ctx, name, label, "bps", db[name], v["shares"][key]))
    for name, key, label in (
        ("payer_bps", "payerBps", "payer's point weight"),
        ("counterparty_bps", "counterpartyBps", "counterparty's point weight"),
        ("payer_sponsor_bps", "payerSponsorBps", "payer's sponsor's point weight"),
        ("counterparty_sponsor_bps", "counterpartySponsorBps", "counterparty's sponsor's point weight"),
    ):
        figures.append(_figure(ctx, name, label, "bps", db[name], v["weights"][key]))
    figures.append(
        _figure(
            ctx,
            "min_relation_fee",
            "minimum relation fee",
            "amount",
            db["min_relation_fee"],
            v["min_relation_fee"],
        )
    )
    figures.append(_figure(ctx, "steward", "steward", "address", db["steward"], v["steward"]))
    budget = v["collective_budget"]
    for name, key, label, unit in (
        ("budget_amount", "amount", "steward's budget per period", "amount"),
        ("budget_period", "period", "steward's budget period (seconds)", "count"),
        ("budget_start", "periodStart", "start of the steward's running period", "count"),
        ("budget_spent", "spent", "spent by the steward this period", "amount"),
    ):
        figures.append(_figure(ctx, name, label, unit, db[name], budget[key]))
    if "rules" in v:
        for name, key, label in RULES:
            figures.append(_figure(ctx, name, label, "count", db[name], v["rules"][key]))
    for name, label, unit in (
        ("active_members", "active members", "count"),
        ("membership_fee", "membership fee", "amount"),
        ("project_count", "ESS projects registered", "count"),
        ("quorum_numerator", "quorum (% of members)", "count"),
        ("quorum_floor", "quorum floor (votes)", "count"),
        ("approval_grace_period", "approval grace period (seconds)", "count"),
    ):
        if name in v:
            figures.append(_figure(ctx, name, label, unit, db[name], v[name]))
    if "guardian" in v:
        chain_guardian = None if v["guardian"] == ZERO_ADDRESS else v["guardian"]
        figures.append(_figure(ctx, "guardian", "guardian", "address", db["guardian"], chain_guardian))
    mismatches = sum(1 for f in figures if f.status == "mismatch")
    reorged = (
        chain.block_hash is not None and as_of.block_hash is not None and chain.block_hash != as_of.block_hash
    )
    return Reconciliation(
        as_of=as_of,
        status="reorged" if reorged else "mismatch" if mismatches else "ok",
        chain_block_hash=chain.block_hash,
        figures=figures,
        mismatches=mismatches,
        read_at=chain.read_at,
    )


def _indexer_row(connection: Connection, ctx: Context) -> Any:
    connection.execute(text("SELECT 1"))
    c = Checkpoint.__table__
    try:
        return connection.execute(select(c).where(c.c.chain_id == ctx.chain_id)).first()
    except Exception:  # no tables yet: reachable, not indexed
        return None


async def health(state: AppState) -> tuple[Health, int]:
    """Database reachable, indexer lag (head - indexed block), chain reachable; and the HTTP status."""
    database = DatabaseHealth(reachable=True, error=None)
    checkpoint = None
    try:
        # not the routes' `Conn`: a database that cannot be read is this route's answer
        checkpoint = await state.database.run(functools.partial(_indexer_row, ctx=state.ctx))
    except Exception as exc:  # any failure to read is what health reports
        database = DatabaseHealth(reachable=False, error=type(exc).__name__)
    chain = ChainHealth(reachable=True, error=None)
    head = None
    try:
        head = await anyio.to_thread.run_sync(state.chain.head)
    except ChainReadError as exc:
        chain = ChainHealth(reachable=False, error=exc.detail)
    block = checkpoint.block_number if checkpoint is not None else None
    indexer = IndexerHealth(
        checkpoint_block=block,
        checkpoint_time=None,
        updated_at=timestamp(checkpoint.updated_at) if checkpoint is not None else None,
        head=head,
        lag_blocks=max(head - block, 0) if head is not None and block is not None else None,
    )
    if not database.reachable:
        return Health(status="down", database=database, indexer=indexer, chain=chain), 503
    ok = chain.reachable and block is not None
    return Health(status="ok" if ok else "degraded", database=database, indexer=indexer, chain=chain), 200
