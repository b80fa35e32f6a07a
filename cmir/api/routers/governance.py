"""``/governance``: proposals and votes, the guardian's cancellations, the governed settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cmir.api.deps import ADDRESS_PATTERN, UINT256_MAX, CursorParams, PageParams, State, checksum
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

router = APIRouter(prefix="/governance", tags=["governance"], responses=ERROR_RESPONSES)

ProposalId = Annotated[int, Path(ge=0, le=UINT256_MAX, description="the Governor's proposal id (decimal)")]


@router.get("/proposals", response_model=ProposalList, summary="Proposals")
async def list_proposals(
    state: State,
    page: PageParams,
    status: Annotated[
        ProposalState | None, Query(alias="state", description="the Governor's state now")
    ] = None,
    proposer: Annotated[str | None, Query(pattern=ADDRESS_PATTERN)] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the description")] = None,
) -> ProposalList:
    """Proposals newest first, with state, tallies, quorum and turnout."""
    who = checksum(proposer) if proposer else None
    return await state.database.run(
        lambda c: service.list_proposals(c, state.ctx, status, who, q, page.limit, page.offset)
    )


@router.get(
    "/proposals/{proposal_id}", response_model=ProposalDetail, responses=NOT_FOUND, summary="One proposal"
)
async def get_proposal(state: State, proposal_id: ProposalId) -> ProposalDetail:
    """State, timeline, description, decoded actions, tallies and turnout against quorum."""
    return await state.database.run(lambda c: service.proposal_detail(c, state.ctx, proposal_id))


@router.get(
    "/proposals/{proposal_id}/votes",
    response_model=VoteList,
    responses=NOT_FOUND,
    summary="A proposal's votes",
)
async def proposal_votes(
    state: State,
    proposal_id: ProposalId,
    page: PageParams,
    support: Annotated[Support | None, Query()] = None,
) -> VoteList:
    """Votes with voter, support, weight and reason, in the order cast."""
    return await state.database.run(
        lambda c: service.votes(c, state.ctx, proposal_id, support, page.limit, page.offset)
    )


@router.get("/votes", response_model=AllVoteList, summary="Every vote")
async def all_votes(
    state: State,
    page: CursorParams,
    proposal: Annotated[
        int | None, Query(ge=0, le=UINT256_MAX, description="only this proposal's (its id, decimal)")
    ] = None,
) -> AllVoteList:
    """Every proposal's votes in the order cast, each with its proposal: voter, support, weight
    and reason (an auditor reads them all in a few pages; keyset pagination with `cursor`: every
    page costs the same)."""
    return await state.database.run(
        lambda c: service.all_votes(c, state.ctx, proposal, page.cursor, page.limit)
    )


@router.get(
    "/guardian-cancellations",
    response_model=GuardianCancellationList,
    summary="Proposals the guardian cancelled, with its reasons",
)
async def guardian_cancellations(state: State, page: PageParams) -> GuardianCancellationList:
    """The guardian ("conseil de surveillance") may only cancel a proposal before it is executed,
    and must say why: each cancellation, newest first, with its public reason."""
    return await state.database.run(
        lambda c: service.guardian_cancellations(c, state.ctx, page.limit, page.offset)
    )


@router.get("/settings", response_model=GovernanceSettings, summary="The governed settings")
async def governance_settings(state: State) -> GovernanceSettings:
    """Voting delay and period, quorum (percent and absolute floor), the approval grace period,
    the guardian, the timelock delay, and admission: probation, invitation refill period, cap and
    life, the membership fee, attesters, members still in probation."""
    return await state.database.run(lambda c: service.settings(c, state.ctx))
