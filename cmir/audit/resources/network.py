"""The member network against the chain: every page of ``/network/graph`` (ordered by joining,
``max_edges`` at its cap) with every node it serves (kind, status, sponsor, joining, points,
relations) and every edge of each page (sponsorship: sponsor -> invitee when both are on the
page; relations: count and amount per payer -> counterparty among the page's members, the
`max_edges` most frequent, `edges_truncated` when more exist), and ``/network/summary`` for
each period (counts by kind and status, sponsorships, relations, pending invitations, and the
growth series recomputed from the join times and the relations' block times). Explorer links
are not compared (``skip=LINKS``)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from cmir.audit.compare import LINKS, by_key, compare, normalise
from cmir.audit.resources.activity import Activity
from cmir.audit.resources.records import DAY, EPOCH, PERIODS, as_of, kind_name, period_start
from cmir.audit.resources.roster import Member, Roster
from cmir.audit.scope import ResourceResult, Scope

#: Nodes per graph page (the API's largest page) and the API's cap on relation edges per page.
GRAPH_PAGE = 200
MAX_EDGES = 2000
#: The most the API serves of the summary's growth series.
SERIES = 500


def _as_of(scope: Scope) -> dict[str, Any]:
    return as_of(scope.block, scope.ledger.block_hash, scope.ledger.block_time)


def _node(member: Member, scope: Scope, activity: Activity) -> dict[str, Any]:
    who = member.address
    figures = scope.ledger.members.get(who)
    return {
        "id": who,
        "kind": kind_name(member.kind),
        "status": member.status,
        "sponsor": member.sponsor,
        "joined_at": member.joined_at,
        # pointsOf: matured + pending (an account the ledger does not know never earned a point)
        "points": 0 if figures is None else figures.points,
        "relations": activity.paid.get(who, 0) + activity.received.get(who, 0),
    }


def page_edges(
    ids: list[str], roster: Roster, pairs: dict[str, dict[str, tuple[int, int]]]
) -> tuple[dict[str, dict[str, Any]], bool]:
    """The edges among the members `ids` of one page, as the API defines them, and whether
    relation edges were left out (more than `MAX_EDGES`: the most relations first, then by
    payer and counterparty)."""
    present = set(ids)
    edges: dict[str, dict[str, Any]] = {}
    for who in ids:
        member = roster.members.get(who)
        if member is not None and member.sponsor in present:
            edges[f"sponsorship {member.sponsor} -> {who}"] = {
                "source": member.sponsor,
                "target": who,
                "type": "sponsorship",
                "count": 1,
                "amount": None,
            }
    found = [
        (count, payer, counterparty, amount)
        for payer in dict.fromkeys(ids)
        for counterparty, (count, amount) in pairs.get(payer, {}).items()
        if counterparty in present
    ]
    found.sort(key=lambda edge: (-edge[0], edge[1], edge[2]))
    for count, payer, counterparty, amount in found[:MAX_EDGES]:
        edges[f"relation {payer} -> {counterparty}"] = {
            "source": payer,
            "target": counterparty,
            "type": "relation",
            "count": count,
            "amount": amount,
        }
    return edges, len(found) > MAX_EDGES


def graph(scope: Scope, roster: Roster, activity: Activity, result: ResourceResult) -> None:
    """Every page of the graph: its nodes, its edges, its block and its paging."""
    assert scope.api is not None
    path = f"/network/graph?order=joined&edges=all&max_edges={MAX_EDGES}&limit={GRAPH_PAGE}&offset={{}}"
    first = scope.api.get(path.format(0))
    total = len(roster.members)
    served_total = int(first["page"]["total"])
    offsets = list(range(0, max(total, served_total), GRAPH_PAGE)) or [0]
    pages = [first, *scope.api.get_many([path.format(o) for o in offsets[1:]])]
    pairs = activity.pairs()
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    chain_edges: dict[str, dict[str, Any]] = {}
    chain_pages: dict[str, dict[str, Any]] = {}
    api_pages: dict[str, dict[str, Any]] = {}
    for offset, page in zip(offsets, pages, strict=True):
        ids = [normalise(node["id"]) for node in page["nodes"]]
        expected, truncated = page_edges(ids, roster, pairs)
        chain_edges.update(expected)
        nodes += page["nodes"]
        edges += page["edges"]
        following = offset + GRAPH_PAGE
        chain_pages[f"page {offset}"] = {
            "as_of": _as_of(scope),
            "edges_truncated": truncated,
            "page": {
                "limit": GRAPH_PAGE,
                "offset": offset,
                "total": total,
                "next_offset": following if following < total else None,
            },
        }
        api_pages[f"page {offset}"] = {k: v for k, v in page.items() if k not in ("nodes", "edges")}
    result.differences += compare("network graph", chain_pages, api_pages, skip=LINKS)
    chain_nodes = {who: _node(m, scope, activity) for who, m in roster.members.items()}
    served = by_key(nodes, lambda n: normalise(n["id"]), "network node", result.differences)
    result.differences += compare("network node", chain_nodes, served, skip=LINKS)
    served_edges = by_key(
        edges,
        lambda e: f"{e['type']} {normalise(e['source'])} -> {normalise(e['target'])}",
        "network edge",
        result.differences,
    )
    result.differences += compare("network edge", chain_edges, served_edges, skip=LINKS)
    result.checked += len(chain_nodes) + len(chain_edges)


def growth(roster: Roster, activity: Activity, period: str) -> list[dict[str, Any]]:
    """Members joined and relations paid per period (UTC days rolled up), with the running
    totals at each period's end: every period holding a join or a relation, oldest first."""
    joined = Counter(m.joined_at // DAY for m in roster.members.values())
    relations = Counter(int(e.timestamp or 0) // DAY for e in activity.relations)
    buckets: dict[date, list[int]] = {}
    for day in sorted(joined.keys() | relations.keys()):
        counts = buckets.setdefault(period_start(EPOCH + timedelta(days=day), period), [0, 0])
        counts[0] += joined.get(day, 0)
        counts[1] += relations.get(day, 0)
    points, members, total = [], 0, 0
    for start in sorted(buckets):
        members += buckets[start][0]
        total += buckets[start][1]
        points.append(
            {
                "start": start.isoformat(),
                "joined": buckets[start][0],
                "members": members,
                "relations": buckets[start][1],
                "relations_total": total,
            }
        )
    return points


def summary(scope: Scope, roster: Roster, activity: Activity, period: str) -> dict[str, Any]:
    """``/network/summary?period=…`` as the chain says it."""
    by_kind: dict[int, dict[str, int]] = {}
    for member in roster.members.values():
        counts = by_kind.setdefault(member.kind, {"active": 0, "excluded": 0})
        counts["active" if member.active else "excluded"] += 1
    return {
        "as_of": _as_of(scope),
        "members": len(roster.members),
        "active_members": sum(1 for m in roster.members.values() if m.active),
        "by_kind": [{"kind": kind_name(k), **by_kind[k]} for k in sorted(by_kind)],
        "sponsorships": sum(1 for m in roster.members.values() if m.sponsor is not None),
        "relations": len(activity.relations),
        "relations_amount": sum(int(e.args["amount"]) for e in activity.relations),
        # invitations the chain still holds (invitationOf): live, expired or lapsed
        "pending_invitations": sum(1 for i in roster.invitations if i.closed is None),
        "period": period,
        "growth": growth(roster, activity, period)[-SERIES:],
    }


def check(scope: Scope, roster: Roster, activity: Activity) -> ResourceResult:
    """The graph (every page) and the summary (every period)."""
    result = ResourceResult("network")
    if scope.api is None:
        return result
    graph(scope, roster, activity, result)
    answers = scope.api.get_many([f"/network/summary?period={p}&limit={SERIES}" for p in PERIODS])
    chain = {f"summary ({p})": summary(scope, roster, activity, p) for p in PERIODS}
    result.differences += compare("network", chain, dict(zip(chain, answers, strict=True)), skip=LINKS)
    result.checked += len(PERIODS)
    return result
