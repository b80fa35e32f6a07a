"""``/governance``: proposals and votes, the guardian's cancellations, the governed settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cmir.api.deps import (
    ADDRESS_PATTERN,
    UINT256_MAX,
    Conn,
    CursorParams,
    DatabaseRoute,
    PageParams,
    State,
    checksum,
)
from cmir.api.schemas.common import ERROR_RESPONSES, NOT_FOUND
from cmir.api.schemas.governance import (
    AllVoteList,
    GovernanceSettings,
    GuardianCancellationList,
    ProposalDetail,
    ProposalList,
    ProposalState,
    Support,
    VoteList,
)
from cmir.api.services import governance as service

router = APIRouter(
    prefix="/governance", tags=["governance"], responses=ERROR_RESPONSES, route_class=DatabaseRoute
)

ProposalId = Annotated[int, Path(ge=0, le=UINT256_MAX, description="the Governor's proposal id (decimal)")]


@router.get("/proposals", response_model=ProposalList, summary="Proposals")
def list_proposals(
    state: State,
    connection: Conn,
    page: PageParams,
    status: Annotated[
        ProposalState | None, Query(alias="state", description="the Governor's state now")
    ] = None,
    proposer: Annotated[str | None, Query(pattern=ADDRESS_PATTERN)] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the description")] = None,
) -> ProposalList:
    """Proposals newest first, with state, tallies, quorum and turnout."""
    who = checksum(proposer) if proposer else None
    return service.list_proposals(connection, state.ctx, status, who, q, page.limit, page.offset)


@router.get(
    "/proposals/{proposal_id}", response_model=ProposalDetail, responses=NOT_FOUND, summary="One proposal"
)
def get_proposal(state: State, connection: Conn, proposal_id: ProposalId) -> ProposalDetail:
    """State, timeline, description, decoded actions, tallies and turnout against quorum."""
    return service.proposal_detail(connection, state.ctx, proposal_id)


@router.get(
    "/proposals/{proposal_id}/votes",
    response_model=VoteList,
    responses=NOT_FOUND,
    summary="A proposal's votes",
)
def proposal_votes(
    state: State,
    connection: Conn,
    proposal_id: ProposalId,
    page: PageParams,
    support: Annotated[Support | None, Query()] = None,
) -> VoteList:
    """Votes with voter, support, weight and reason, in the order cast."""
    return service.votes(connection, state.ctx, proposal_id, support, page.limit, page.offset)


@router.get("/votes", response_model=AllVoteList, summary="Every vote")
def all_votes(
    state: State,
    connection: Conn,
    page: CursorParams,
    proposal: Annotated[
        int | None, Query(ge=0, le=UINT256_MAX, description="only this proposal's (its id, decimal)")
    ] = None,
) -> AllVoteList:
    """Every proposal's votes in the order cast, each with its proposal: voter, support, weight
    and reason (an auditor reads them all in a few pages; keyset pagination with `cursor`: every
    page costs the same)."""
    return service.all_votes(connection, state.ctx, proposal, page.cursor, page.limit)


@router.get(
    "/guardian-cancellations",
    response_model=GuardianCancellationList,
    summary="Proposals the guardian cancelled, with its reasons",
)
def guardian_cancellations(state: State, connection: Conn, page: PageParams) -> GuardianCancellationList:
    """The guardian ("conseil de surveillance") may only cancel a proposal before it is executed,
    and must say why: each cancellation, newest first, with its public reason."""
    return service.guardian_cancellations(connection, state.ctx, page.limit, page.offset)


@router.get("/settings", response_model=GovernanceSettings, summary="The governed settings")
def governance_settings(state: State, connection: Conn) -> GovernanceSettings:
    """Voting delay and period, quorum (percent and absolute floor), the approval grace period,
    the guardian, the timelock delay, and admission: probation, invitation refill period, cap and
    life, the membership fee, attesters, members still in probation."""
    return service.settings(connection, state.ctx)
