"""``/relations``: every paid relation of the network, whole (both sponsors, every party's points)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cmir.api.deps import Conn, CursorParams, DatabaseRoute, State
from cmir.api.errors import InvalidParameterError
from cmir.api.schemas.common import ERROR_RESPONSES
from cmir.api.schemas.relations import RelationPage
from cmir.api.services import relations as service

router = APIRouter(
    prefix="/relations", tags=["relations"], responses=ERROR_RESPONSES, route_class=DatabaseRoute
)

BLOCK_MAX = 2**62


@router.get("", response_model=RelationPage, summary="Every paid relation")
def list_relations(
    state: State,
    connection: Conn,
    page: CursorParams,
    from_block: Annotated[int | None, Query(ge=0, le=BLOCK_MAX, description="at or after this block")] = None,
    to_block: Annotated[int | None, Query(ge=0, le=BLOCK_MAX, description="at or before this block")] = None,
) -> RelationPage:
    """Relations newest first with payer, counterparty, reference, amounts and split, epoch, both
    sponsors and the points each party earned (keyset pagination with `cursor`: every page costs
    the same, so a reader can walk all of them)."""
    if from_block is not None and to_block is not None and from_block > to_block:
        raise InvalidParameterError("from_block is after to_block")
    return service.list_relations(connection, state.ctx, page.cursor, page.limit, from_block, to_block)
