"""``/pool`` (state and history) and ``/social-utility``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from cmir.api.deps import (
    Conn,
    DatabaseRoute,
    FromQuery,
    PeriodQuery,
    SeriesLimit,
    State,
    ToQuery,
    check_dates,
)
from cmir.api.schemas.common import ERROR_RESPONSES
from cmir.api.schemas.pool import Pool, PoolHistory, SocialUtility
from cmir.api.services import pool as service
from cmir.api.services.status import ess_floor

router = APIRouter(tags=["pool"], responses=ERROR_RESPONSES, route_class=DatabaseRoute)


async def pool_floor(state: State) -> int | None:
    """The pool's ESS floor (`ess_floor`: from the chain, on a worker thread)."""
    return await ess_floor(state)


#: Declared before `Conn`: dependencies are solved in order, so the transaction does not wait
#: for the chain.
EssFloor = Annotated[int | None, Depends(pool_floor)]


@router.get("/pool", response_model=Pool, summary="The pool: balance, buckets, shares and floor")
def get_pool(state: State, floor: EssFloor, connection: Conn) -> Pool:
    """Balance; the members', ESS and collective buckets (received, available, spent); current
    shares, the ESS floor, point weights, fees and steward, at the indexed block."""
    return service.pool(connection, state.ctx, floor)


@router.get("/pool/history", response_model=PoolHistory, summary="The pool over time")
def pool_history(
    state: State,
    connection: Conn,
    limit: SeriesLimit,
    period: PeriodQuery = "day",
    start: FromQuery = None,
    end: ToQuery = None,
) -> PoolHistory:
    """Cumulative figures at the end of each day, week or month that had an event (the last
    `limit` periods of the range)."""
    check_dates(start, end)
    return service.history(connection, state.ctx, period, start, end, limit)


@router.get("/social-utility", response_model=SocialUtility, summary="Social-utility ratios over time")
def social_utility(
    state: State,
    floor: EssFloor,
    connection: Conn,
    limit: SeriesLimit,
    period: PeriodQuery = "month",
    start: FromQuery = None,
    end: ToQuery = None,
) -> SocialUtility:
    """ESS disbursed ÷ total received and ESS allocated ÷ total received, now and cumulated to
    the end of each period."""
    check_dates(start, end)
    return service.social_utility(connection, state.ctx, floor, period, start, end, limit)
