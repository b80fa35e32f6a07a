"""``/network``: the member graph and summary figures."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from cmir.api.deps import (
    ADDRESS_PATTERN,
    Conn,
    DatabaseRoute,
    PageParams,
    PeriodQuery,
    SeriesLimit,
    State,
    checksum,
)
from cmir.api.schemas.common import ERROR_RESPONSES, NOT_FOUND, MemberKind
from cmir.api.schemas.members import MemberStatus
from cmir.api.schemas.network import Graph, NetworkSummary
from cmir.api.services import network as service
from cmir.api.services.network import GraphQuery

router = APIRouter(prefix="/network", tags=["network"], responses=ERROR_RESPONSES, route_class=DatabaseRoute)

MAX_EDGES = 2000


@router.get("/graph", response_model=Graph, responses=NOT_FOUND, summary="The member graph")
def network_graph(
    state: State,
    connection: Conn,
    page: PageParams,
    kind: Annotated[MemberKind | None, Query()] = None,
    status: Annotated[MemberStatus | None, Query()] = None,
    order: Annotated[
        Literal["activity", "joined"], Query(description="most connected members first, or by joining")
    ] = "activity",
    center: Annotated[
        str | None,
        Query(
            pattern=ADDRESS_PATTERN, description="a member's neighbourhood: sponsor, invitees, counterparties"
        ),
    ] = None,
    edges: Annotated[Literal["all", "sponsorship", "relations"], Query()] = "all",
    max_edges: Annotated[int, Query(ge=1, description=f"capped to {MAX_EDGES}")] = 1000,
) -> Graph:
    """A page of members as nodes, with the sponsorship edges and the paid-relation edges (count
    and amount per payer → counterparty) between them. Ready for a force-directed layout."""
    query = GraphQuery(
        kind=kind,
        status=status,
        order=order,
        center=checksum(center) if center else None,
        sponsorship=edges in ("all", "sponsorship"),
        relations=edges in ("all", "relations"),
        max_edges=min(max_edges, MAX_EDGES),
        limit=page.limit,
        offset=page.offset,
    )
    return service.graph(connection, state.ctx, query)


@router.get("/summary", response_model=NetworkSummary, summary="Members per kind, relations, growth")
def network_summary(
    state: State, connection: Conn, limit: SeriesLimit, period: PeriodQuery = "month"
) -> NetworkSummary:
    """Members per kind and status, sponsorships, relations and their amount, pending
    invitations, and growth per period (the last `limit` periods)."""
    return service.summary(connection, state.ctx, period, limit)
