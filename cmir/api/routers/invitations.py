"""``/invitations``: every invitation, with its status at the indexed block."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cmir.api.deps import ADDRESS_PATTERN, Conn, DatabaseRoute, PageParams, State, checksum
from cmir.api.schemas.common import ERROR_RESPONSES
from cmir.api.schemas.members import InvitationList, InvitationStatus
from cmir.api.services import invitations as service

router = APIRouter(
    prefix="/invitations", tags=["members"], responses=ERROR_RESPONSES, route_class=DatabaseRoute
)


@router.get("", response_model=InvitationList, summary="Invitations, filtered and paginated")
def list_invitations(
    state: State,
    connection: Conn,
    page: PageParams,
    invitee: Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description="invited address")] = None,
    sponsor: Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description="inviting member")] = None,
    status: Annotated[InvitationStatus | None, Query(description="status at the indexed block")] = None,
) -> InvitationList:
    """Invitations newest first. The chain keeps one per (invitee, sponsor): a live one can be
    accepted naming that sponsor and kind until it expires; revoked ones say who revoked them
    (the sponsor or governance)."""
    who = checksum(invitee) if invitee else None
    by = checksum(sponsor) if sponsor else None
    return service.list_invitations(connection, state.ctx, who, by, status, page.limit, page.offset)
