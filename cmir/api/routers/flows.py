"""``/flows``: every inflow and outflow, totals per period, the Sankey graph."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from cmir.api.deps import (
    ADDRESS_PATTERN,
    Conn,
    CursorParams,
    DatabaseRoute,
    FromQuery,
    IsoDateTime,
    PeriodQuery,
    SeriesLimit,
    State,
    ToQuery,
    check_dates,
    check_period,
    checksum,
    utc,
)
from cmir.api.errors import InvalidParameterError
from cmir.api.schemas.common import ERROR_RESPONSES, Bucket
from cmir.api.schemas.flows import FlowKind, FlowList, FlowTotals, Sankey
from cmir.api.services import flows as service
from cmir.api.services.flows import FlowFilter

router = APIRouter(prefix="/flows", tags=["flows"], responses=ERROR_RESPONSES, route_class=DatabaseRoute)

BLOCK_MAX = 2**62


@router.get("", response_model=FlowList, summary="Every inflow and outflow")
def list_flows(
    state: State,
    connection: Conn,
    page: CursorParams,
    direction: Annotated[Literal["in", "out"] | None, Query()] = None,
    kind: Annotated[FlowKind | None, Query()] = None,
    bucket: Annotated[Bucket | None, Query(description="outflows of a bucket and inflows feeding it")] = None,
    address: Annotated[
        str | None, Query(pattern=ADDRESS_PATTERN, description="payer, recipient or counterparty")
    ] = None,
    from_block: Annotated[int | None, Query(ge=0, le=BLOCK_MAX)] = None,
    to_block: Annotated[int | None, Query(ge=0, le=BLOCK_MAX)] = None,
    from_time: Annotated[IsoDateTime | None, Query(description="at or after (RFC 3339)")] = None,
    to_time: Annotated[IsoDateTime | None, Query(description="before (RFC 3339)")] = None,
) -> FlowList:
    """Flows newest first with transaction hash, block, log index, amount, bucket (or the split of
    an inflow) and an explorer link; keyset pagination with `cursor`."""
    start, end = utc(from_time), utc(to_time)
    check_period(start, end)
    if from_block is not None and to_block is not None and from_block > to_block:
        raise InvalidParameterError("from_block is after to_block")
    filters = FlowFilter(
        direction=direction,
        kind=kind,
        bucket=bucket,
        address=checksum(address) if address else None,
        from_block=from_block,
        to_block=to_block,
        from_time=start,
        to_time=end,
    )
    return service.list_flows(connection, state.ctx, filters, page.cursor, page.limit)


@router.get("/totals", response_model=FlowTotals, summary="Money in and out per day, week or month")
def flow_totals(
    state: State,
    connection: Conn,
    limit: SeriesLimit,
    period: PeriodQuery = "day",
    start: FromQuery = None,
    end: ToQuery = None,
) -> FlowTotals:
    """Inflows (and their split) and outflows per bucket for each period with events."""
    check_dates(start, end)
    return service.totals(connection, state.ctx, period, start, end, limit)


@router.get("/sankey", response_model=Sankey, summary="Sankey graph of every flow")
def flow_sankey(state: State, connection: Conn) -> Sankey:
    """Inflows by kind → the three buckets → claims, ESS projects, collective spends and what is
    still available; values are exact amounts."""
    return service.sankey(connection, state.ctx)
