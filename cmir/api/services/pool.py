"""The pool's state, its history and the social-utility ratio."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from cmir.api.errors import NotIndexedError
from cmir.api.schemas.common import AsOf, Ratio, timestamp
from cmir.api.schemas.pool import (
    BucketFigures,
    Buckets,
    PointWeights,
    Pool,
    PoolHistory,
    PoolHistoryPoint,
    Shares,
    SocialUtility,
    SocialUtilityPoint,
    StewardBudget,
)
from cmir.api.services import series
from cmir.api.services.context import Context, every_row, exact_sums, load_as_of
from cmir.api.services.points import clock_of, max_reward_cap_bps, now_of
from cmir.store import DaoState, Inflow

S = DaoState.__table__
IN = Inflow.__table__


def dao_state(connection: Connection, ctx: Context) -> Any:
    """The `dao_state` row; `NotIndexedError` when the pool has no state yet."""
    row = connection.execute(select(S).where(S.c.chain_id == ctx.chain_id)).first()
    if row is None:
        raise NotIndexedError("the pool's state is not indexed yet")
    return row


def buckets(ctx: Context, f: Any) -> Buckets:
    """The three buckets from cumulative figures (a row or a dict with the totals' names)."""
    get = f.__getitem__ if isinstance(f, dict) else lambda name: getattr(f, name)
    return Buckets(
        members=BucketFigures(
            received=ctx.amount(get("members_received")),
            available=ctx.amount(get("members_received") - get("rewards_claimed")),
            spent=ctx.amount(get("rewards_claimed")),
        ),
        ess=BucketFigures(
            received=ctx.amount(get("ess_received")),
            available=ctx.amount(get("ess_received") - get("ess_disbursed")),
            spent=ctx.amount(get("ess_disbursed")),
        ),
        collective=BucketFigures(
            received=ctx.amount(get("collective_received")),
            available=ctx.amount(get("collective_received") - get("collective_spent")),
            spent=ctx.amount(get("collective_spent")),
        ),
    )


def outflows(f: Any) -> int:
    """Everything that left the pool."""
    get = f.__getitem__ if isinstance(f, dict) else lambda name: getattr(f, name)
    return int(get("rewards_claimed")) + int(get("ess_disbursed")) + int(get("collective_spent"))


def members_to_ess(connection: Connection, ctx: Context, as_of: AsOf) -> int:
    """What of the members' shares went to ESS, over every inflow (summed once per block)."""

    def total() -> int:
        rows = exact_sums(
            connection,
            lambda sum_: select(sum_(IN.c.members_to_ess).label("amount")).where(every_row(IN, ctx)),
            ("amount",),
        )
        return int(rows[0]["amount"]) if rows else 0

    return ctx.cached(as_of, "members-to-ess", total)


def point_totals(s: Any, now: int) -> tuple[int, int]:
    """(matured, pending) points of a dao_state row as a booking at `now` would see them
    (totals()): the last booking's pending points have matured if its epoch has ended."""
    matured, pending = int(s.matured_points), int(s.pending_points)
    clock = clock_of(s)
    if pending and clock is not None and clock.epoch_at(now) > int(s.points_epoch):
        return matured + pending, 0
    return matured, pending


@dataclass(frozen=True)
class EpochFigures:
    """The epoch clock and the cap at a time (the pool's epoch views)."""

    epoch: int | None
    length: int | None
    ends_at: int | None
    reward_cap_bps: int | None
    max_reward_cap_bps: int | None
    parties_min_share_bps: int | None


def epoch_figures(s: Any, now: int) -> EpochFigures:
    """The epoch at `now` and the settings of a dao_state row."""
    clock = clock_of(s)
    current = None if clock is None else clock.epoch_at(now)
    return EpochFigures(
        epoch=current,
        length=None if clock is None else clock.length,
        ends_at=None if clock is None or current is None else clock.epoch_end(current),
        reward_cap_bps=s.epoch_reward_cap_bps,
        max_reward_cap_bps=max_reward_cap_bps(
            s.members_bps, (s.payer_bps, s.counterparty_bps, s.payer_sponsor_bps, s.counterparty_sponsor_bps)
        ),
        parties_min_share_bps=s.parties_min_share_bps,
    )


def budget_figures(s: Any, now: int) -> tuple[int | None, int | None, int, int]:
    """(amount, period, period start or 0, spent) as the pool's collectiveBudget() gives them at
    `now`: nothing spent once the running period has ended."""
    amount = None if s.collective_budget is None else int(s.collective_budget)
    period = None if s.collective_budget_period is None else int(s.collective_budget_period)
    start = int(s.budget_period_start or 0)
    if period is None or now >= start + period:
        return amount, period, 0, 0
    return amount, period, start, int(s.budget_spent)


def steward_budget(ctx: Context, s: Any, now: int) -> StewardBudget:
    """The steward's budget at `now`."""
    amount, period, start, spent = budget_figures(s, now)
    return StewardBudget(
        amount=None if amount is None else ctx.amount(amount),
        period=period,
        period_start=timestamp(start or None),
        period_ends_at=timestamp(start + period) if start and period else None,
        spent=ctx.amount(spent),
        left=None if amount is None else ctx.amount(max(amount - spent, 0)),
    )


def pool(connection: Connection, ctx: Context, floor_bps: int | None) -> Pool:
    """The pool at the indexed block."""
    as_of = load_as_of(connection, ctx)
    s = dao_state(connection, ctx)
    now = now_of(as_of)
    matured, pending = point_totals(s, now)
    epoch = epoch_figures(s, now)
    out = outflows(s)
    return Pool(
        as_of=as_of,
        balance=ctx.amount(int(s.total_received) - out),
        total_received=ctx.amount(s.total_received),
        total_out=ctx.amount(out),
        buckets=buckets(ctx, s),
        members_to_ess=ctx.amount(members_to_ess(connection, ctx, as_of)),
        matured_points=str(matured),
        pending_points=str(pending),
        epoch=epoch.epoch,
        epoch_length=epoch.length,
        epoch_ends_at=timestamp(epoch.ends_at),
        epoch_reward_cap_bps=epoch.reward_cap_bps,
        max_epoch_reward_cap_bps=epoch.max_reward_cap_bps,
        shares=Shares(
            members_bps=s.members_bps,
            ess_bps=s.ess_bps,
            collective_bps=s.collective_bps,
            ess_floor_bps=floor_bps,
        ),
        point_weights=PointWeights(
            payer_bps=s.payer_bps,
            counterparty_bps=s.counterparty_bps,
            payer_sponsor_bps=s.payer_sponsor_bps,
            counterparty_sponsor_bps=s.counterparty_sponsor_bps,
        ),
        parties_min_share_bps=epoch.parties_min_share_bps,
        min_relation_fee=None if s.min_relation_fee is None else ctx.amount(s.min_relation_fee),
        membership_fee=ctx.amount(s.membership_fee),
        steward=s.steward,
        steward_budget=steward_budget(ctx, s, now),
        inflow_count=s.inflow_count,
        relation_count=s.relation_count,
        active_members=s.active_members,
        token_symbol=ctx.symbol,
        token_decimals=ctx.decimals,
    )


def history(
    connection: Connection, ctx: Context, period: str, start: date | None, end: date | None, limit: int
) -> PoolHistory:
    """Cumulative pool figures at the end of each period."""
    as_of = load_as_of(connection, ctx)
    selected, _ = series.window(series.points(connection, ctx, as_of, period), start, end, limit)
    return PoolHistory(
        as_of=as_of,
        period=period,  # type: ignore[arg-type]
        points=[
            PoolHistoryPoint(
                start=p.start,
                total_received=ctx.amount(p.figures["total_received"]),
                balance=ctx.amount(p.figures["total_received"] - outflows(p.figures)),
                buckets=buckets(ctx, p.figures),
            )
            for p in selected
        ],
    )


def ratio(ctx: Context, numerator: int, denominator: int) -> Ratio:
    """An exact ratio with a 6-place decimal string (rounded down)."""
    if denominator == 0:
        return Ratio(numerator=ctx.amount(numerator), denominator=ctx.amount(0), value=None, percent=None)
    scaled = numerator * 1_000_000 // denominator
    return Ratio(
        numerator=ctx.amount(numerator),
        denominator=ctx.amount(denominator),
        value=f"{scaled // 1_000_000}.{scaled % 1_000_000:06d}",
        percent=round(scaled / 10_000, 4),
    )


def social_utility(
    connection: Connection,
    ctx: Context,
    floor_bps: int | None,
    period: str,
    start: date | None,
    end: date | None,
    limit: int,
) -> SocialUtility:
    """ESS disbursed ÷ received and ESS allocated ÷ received, now and at the end of each period."""
    as_of = load_as_of(connection, ctx)
    s = dao_state(connection, ctx)
    selected, _ = series.window(series.points(connection, ctx, as_of, period), start, end, limit)
    return SocialUtility(
        as_of=as_of,
        disbursed_ratio=ratio(ctx, int(s.ess_disbursed), int(s.total_received)),
        allocated_ratio=ratio(ctx, int(s.ess_received), int(s.total_received)),
        ess_floor_bps=floor_bps,
        period=period,  # type: ignore[arg-type]
        series=[
            SocialUtilityPoint(
                start=p.start,
                disbursed_ratio=ratio(ctx, p.figures["ess_disbursed"], p.figures["total_received"]),
                allocated_ratio=ratio(ctx, p.figures["ess_received"], p.figures["total_received"]),
            )
            for p in selected
        ],
    )
