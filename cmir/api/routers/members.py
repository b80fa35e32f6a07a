"""``/members``: the member list, one member, its relations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from cmir.api.deps import (
    ADDRESS_PATTERN,
    Conn,
    CursorParams,
    DatabaseRoute,
    IsoDate,
    MemberAddress,
    PageParams,
    State,
    check_period,
    checksum,
    day_start,
)
from cmir.api.schemas.common import ERROR_RESPONSES, NOT_FOUND, MemberKind
from cmir.api.schemas.members import MemberDetail, MemberList, MemberStatus, RelationList
from cmir.api.services import members as service
from cmir.api.services.members import MemberFilter, Order, Sort

router = APIRouter(prefix="/members", tags=["members"], responses=ERROR_RESPONSES, route_class=DatabaseRoute)


@router.get("", response_model=MemberList, summary="Members, filtered and paginated")
def list_members(
    state: State,
    connection: Conn,
    page: PageParams,
    kind: Annotated[MemberKind | None, Query(description="Pilote, Abeille or EssStructure")] = None,
    status: Annotated[MemberStatus | None, Query()] = None,
    joined_from: Annotated[IsoDate | None, Query(description="joined on or after this day (UTC)")] = None,
    joined_to: Annotated[IsoDate | None, Query(description="joined on or before this day (UTC)")] = None,
    sponsor: Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description="invited by")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="text in the address or exclusion reason")
    ] = None,
    in_probation: Annotated[
        bool | None,
        Query(description="active members whose vote does not count yet (true), or the others (false)"),
    ] = None,
    sort: Annotated[Sort, Query()] = "joined",
    order: Annotated[Order, Query()] = "asc",
) -> MemberList:
    """Members who joined, with points and rewards; `total` counts every match."""
    start, end = day_start(joined_from), day_start(joined_to, 1)
    check_period(start, end)
    filters = MemberFilter(
        kind=kind,
        status=status,
        joined_from=start,
        joined_to=end,
        sponsor=checksum(sponsor) if sponsor else None,
        q=q,
        in_probation=in_probation,
    )
    return service.list_members(connection, state.ctx, filters, sort, order, page.limit, page.offset)


@router.get("/{address}", response_model=MemberDetail, responses=NOT_FOUND, summary="One member")
def get_member(state: State, connection: Conn, address: MemberAddress) -> MemberDetail:
    """A member: sponsor, invitees, pending invitations, recent relations and claims, points,
    earned, claimed and claimable rewards (claimable equals the pool's `claimableOf`), the end of
    its probation and the invitations it may send (the membership's `invitationsAvailable`)."""
    return service.member_detail(connection, state.ctx, address)


@router.get(
    "/{address}/relations", response_model=RelationList, responses=NOT_FOUND, summary="A member's relations"
)
def member_relations(
    state: State,
    connection: Conn,
    address: MemberAddress,
    page: CursorParams,
    direction: Annotated[Literal["all", "paid", "received"], Query()] = "all",
) -> RelationList:
    """Relations the member paid or received, newest first (keyset pagination)."""
    return service.member_relations(connection, state.ctx, address, direction, page.cursor, page.limit)
