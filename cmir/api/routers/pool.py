"""``/pool`` (state and history) and ``/social-utility``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from cmir.api.deps import IsoDate, SeriesLimit, State
from cmir.api.errors import InvalidParameterError
from cmir.api.schemas.common import ERROR_RESPONSES, Period
from cmir.api.schemas.pool import Pool, PoolHistory, SocialUtility
from cmir.api.services import pool as service
from cmir.api.services.status import ess_floor

router = APIRouter(tags=["pool"], responses=ERROR_RESPONSES)

PeriodQuery = Annotated[Period, Query(description="length of each point of the series")]
FromQuery = Annotated[
    IsoDate | None, Query(alias="from", description="first period starting on or after (YYYY-MM-DD)")
]
ToQuery = Annotated[
    IsoDate | None, Query(alias="to", description="last period starting on or before (YYYY-MM-DD)")
]


def check_dates(start: date | None, end: date | None) -> None:
    """422 unless start <= end."""
    if start is not None and end is not None and start > end:
        raise InvalidParameterError("'from' is after 'to'")


@router.get("/pool", response_model=Pool, summary="The pool: balance, buckets, shares and floor")
async def get_pool(state: State) -> Pool:
    """Balance; the members', ESS and collective buckets (received, available, spent); current
    shares, the ESS floor, point weights, fees and steward, at the indexed block."""
    floor = await ess_floor(state)
    return await state.database.run(lambda c: service.pool(c, state.ctx, floor))


@router.get("/pool/history", response_model=PoolHistory, summary="The pool over time")
async def pool_history(
    state: State,
    limit: SeriesLimit,
    period: PeriodQuery = "day",
    start: FromQuery = None,
    end: ToQuery = None,
) -> PoolHistory:
    """Cumulative figures at the end of each day, week or month that had an event (the last
    `limit` periods of the range)."""
    check_dates(start, end)
    return await state.database.run(lambda c: service.history(c, state.ctx, period, start, end, limit))


@router.get("/social-utility", response_model=SocialUtility, summary="Social-utility ratios over time")
async def social_utility(
    state: State,
    limit: SeriesLimit,
    period: PeriodQuery = "month",
    start: FromQuery = None,
    end: ToQuery = None,
) -> SocialUtility:
    """ESS disbursed ÷ total received and ESS allocated ÷ total received, now and cumulated to
    the end of each period."""
    check_dates(start, end)
    floor = await ess_floor(state)
    return await state.database.run(
        lambda c: service.social_utility(c, state.ctx, floor, period, start, end, limit)
    )
