"""``/attesters``: the attesters of ESS structures governance named."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cmir.api.deps import Conn, DatabaseRoute, PageParams, State
from cmir.api.schemas.attesters import AttesterList
from cmir.api.schemas.common import ERROR_RESPONSES
from cmir.api.services import attesters as service

router = APIRouter(
    prefix="/attesters", tags=["members"], responses=ERROR_RESPONSES, route_class=DatabaseRoute
)


@router.get("", response_model=AttesterList, summary="Attesters of ESS structures")
def list_attesters(
    state: State,
    connection: Conn,
    page: PageParams,
    allowed: Annotated[bool | None, Query(description="still an attester (true) or removed (false)")] = None,
) -> AttesterList:
    """Accounts governance made attesters: an ESS structure joins only when governance admits it
    or one of them attested it."""
    return service.list_attesters(connection, state.ctx, allowed, page.limit, page.offset)
