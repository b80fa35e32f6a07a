"""The pool over time and the Sankey graph, recomputed from the ledger's flows as the API defines
them: ``/pool/history``, the series of ``/social-utility`` and ``/flows/totals`` (each day, ISO
week and month that had an inflow or an outflow: the cumulative figures after its last one, and
the events by kind), and ``/flows/sankey`` (inflows by kind into the buckets, out to claims, the
12 projects and 8 collective recipients paid most, and what is left).

The API builds these from its ``bucket_snapshots``, ``inflows``, ``ess_fundings`` and
``collective_spends`` rows: a doctored figure there shows up as a point or a link that differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from cmir.audit.api import Api
from cmir.audit.compare import Difference, Records, address, compare
from cmir.audit.resources.records import DAY, EPOCH, PERIODS, period_start
from cmir.audit.scope import ResourceResult, Scope

#: Most points a series gives per request (the API caps `limit` there).
SERIES_LIMIT = 500
FIGURES = (
    "total_received",
    "members_received",
    "ess_received",
    "collective_received",
    "rewards_claimed",
    "ess_disbursed",
    "collective_spent",
)
OUT_FIGURES = {
    "claim": "rewards_claimed",
    "ess_funding": "ess_disbursed",
    "collective_spend": "collective_spent",
}
INFLOW_KINDS = ("relation", "contribution", "membership_fee", "surplus")
TOP_PROJECTS = 12
TOP_RECIPIENTS = 8


@dataclass
class Point:
    """A period: its first day, the cumulative figures after its last flow, flows by kind."""

    start: date
    figures: dict[str, int]
    counts: Counter[str] = field(default_factory=Counter)


def daily(scope: Scope) -> list[Point]:
    """The figures at the end of each UTC day with a flow, oldest first."""
    times = {(e.tx_hash, e.log_index): int(e.timestamp or 0) for e in scope.events if e.contract == "pool"}
    figures = dict.fromkeys(FIGURES, 0)
    days: dict[int, Point] = {}
    for flow in scope.ledger.flows:  # in chain order
        if flow.direction == "in" and flow.split is not None:
            figures["total_received"] += flow.amount
            figures["members_received"] += flow.split[0]
            figures["ess_received"] += flow.split[1]
            figures["collective_received"] += flow.split[2]
        else:
            figures[OUT_FIGURES[flow.kind]] += flow.amount
        day = times[flow.key] // DAY
        point = days.get(day)
        if point is None:
            point = days[day] = Point(EPOCH + timedelta(days=day), {})
        point.figures = dict(figures)
        point.counts[flow.kind] += 1
    return [days[d] for d in sorted(days)]


def rolled(days: list[Point], period: str) -> list[Point]:
    """The daily points rolled into periods (figures of the last day, counts summed)."""
    periods: dict[date, Point] = {}
    for point in days:
        start = period_start(point.start, period)
        current = periods.get(start)
        if current is None:
            periods[start] = Point(start, point.figures, Counter(point.counts))
        else:
            current.figures = point.figures
            current.counts.update(point.counts)
    return list(periods.values())


def _amount(units: int) -> dict[str, str]:
    return {"units": str(units)}


def flat(node: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A point as dotted fields (``buckets.ess.available``), amounts as ints, counts whole."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and "units" in value:
            out[name] = int(value["units"])
        elif key == "counts" and isinstance(value, dict):
            out[name] = tuple(sorted(value.items()))
        elif isinstance(value, dict):
            out.update(flat(value, name + "."))
        else:
            out[name] = value
    return out


def _buckets(f: dict[str, int]) -> dict[str, Any]:
    return {
        bucket: {
            "received": _amount(f[f"{bucket}_received"]),
            "available": _amount(f[f"{bucket}_received"] - f[spent]),
            "spent": _amount(f[spent]),
        }
        for bucket, spent in (
            ("members", "rewards_claimed"),
            ("ess", "ess_disbursed"),
            ("collective", "collective_spent"),
        )
    }


def _outflow(f: dict[str, int]) -> int:
    return f["rewards_claimed"] + f["ess_disbursed"] + f["collective_spent"]


def ratio(numerator: int, denominator: int) -> dict[str, Any]:
    """A ratio as the API gives it: exact inputs, 6 decimal places rounded down, a percentage."""
    if denominator == 0:
        return {"numerator": _amount(numerator), "denominator": _amount(0), "value": None, "percent": None}
    scaled = numerator * 1_000_000 // denominator
    return {
        "numerator": _amount(numerator),
        "denominator": _amount(denominator),
        "value": f"{scaled // 1_000_000}.{scaled % 1_000_000:06d}",
        "percent": round(scaled / 10_000, 4),
    }


def _history_point(point: Point, _previous: Point | None) -> dict[str, Any]:
    f = point.figures
    return {
        "total_received": _amount(f["total_received"]),
        "balance": _amount(f["total_received"] - _outflow(f)),
        "buckets": _buckets(f),
    }


def _social_point(point: Point, _previous: Point | None) -> dict[str, Any]:
    f = point.figures
    return {
        "disbursed_ratio": ratio(f["ess_disbursed"], f["total_received"]),
        "allocated_ratio": ratio(f["ess_received"], f["total_received"]),
    }


def _totals_point(point: Point, previous: Point | None) -> dict[str, Any]:
    base = previous.figures if previous is not None else dict.fromkeys(FIGURES, 0)
    d = {name: point.figures[name] - base[name] for name in FIGURES}
    return {
        "inflow": _amount(d["total_received"]),
        "to_members": _amount(d["members_received"]),
        "to_ess": _amount(d["ess_received"]),
        "to_collective": _amount(d["collective_received"]),
        "claimed": _amount(d["rewards_claimed"]),
        "ess_disbursed": _amount(d["ess_disbursed"]),
        "collective_spent": _amount(d["collective_spent"]),
        "outflow": _amount(_outflow(d)),
        "counts": dict(point.counts),
    }


Builder = Callable[[Point, Point | None], dict[str, Any]]
#: Route -> (its name in a difference, the list of points in its answer, how a point is built).
SERIES: dict[str, tuple[str, str, Builder]] = {
    "/pool/history": ("pool history", "points", _history_point),
    "/social-utility": ("social-utility", "series", _social_point),
    "/flows/totals": ("flow totals", "points", _totals_point),
}


def served_series(api: Api, path: str, key: str, period: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every point of a series (windows of `SERIES_LIMIT`, walking back with ``to``), oldest
    first, and the last answer (its other fields)."""
    points: list[dict[str, Any]] = []
    end: str | None = None
    while True:
        answer = api.get(path, period=period, limit=SERIES_LIMIT, to=end)
        window = answer.get(key) or []
        points = window + points
        if len(window) < SERIES_LIMIT:
            return points, answer
        end = (date.fromisoformat(window[0]["start"]) - timedelta(days=1)).isoformat()


def check(scope: Scope, names: dict[int, str | None] | None) -> ResourceResult:
    """Each series at each period, the flows' totals and the Sankey graph."""
    result = ResourceResult("pool history")
    days = daily(scope)
    series = {period: days if period == "day" else rolled(days, period) for period in PERIODS}
    result.checked = sum(len(points) for points in series.values()) * len(SERIES) + 1
    if scope.api is None:
        return result
    for path, (label, key, build) in SERIES.items():
        for period, points in series.items():
            chain: Records = {}
            previous = None
            for point in points:
                chain[point.start.isoformat()] = flat(build(point, previous))
                previous = point
            served, answer = served_series(scope.api, path, key, period)
            api = {str(p.get("start")): flat({k: v for k, v in p.items() if k != "start"}) for p in served}
            result.differences += compare(f"{label} {period}", chain, api)
            if path == "/flows/totals":
                s = scope.ledger.sums
                for name, value in (("total_in", s["total_received"]), ("total_out", s["total_out"])):
                    got = flat({name: answer.get(name)}).get(name)
                    if got != value:
                        result.differences.append(Difference(f"{label} {period}", got, value, field=name))
    result.differences += check_sankey(scope, scope.api.get("/flows/sankey"), names or {})
    return result


def _top(amounts: dict[str, int], served: set[str], n: int) -> list[str]:
    """The `n` largest of `amounts`: those the API chose if they are such (ties are in any
    order), else the auditor's own."""
    ranked = sorted(amounts, key=lambda k: -amounts[k])
    want = min(n, len(ranked))
    others = [amounts[k] for k in amounts if k not in served]
    if len(served) == want and served <= amounts.keys():
        if not served or not others or min(amounts[k] for k in served) >= max(others):
            return sorted(served)
    return ranked[:want]


def sankey(scope: Scope, served_nodes: set[str]) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """The Sankey graph's nodes (id -> column) and links ("source -> target" -> value)."""
    s, by_kind = scope.ledger.sums, scope.ledger.inflows_by_kind
    nodes: dict[str, dict[str, Any]] = {
        f"bucket:{b}": {"column": 1} for b in ("members", "ess", "collective")
    }
    links: dict[str, int] = {}
    for kind in sorted(by_kind, key=lambda k: INFLOW_KINDS.index(k) if k in INFLOW_KINDS else 99):
        nodes[f"in:{kind}"] = {"column": 0}
        for bucket in ("members", "ess", "collective"):
            if by_kind[kind][bucket] > 0:
                links[f"in:{kind} -> bucket:{bucket}"] = by_kind[kind][bucket]

    def out(node: str, bucket: str, value: int) -> None:
        if value > 0:
            nodes[node] = {"column": 2}
            links[f"bucket:{bucket} -> {node}"] = value

    out("out:claimed", "members", s["rewards_claimed"])
    out("out:members_available", "members", s["members_received"] - s["rewards_claimed"])
    projects = {f"project:{p}": f["amount"] for p, f in scope.ledger.fundings_by_project.items()}
    chosen = _top(projects, {n for n in served_nodes if n.startswith("project:")}, TOP_PROJECTS)
    for node in chosen:
        out(node, "ess", projects[node])
    out("out:other_projects", "ess", sum(v for k, v in projects.items() if k not in chosen))
    out("out:ess_available", "ess", s["ess_received"] - s["ess_disbursed"])
    spends: dict[str, int] = {}
    for flow in scope.ledger.flows:
        if flow.kind == "collective_spend":
            node = f"recipient:{flow.recipient}"
            spends[node] = spends.get(node, 0) + flow.amount
    chosen = _top(spends, {n for n in served_nodes if n.startswith("recipient:")}, TOP_RECIPIENTS)
    for node in chosen:
        out(node, "collective", spends[node])
    out("out:other_spends", "collective", sum(v for k, v in spends.items() if k not in chosen))
    out("out:collective_available", "collective", s["collective_received"] - s["collective_spent"])
    return nodes, links


def _node_id(value: Any) -> str:
    text = str(value)
    if text.startswith("recipient:"):
        return f"recipient:{address(text.split(':', 1)[1])}"
    return text


def check_sankey(scope: Scope, served: dict[str, Any], names: dict[int, str | None]) -> list[Difference]:
    """The graph's nodes (column; a project's label is its document's name) and links."""
    api_nodes: Records = {}
    for node in served.get("nodes", []):
        record = {"column": node.get("column")}
        node_id = _node_id(node.get("id"))
        if node_id.startswith("project:"):
            # A project's label is its name (the other labels are fixed words of the API).
            record.update(label=node.get("label"), label_en=node.get("label_en"))
        api_nodes[node_id] = record
    nodes, links = sankey(scope, set(api_nodes))
    for node_id, record in nodes.items():
        if node_id.startswith("project:"):
            name = names.get(int(node_id.split(":", 1)[1]))
            served_node = api_nodes.get(node_id, {})
            label = name if name is not None else served_node.get("label")  # None: not verifiable
            label_en = name if name is not None else served_node.get("label_en")
            record.update(label=label, label_en=label_en)
    api_links: Records = {}
    for link in served.get("links", []):
        value = link.get("value")
        amount = int(value["units"]) if isinstance(value, dict) and "units" in value else value
        api_links[f"{_node_id(link.get('source'))} -> {_node_id(link.get('target'))}"] = {"value": amount}
    differences = compare("sankey node", nodes, api_nodes)
    differences += compare("sankey link", {k: {"value": v} for k, v in links.items()}, api_links)
    return differences
