"""Every inflow and outflow (keyset pages merged from four tables), totals and the Sankey graph."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import BindParameter, Connection, and_, bindparam, or_, select, tuple_

from cmir.api.schemas.common import AsOf
from cmir.api.schemas.flows import (
    INFLOW_KINDS,
    FlowItem,
    FlowList,
    FlowTotals,
    FlowTotalsPoint,
    Sankey,
    SankeyLink,
    SankeyNode,
    Split,
)
from cmir.api.services import series
from cmir.api.services.context import Context, cursor_of, exact_sums, load_as_of
from cmir.api.services.pool import dao_state, outflows
from cmir.api.statements import Prepared
from cmir.store import Claim, CollectiveSpend, EssFunding, EssProject, Inflow, Relation

IN = Inflow.__table__
REL = Relation.__table__
CL = Claim.__table__
FU = EssFunding.__table__
SP = CollectiveSpend.__table__
PR = EssProject.__table__


@dataclass(frozen=True)
class FlowFilter:
    """Filters of the flow list."""

    direction: str | None = None
    kind: str | None = None
    bucket: str | None = None
    address: str | None = None
    from_block: int | None = None
    to_block: int | None = None
    from_time: datetime | None = None
    to_time: datetime | None = None


def _common(table: Any, f: FlowFilter, after: bool) -> list[Any]:
    """Conditions on chain position and time, each value a bound parameter (see `_params`)."""
    conditions: list[Any] = [table.c.chain_id == bindparam("chain")]
    if after:
        conditions.append(
            tuple_(table.c.block_number, table.c.log_index) < tuple_(bindparam("block"), bindparam("log"))
        )
    if f.from_block is not None:
        conditions.append(table.c.block_number >= bindparam("from_block"))
    if f.to_block is not None:
        conditions.append(table.c.block_number <= bindparam("to_block"))
    if f.from_time is not None:
        conditions.append(table.c.block_time >= bindparam("from_time"))
    if f.to_time is not None:
        conditions.append(table.c.block_time < bindparam("to_time"))
    return conditions


def _params(ctx: Context, f: FlowFilter, cursor: tuple[int, int] | None, limit: int) -> dict[str, Any]:
    """The bound values of a flow query (a statement ignores those it does not use)."""
    block, log = cursor if cursor is not None else (None, None)
    return {
        "chain": ctx.chain_id,
        "block": block,
        "log": log,
        "from_block": f.from_block,
        "to_block": f.to_block,
        "from_time": None if f.from_time is None else int(f.from_time.timestamp()),
        "to_time": None if f.to_time is None else int(f.to_time.timestamp()),
        "kind": f.kind,
        "address": f.address,
        "limit": limit,
    }


# Statements by table and filter shape, built once (building one cost more than running it) and
# run on the DBAPI cursor (see `cmir.api.statements`).
_STATEMENTS: dict[tuple[Any, ...], Prepared] = {}


def _shape(f: FlowFilter, cursor: tuple[int, int] | None) -> tuple[Any, ...]:
    """What a statement's text depends on: which filters are set (not their values)."""
    return (
        cursor is not None,
        f.from_block is not None,
        f.to_block is not None,
        f.from_time is not None,
        f.to_time is not None,
        f.kind is not None,
        f.bucket,
        f.address is not None,
    )


def _statement(key: tuple[Any, ...], build: Callable[[], Any]) -> Prepared:
    if key not in _STATEMENTS:
        _STATEMENTS[key] = Prepared(build())
    return _STATEMENTS[key]


def _wants(f: FlowFilter, direction: str, kinds: tuple[str, ...], bucket: str | None) -> bool:
    if f.direction is not None and f.direction != direction:
        return False
    if f.kind is not None and f.kind not in kinds:
        return False
    return f.bucket is None or bucket is None or f.bucket == bucket


def _fetch(query: Any, table: Any) -> Any:
    """`query` newest first, at most ``:limit`` rows."""
    return query.order_by(table.c.block_number.desc(), table.c.log_index.desc()).limit(bindparam("limit"))


# A row read and how to show it: items are built only for the rows a page keeps.
Pending = tuple[tuple[int, int], Callable[[], FlowItem]]


def _pending(rows: list[Any], build: Callable[..., FlowItem], *args: Any, **extra: Any) -> list[Pending]:
    return [((r.block_number, r.log_index), partial(build, *args, r, **extra)) for r in rows]


def _in_item(ctx: Context, r: Any) -> FlowItem:
    return FlowItem(
        **ctx.tx_fields(r),
        id=cursor_of(r),
        direction="in",
        kind=r.kind,
        bucket=None,
        amount=ctx.amount(r.amount),
        split=Split(
            members=ctx.amount(r.to_members),
            ess=ctx.amount(r.to_ess),
            collective=ctx.amount(r.to_collective),
        ),
        members_to_ess=ctx.amount(r.members_to_ess),
        epoch=r.epoch,
        source=r.source,
        recipient=None,
        counterparty=r.counterparty,
        relation_ref=r.relation_ref,
        memo=r.memo,
        project_id=None,
        proposal_id=None,
    )


def _inflows_query(f: FlowFilter, after: bool) -> Any:
    conditions = _common(IN, f, after)
    if f.kind is not None:
        conditions.append(IN.c.kind == bindparam("kind"))
    if f.bucket is not None:
        conditions.append(
            {"members": IN.c.to_members, "ess": IN.c.to_ess, "collective": IN.c.to_collective}[f.bucket] > 0
        )
    join = IN.outerjoin(
        REL,
        and_(
            REL.c.chain_id == IN.c.chain_id,
            REL.c.block_number == IN.c.block_number,
            REL.c.log_index == IN.c.log_index,
        ),
    )
    if f.address is not None:
        conditions.append(
            or_(IN.c.source == bindparam("address"), REL.c.counterparty == bindparam("address"))
        )
    query = select(IN, REL.c.counterparty, REL.c.relation_ref).select_from(join).where(*conditions)
    return _fetch(query, IN)


def _inflows(connection: Connection, ctx: Context, f: FlowFilter, cursor: Any, limit: int) -> list[Pending]:
    query = _statement(("in", *_shape(f, cursor)), lambda: _inflows_query(f, cursor is not None))
    rows = query.rows(connection, _params(ctx, f, cursor, limit))
    return _pending(rows, _in_item, ctx)


def _out(ctx: Context, kind: str, bucket: str, r: Any, **extra: Any) -> FlowItem:
    recipient = extra.pop("recipient")
    values: dict[str, Any] = {"memo": None, "project_id": None, "proposal_id": None, **extra}
    return FlowItem(
        **ctx.tx_fields(r),
        id=cursor_of(r),
        direction="out",
        kind=kind,  # type: ignore[arg-type]
        bucket=bucket,  # type: ignore[arg-type]
        amount=ctx.amount(r.amount),
        split=None,
        members_to_ess=None,
        epoch=None,
        source=None,
        recipient=recipient,
        counterparty=None,
        relation_ref=None,
        **values,
    )


def _outflow_query(table: Any, f: FlowFilter, after: bool) -> Any:
    conditions = _common(table, f, after)
    if f.address is not None:
        address: BindParameter[Any] = bindparam("address")
        if table is CL:
            conditions.append(CL.c.member == address)
        elif table is FU:
            conditions.append(FU.c.payout_wallet == address)
        else:
            conditions.append(or_(SP.c.recipient == address, SP.c.steward == address))
    return _fetch(select(table).where(*conditions), table)


def _outflows(connection: Connection, ctx: Context, f: FlowFilter, cursor: Any, limit: int) -> list[Pending]:
    items: list[Pending] = []
    params = _params(ctx, f, cursor, limit)

    def rows(table: Any) -> list[Any]:
        query = _statement(
            (table.name, *_shape(f, cursor)), lambda: _outflow_query(table, f, cursor is not None)
        )
        return query.rows(connection, params)

    if _wants(f, "out", ("claim",), "members"):
        items += [
            ((r.block_number, r.log_index), partial(_out, ctx, "claim", "members", r, recipient=r.member))
            for r in rows(CL)
        ]
    if _wants(f, "out", ("ess_funding",), "ess"):
        items += [
            (
                (r.block_number, r.log_index),
                partial(
                    _out,
                    ctx,
                    "ess_funding",
                    "ess",
                    r,
                    recipient=r.payout_wallet,
                    project_id=str(r.project_id),
                    proposal_id=None if r.proposal_id is None else str(r.proposal_id),
                ),
            )
            for r in rows(FU)
        ]
    if _wants(f, "out", ("collective_spend",), "collective"):
        items += [
            (
                (r.block_number, r.log_index),
                partial(_out, ctx, "collective_spend", "collective", r, recipient=r.recipient, memo=r.memo),
            )
            for r in rows(SP)
        ]
    return items


def list_flows(
    connection: Connection, ctx: Context, f: FlowFilter, cursor: tuple[int, int] | None, limit: int
) -> FlowList:
    """Flows matching `f`, newest first: at most `limit` + 1 rows read from each table, merged."""
    pending: list[Pending] = []
    if _wants(f, "in", INFLOW_KINDS, None):
        pending += _inflows(connection, ctx, f, cursor, limit + 1)
    pending += _outflows(connection, ctx, f, cursor, limit + 1)
    pending.sort(key=lambda p: p[0], reverse=True)
    more = len(pending) > limit
    items = [build() for _, build in pending[:limit]]
    return FlowList(items=items, limit=limit, next_cursor=items[-1].id if more and items else None)


def totals(
    connection: Connection, ctx: Context, period: str, start: date | None, end: date | None, limit: int
) -> FlowTotals:
    """Money in and out per period (from the cumulative bucket snapshots: exact)."""
    as_of = load_as_of(connection, ctx)
    s = dao_state(connection, ctx)
    selected, previous = series.window(series.points(connection, ctx, as_of, period), start, end, limit)
    points = []
    for point in selected:
        d = series.delta(point, previous)
        previous = point
        points.append(
            FlowTotalsPoint(
                start=point.start,
                inflow=ctx.amount(d["total_received"]),
                to_members=ctx.amount(d["members_received"]),
                to_ess=ctx.amount(d["ess_received"]),
                to_collective=ctx.amount(d["collective_received"]),
                claimed=ctx.amount(d["rewards_claimed"]),
                ess_disbursed=ctx.amount(d["ess_disbursed"]),
                collective_spent=ctx.amount(d["collective_spent"]),
                outflow=ctx.amount(d["rewards_claimed"] + d["ess_disbursed"] + d["collective_spent"]),
                counts={series.describe(k): v for k, v in sorted(point.counts.items())},
            )
        )
    return FlowTotals(
        as_of=as_of,
        period=period,  # type: ignore[arg-type]
        total_in=ctx.amount(s.total_received),
        total_out=ctx.amount(outflows(s)),
        points=points,
    )


SOURCE_LABELS = {
    "relation": ("Relations payées", "Paid relations"),
    "contribution": ("Contributions", "Contributions"),
    "membership_fee": ("Droits d'adhésion", "Membership fees"),
    "surplus": ("Excédents comptabilisés", "Accounted surplus"),
}
BUCKET_LABELS = {
    "members": ("Membres", "Members"),
    "ess": ("ESS", "ESS"),
    "collective": ("Fonds collectif", "Collective fund"),
}
TOP_PROJECTS = 12
TOP_RECIPIENTS = 8


def _largest_first(connection: Connection, ctx: Context, table: Any, key: Any) -> list[dict[str, Any]]:
    """The exact sum of `table`'s amounts per `key`, largest first."""
    rows = exact_sums(
        connection,
        lambda total: (
            select(key, total(table.c.amount).label("amount"))
            .where(table.c.chain_id == ctx.chain_id)
            .group_by(key)
        ),
        ("amount",),
    )
    rows.sort(key=lambda r: r["amount"], reverse=True)
    return rows


def _sankey(connection: Connection, ctx: Context, as_of: AsOf) -> Sankey:
    s = dao_state(connection, ctx)
    by_kind = exact_sums(
        connection,
        lambda total: (
            select(
                IN.c.kind,
                total(IN.c.to_members).label("members"),
                total(IN.c.to_ess).label("ess"),
                total(IN.c.to_collective).label("collective"),
            )
            .where(IN.c.chain_id == ctx.chain_id)
            .group_by(IN.c.kind)
        ),
        ("members", "ess", "collective"),
    )
    nodes: list[SankeyNode] = []
    links: list[SankeyLink] = []
    for bucket, (fr, en) in BUCKET_LABELS.items():
        nodes.append(SankeyNode(id=f"bucket:{bucket}", label=fr, label_en=en, column=1))
    for row in sorted(
        by_kind, key=lambda r: INFLOW_KINDS.index(r["kind"]) if r["kind"] in INFLOW_KINDS else 99
    ):
        fr, en = SOURCE_LABELS.get(row["kind"], (row["kind"], row["kind"]))
        nodes.append(SankeyNode(id=f"in:{row['kind']}", label=fr, label_en=en, column=0))
        for bucket in BUCKET_LABELS:
            if row[bucket] > 0:
                links.append(
                    SankeyLink(
                        source=f"in:{row['kind']}", target=f"bucket:{bucket}", value=ctx.amount(row[bucket])
                    )
                )

    def out(node_id: str, fr: str, en: str, bucket: str, value: int) -> None:
        if value > 0:
            nodes.append(SankeyNode(id=node_id, label=fr, label_en=en, column=2))
            links.append(SankeyLink(source=f"bucket:{bucket}", target=node_id, value=ctx.amount(value)))

    out("out:claimed", "Récompenses réclamées", "Rewards claimed", "members", int(s.rewards_claimed))
    out(
        "out:members_available",
        "À réclamer",
        "Still to claim",
        "members",
        int(s.members_received) - int(s.rewards_claimed),
    )
    projects = _largest_first(connection, ctx, FU, FU.c.project_id)
    names = {
        int(r.project_id): r.metadata_doc.get("name") if isinstance(r.metadata_doc, dict) else None
        for r in connection.execute(
            select(PR.c.project_id, PR.c.metadata_doc).where(
                PR.c.chain_id == ctx.chain_id,
                PR.c.project_id.in_([p["project_id"] for p in projects[:TOP_PROJECTS]]),
            )
        )
    }
    for p in projects[:TOP_PROJECTS]:
        name = names.get(int(p["project_id"])) or f"Projet {p['project_id']}"
        out(f"project:{p['project_id']}", str(name)[:80], str(name)[:80], "ess", p["amount"])
    out(
        "out:other_projects",
        "Autres projets",
        "Other projects",
        "ess",
        sum(p["amount"] for p in projects[TOP_PROJECTS:]),
    )
    out(
        "out:ess_available",
        "ESS à allouer",
        "ESS available",
        "ess",
        int(s.ess_received) - int(s.ess_disbursed),
    )
    spends = _largest_first(connection, ctx, SP, SP.c.recipient)
    for r in spends[:TOP_RECIPIENTS]:
        out(
            f"recipient:{r['recipient']}",
            f"Dépenses → {r['recipient'][:10]}…",
            f"Spent → {r['recipient'][:10]}…",
            "collective",
            r["amount"],
        )
    out(
        "out:other_spends",
        "Autres dépenses",
        "Other spends",
        "collective",
        sum(r["amount"] for r in spends[TOP_RECIPIENTS:]),
    )
    out(
        "out:collective_available",
        "Fonds collectif disponible",
        "Collective fund available",
        "collective",
        int(s.collective_received) - int(s.collective_spent),
    )
    return Sankey(as_of=as_of, nodes=nodes, links=links)


def sankey(connection: Connection, ctx: Context) -> Sankey:
    """The Sankey graph at the indexed block (computed once per block)."""
    as_of = load_as_of(connection, ctx)
    return ctx.cached(as_of, "sankey", lambda: _sankey(connection, ctx, as_of))
