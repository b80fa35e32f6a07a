"""The member graph (a page of nodes and the edges among them) and the network's summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, func, select

from cmir.api.schemas.common import AsOf, PageMeta, timestamp
from cmir.api.schemas.network import Graph, GraphEdge, GraphNode, GrowthPoint, KindCount, NetworkSummary
from cmir.api.services import series
from cmir.api.services.context import Context, SumFn, every_row, exact_sums, load_as_of
from cmir.api.services.members import MemberFilter, kind_name, member_conditions, member_row
from cmir.api.services.pool import dao_state
from cmir.api.statements import Prepared
from cmir.store import Invitation, Member, Relation

M = Member.__table__
R = Relation.__table__
INV = Invitation.__table__


@dataclass(frozen=True)
class GraphQuery:
    """What graph to draw."""

    kind: str | None
    status: str | None
    order: str
    center: str | None
    sponsorship: bool
    relations: bool
    max_edges: int
    limit: int
    offset: int


def _node(row: Any) -> GraphNode:
    return GraphNode(
        id=row.address,
        kind=kind_name(row.kind),
        status=row.status,
        sponsor=row.sponsor,
        joined_at=timestamp(row.joined_at),
        points=str(int(row.matured_points) + int(row.pending_points)),
        relations=row.relations_paid + row.relations_received,
    )


def _page_nodes(connection: Connection, ctx: Context, q: GraphQuery) -> tuple[list[Any], int]:
    conditions = member_conditions(ctx, MemberFilter(kind=q.kind, status=q.status))
    total = int(connection.execute(select(func.count()).select_from(M).where(*conditions)).scalar_one())
    if q.order == "activity":
        keys: tuple[Any, ...] = ((M.c.relations_paid + M.c.relations_received).desc(), M.c.address)
    else:
        keys = (M.c.joined_block, M.c.address)
    rows = connection.execute(
        select(M).where(*conditions).order_by(*keys).limit(q.limit).offset(q.offset)
    ).all()
    return list(rows), total


_CENTER_INVITEES = Prepared(
    select(M.c.address)
    .where(M.c.chain_id == bindparam("chain"), M.c.sponsor == bindparam("member"))
    .limit(bindparam("limit"))
)
# The center's counterparts, by number of relations among its latest ones: each side is a
# bounded range of its (chain, member, position) index, whatever the member's history.
RECENT_RELATIONS = 1000
_COUNTERPARTS = tuple(
    Prepared(
        select(other)
        .where(R.c.chain_id == bindparam("chain"), mine == bindparam("member"))
        .order_by(R.c.block_number.desc(), R.c.log_index.desc())
        .limit(RECENT_RELATIONS)
    )
    for mine, other in ((R.c.payer, R.c.counterparty), (R.c.counterparty, R.c.payer))
)
_MEMBERS_IN = select(M).where(
    M.c.chain_id == bindparam("chain"), M.c.address.in_(bindparam("ids", expanding=True))
)


def _pairs(total_of: SumFn) -> Any:
    """Relation edges (count and sum per payer and counterparty) among ``:ids``: one seek per
    (payer, counterparty) pair in the (chain, payer, counterparty, amount) index, read from the
    index alone; bounded by the pairs, whatever the members' histories."""
    ids: BindParameter[Any] = bindparam("ids", expanding=True)
    return (
        select(R.c.payer, R.c.counterparty, func.count().label("n"), total_of(R.c.amount).label("amount"))
        .where(R.c.chain_id == bindparam("chain"), R.c.payer.in_(ids), R.c.counterparty.in_(ids))
        .group_by(R.c.payer, R.c.counterparty)
        .order_by(func.count().desc(), R.c.payer, R.c.counterparty)
        .limit(bindparam("edges"))
    )


# one statement per summing function, built once (see `exact_sums`)
_PAIRS: dict[SumFn, Any] = {}


def _pairs_statement(total_of: SumFn) -> Any:
    if total_of not in _PAIRS:
        _PAIRS[total_of] = _pairs(total_of)
    return _PAIRS[total_of]


def _ego_nodes(connection: Connection, ctx: Context, q: GraphQuery) -> tuple[list[Any], int]:
    center = member_row(connection, ctx, q.center or "")
    params = {"chain": ctx.chain_id, "member": center.address, "limit": q.limit}
    wanted: list[str] = []
    if center.sponsor:
        wanted.append(center.sponsor)
    wanted.extend(_CENTER_INVITEES.scalars(connection, params))
    weights: Counter[str] = Counter()
    for statement in _COUNTERPARTS:
        weights.update(statement.scalars(connection, params))
    wanted.extend(a for a, _ in weights.most_common(q.limit))
    unique = list(dict.fromkeys(a for a in wanted if a != center.address))
    chosen = unique[: q.limit - 1]
    rows = connection.execute(_MEMBERS_IN, {"chain": ctx.chain_id, "ids": chosen}).all()
    order = {a: i for i, a in enumerate(chosen)}
    others = sorted((r for r in rows if r.joined_at is not None), key=lambda r: order[r.address])
    return [center, *others], len(unique) + 1


def _graph(connection: Connection, ctx: Context, as_of: AsOf, q: GraphQuery) -> Graph:
    rows, total = _ego_nodes(connection, ctx, q) if q.center else _page_nodes(connection, ctx, q)
    ids = [r.address for r in rows]
    present = set(ids)
    edges: list[GraphEdge] = []
    if q.sponsorship:
        edges += [
            GraphEdge(source=r.sponsor, target=r.address, type="sponsorship", count=1, amount=None)
            for r in rows
            if r.sponsor in present
        ]
    truncated = False
    if q.relations and ids:
        params = {"chain": ctx.chain_id, "ids": ids, "edges": q.max_edges + 1}
        pairs = exact_sums(
            connection,
            _pairs_statement,
            ("amount",),
            params,
        )
        truncated = len(pairs) > q.max_edges
        edges += [
            GraphEdge(
                source=p["payer"],
                target=p["counterparty"],
                type="relation",
                count=p["n"],
                amount=ctx.amount(p["amount"]),
            )
            for p in pairs[: q.max_edges]
        ]
    following = q.offset + len(rows)
    return Graph(
        as_of=as_of,
        nodes=[_node(r) for r in rows],
        edges=edges,
        edges_truncated=truncated,
        page=PageMeta(
            limit=q.limit,
            offset=0 if q.center else q.offset,
            total=total,
            next_offset=following if not q.center and following < total else None,
        ),
    )


def graph(connection: Connection, ctx: Context, q: GraphQuery) -> Graph:
    """The graph asked for; a page of the whole graph is computed once per indexed block (a
    member's neighbourhood is not kept: there are as many as members)."""
    as_of = load_as_of(connection, ctx)
    if q.center:
        return _graph(connection, ctx, as_of, q)
    return ctx.cached(as_of, ("graph", q), lambda: _graph(connection, ctx, as_of, q))


def _daily_growth(connection: Connection, ctx: Context) -> tuple[dict[int, int], dict[int, int]]:
    joined = {
        int(day): int(n)
        for day, n in connection.execute(
            select((M.c.joined_at // series.DAY).label("day"), func.count())
            .where(M.c.chain_id == ctx.chain_id, M.c.joined_at.is_not(None))
            .group_by("day")
        )
    }
    relations = {
        int(day): int(n)
        for day, n in connection.execute(
            select((R.c.block_time // series.DAY).label("day"), func.count())
            .where(every_row(R, ctx))
            .group_by("day")
        )
    }
    return joined, relations


def _growth(connection: Connection, ctx: Context, as_of: AsOf, period: str) -> list[GrowthPoint]:
    joined, relations = ctx.cached(as_of, "daily-growth", lambda: _daily_growth(connection, ctx))
    buckets: dict[date, list[int]] = {}
    for day in sorted(set(joined) | set(relations)):
        start = series.period_start(series.EPOCH + timedelta(days=day), period)
        counts = buckets.setdefault(start, [0, 0])
        counts[0] += joined.get(day, 0)
        counts[1] += relations.get(day, 0)
    points, members, total = [], 0, 0
    for start in sorted(buckets):
        members += buckets[start][0]
        total += buckets[start][1]
        points.append(
            GrowthPoint(
                start=start,
                joined=buckets[start][0],
                members=members,
                relations=buckets[start][1],
                relations_total=total,
            )
        )
    return points


def _summary(connection: Connection, ctx: Context, as_of: AsOf, period: str, limit: int) -> NetworkSummary:
    s = dao_state(connection, ctx)
    joined = [M.c.chain_id == ctx.chain_id, M.c.joined_at.is_not(None)]
    counts = connection.execute(
        select(M.c.kind, M.c.status, func.count()).where(*joined).group_by(M.c.kind, M.c.status)
    ).all()
    by_kind: dict[Any, dict[str, int]] = {}
    for kind, status, n in counts:
        by_kind.setdefault(kind, {"active": 0, "excluded": 0})[status] = int(n)
    ordered = sorted(by_kind, key=lambda k: (k is None, k if k is not None else 0))
    sponsored = connection.execute(
        select(func.count()).select_from(M).where(*joined, M.c.sponsor.is_not(None))
    ).scalar_one()
    (paid,) = exact_sums(
        connection,
        lambda total_of: select(total_of(M.c.amount_paid).label("amount")).where(
            M.c.chain_id == ctx.chain_id
        ),
        ("amount",),
    )
    pending = connection.execute(
        select(func.count()).select_from(INV).where(INV.c.chain_id == ctx.chain_id, INV.c.status == "pending")
    ).scalar_one()
    members = sum(v["active"] + v["excluded"] for v in by_kind.values())
    return NetworkSummary(
        as_of=as_of,
        members=members,
        active_members=sum(v["active"] for v in by_kind.values()),
        by_kind=[
            KindCount(kind=kind_name(k), active=by_kind[k]["active"], excluded=by_kind[k]["excluded"])
            for k in ordered
        ],
        sponsorships=int(sponsored),
        relations=int(s.relation_count),
        relations_amount=ctx.amount(paid["amount"]),
        pending_invitations=int(pending),
        period=period,  # type: ignore[arg-type]
        growth=_growth(connection, ctx, as_of, period)[-limit:],
    )


def summary(connection: Connection, ctx: Context, period: str, limit: int) -> NetworkSummary:
    """Members per kind, relations, growth over time (computed once per indexed block)."""
    as_of = load_as_of(connection, ctx)
    return ctx.cached(
        as_of, ("summary", period, limit), lambda: _summary(connection, ctx, as_of, period, limit)
    )
