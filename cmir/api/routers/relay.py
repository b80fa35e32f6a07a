"""``/relay``: members act without holding ether. A member signs a request for the ERC-2771
forwarder (``/relay/forward``) or a ballot (``/relay/vote``); the API checks it, stores it and
answers 202 with its id; the sender (``cmir relay``) sends it with the operator's key and pays
the gas; ``/relay/requests/{id}`` says what became of it. Every refusal is a 4xx with a JSON
``detail`` (a simulated revert also names the custom error and explains it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query
from fastapi import Path as FastPath
from fastapi.responses import JSONResponse

from cmir.api.deps import ADDRESS_PATTERN, MemberAddress, PageParams, checksum
from cmir.api.errors import NotFoundError
from cmir.api.schemas.common import ERROR_RESPONSES, NOT_FOUND
from cmir.api.schemas.relay import (
    Budget,
    ForwardBody,
    RelayInfo,
    RelayRequestList,
    RelayRequestOut,
    VoteBody,
)
from cmir.api.schemas.relay import (
    Refusal as RefusalBody,
)
from cmir.api.services.relay import Desk
from cmir.api.services.relay_checks import RefusalError

T = TypeVar("T")

REFUSALS: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    400: {"model": RefusalBody, "description": "forged signature: not made by the signer over this request"},
    403: {"model": RefusalBody, "description": "the signer is not a member (nor an invitee accepting)"},
    409: {"model": RefusalBody, "description": "replayed request, or one with this nonce already pending"},
    422: {
        "model": RefusalBody,
        "description": "unknown target or function, bad nonce, deadline or gas, or a"
        " simulated revert (the custom error and its explanation)",
    },
    429: {
        "model": RefusalBody,
        "description": "the member's daily budget is spent (Retry-After: until midnight UTC)",
    },
    503: {
        "model": RefusalBody,
        "description": "the relayer is disabled, or the chain or database unavailable",
    },
}

router = APIRouter(prefix="/relay", tags=["relayer"], responses=ERROR_RESPONSES)


def _answer(work: Callable[[], T]) -> T | JSONResponse:
    try:
        return work()
    except RefusalError as refusal:
        headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else None
        if refusal.status_code == 503:
            headers = {"Retry-After": "5"}
        return JSONResponse(refusal.body(), status_code=refusal.status_code, headers=headers)


@router.get("", response_model=RelayInfo, summary="Whether the API relays, and its limits")
def relay_info(desk: Desk) -> RelayInfo:
    """Enabled or not (and why), the forwarder and the Governor, the member actions relayed by
    contract, the daily budget per member, and the caps on a request's gas and deadline."""
    return desk.info()


@router.post(
    "/forward",
    status_code=202,
    response_model=RelayRequestOut,
    responses=REFUSALS,
    summary="Relay a member's signed ERC-2771 request",
)
def relay_forward(body: ForwardBody, desk: Desk) -> Any:
    """Checks that the EIP-712 signature recovers `from` (the forwarder's domain), that `to` is a
    CMIR contract and the function a member action (payRelation, payRelationWithPermit,
    contribute, claim, invite, acceptInvitation, acceptInvitationWithPermit, registerProject,
    updateProject, propose), value 0, the deadline ahead and not too far, the nonce the
    forwarder's next one with no other pending, the gas within the cap, the signer a member (or
    an invitee accepting a live invitation), the daily budget, the forwarder's `verify`, and a
    simulation; then stores it (202) for the sender."""
    return _answer(lambda: desk.accept_forward(body))


@router.post(
    "/vote",
    status_code=202,
    response_model=RelayRequestOut,
    responses=REFUSALS,
    summary="Relay a member's signed ballot",
)
def relay_vote(body: VoteBody, desk: Desk) -> Any:
    """Checks that the EIP-712 ``ExtendedBallot`` (the Governor's domain, its ``nonces(voter)``,
    empty params) recovers the voter, that the voter is a member, the daily budget, and a
    simulation of ``castVoteWithReasonAndParamsBySig``; then stores it (202) for the sender."""
    return _answer(lambda: desk.accept_vote(body))


@router.get(
    "/requests/{request_id}",
    response_model=RelayRequestOut,
    responses={**ERROR_RESPONSES, **NOT_FOUND},
    summary="A relayed request: status, transaction, error",
)
def relay_request(
    request_id: Annotated[int, FastPath(ge=1, le=2**63 - 1, description="the id POST gave")], desk: Desk
) -> RelayRequestOut:
    """Its status (accepted, sent, confirmed, failed, expired), transaction hash and block, gas
    used, attempts, and the revert explained when it failed."""
    found = desk.request(request_id)
    if found is None:
        raise NotFoundError(f"no relayed request {request_id}")
    return found


@router.get("/requests", response_model=RelayRequestList, summary="Relayed requests, newest first")
def relay_requests(
    desk: Desk,
    page: PageParams,
    signer: Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description="only this signer's")] = None,
) -> RelayRequestList:
    """Every request the relayer accepted (one signer's with `signer`), newest first."""
    return desk.requests(checksum(signer) if signer else None, page.limit, page.offset)


@router.get("/budget/{address}", response_model=Budget, summary="A member's relayer budget today")
def relay_budget(address: MemberAddress, desk: Desk) -> Budget:
    """Requests and gas used today (UTC) against what is allowed, and when it resets."""
    return desk.budget(address)
