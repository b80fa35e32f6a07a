"""Time series from the bucket snapshots: the pool's cumulative figures at the end of each day,
week or month, from which history, flow totals and the social-utility ratio follow exactly."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from cmir.api.schemas.common import AsOf
from cmir.api.services.context import Context, every_row
from cmir.api.statements import Prepared
from cmir.store import BucketSnapshot
from cmir.store.columns import FIGURES

B = BucketSnapshot.__table__
DAY = 86_400
EPOCH = date(1970, 1, 1)
KEY_SCALE = 10_000_000  # block * scale + log index orders events (log index < 10**7)
INFLOW_CAUSES = {
    "RelationPaid": "relation",
    "Contributed": "contribution",
    "MembershipFeeReceived": "membership_fee",
    "SurplusAccounted": "surplus",
}
OUTFLOW_CAUSES = {
    "RewardsClaimed": "claim",
    "EssProjectFunded": "ess_funding",
    "CollectiveSpent": "collective_spend",
}


@dataclass
class Point:
    """A period: its first day, the cumulative figures after its last event, events by cause."""

    start: date
    figures: dict[str, int]
    counts: Counter[str] = field(default_factory=Counter)


# the snapshot after one event, by its position (a primary-key lookup)
_SNAPSHOT = Prepared(
    select(*(B.c[f] for f in FIGURES)).where(
        B.c.chain_id == bindparam("chain"),
        B.c.block_number == bindparam("block"),
        B.c.log_index == bindparam("log"),
    )
)


def _daily(connection: Connection, ctx: Context) -> list[Point]:
    day = (B.c.block_time // DAY).label("day")
    grouped = connection.execute(
        select(
            day,
            B.c.cause,
            func.count().label("n"),
            func.max(B.c.block_number * KEY_SCALE + B.c.log_index).label("k"),
        )
        .where(every_row(B, ctx))
        .group_by(day, B.c.cause)
    ).all()
    last: dict[int, int] = {}
    counts: dict[int, Counter[str]] = {}
    for row in grouped:
        d = int(row.day)
        last[d] = max(last.get(d, 0), int(row.k))
        counts.setdefault(d, Counter())[row.cause] += int(row.n)
    # one lookup per day's last event: a row-value IN list scanned every snapshot instead
    # (46 ms against 3.5 ms for a year of days)
    snapshots: dict[int, dict[str, int]] = {}
    for key in sorted(last.values()):
        row = _SNAPSHOT.first(
            connection, {"chain": ctx.chain_id, "block": key // KEY_SCALE, "log": key % KEY_SCALE}
        )
        if row is not None:
            snapshots[key] = {f: int(getattr(row, f)) for f in FIGURES}
    return [
        Point(start=EPOCH + timedelta(days=d), figures=snapshots[last[d]], counts=counts[d])
        for d in sorted(last)
        if last[d] in snapshots
    ]


def period_start(day: date, period: str) -> date:
    """The first day of the day, ISO week (Monday) or month holding `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def points(connection: Connection, ctx: Context, as_of: AsOf, period: str) -> list[Point]:
    """Cumulative figures at the end of every period with an event, oldest first (cached per block)."""

    def compute() -> list[Point]:
        daily = ctx.cached(as_of, "daily-snapshots", lambda: _daily(connection, ctx))
        if period == "day":
            return daily
        rolled: dict[date, Point] = {}
        for point in daily:
            start = period_start(point.start, period)
            current = rolled.get(start)
            if current is None:
                rolled[start] = Point(start=start, figures=point.figures, counts=Counter(point.counts))
            else:
                current.figures = point.figures
                current.counts.update(point.counts)
        return list(rolled.values())

    return ctx.cached(as_of, ("periods", period), compute)


def window(
    series: list[Point], start: date | None, end: date | None, limit: int
) -> tuple[list[Point], Point | None]:
    """The last `limit` points between `start` and `end` (inclusive), and the point before them
    (the baseline of the first period's change), oldest first."""
    selected = [
        (i, p)
        for i, p in enumerate(series)
        if (start is None or p.start >= start) and (end is None or p.start <= end)
    ][-limit:]
    if not selected:
        return [], None
    first = selected[0][0]
    return [p for _, p in selected], series[first - 1] if first > 0 else None


def zero_figures() -> dict[str, int]:
    """Figures before any event."""
    return dict.fromkeys(FIGURES, 0)


def delta(point: Point, previous: Point | None) -> dict[str, int]:
    """How each cumulative figure changed during `point`'s period."""
    base = previous.figures if previous is not None else zero_figures()
    return {f: point.figures[f] - base[f] for f in FIGURES}


def describe(value: Any) -> str:
    """Cause names as flow kinds."""
    return INFLOW_CAUSES.get(value) or OUTFLOW_CAUSES.get(value) or str(value)
