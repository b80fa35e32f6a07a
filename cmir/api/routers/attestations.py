"""``/attestations``: the attestations of ESS structures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cmir.api.deps import ADDRESS_PATTERN, Conn, DatabaseRoute, PageParams, State, checksum
from cmir.api.schemas.attesters import AttestationList
from cmir.api.schemas.common import ERROR_RESPONSES
from cmir.api.services import attesters as service

router = APIRouter(
    prefix="/attestations", tags=["members"], responses=ERROR_RESPONSES, route_class=DatabaseRoute
)


@router.get("", response_model=AttestationList, summary="Attestations of ESS structures")
def list_attestations(
    state: State,
    connection: Conn,
    page: PageParams,
    account: Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description="attested account")] = None,
    attester: Annotated[str | None, Query(pattern=ADDRESS_PATTERN)] = None,
) -> AttestationList:
    """Attestations newest first; one counts while it is the account's latest and its attester
    still is one."""
    who = checksum(account) if account else None
    by = checksum(attester) if attester else None
    return service.list_attestations(connection, state.ctx, who, by, page.limit, page.offset)
