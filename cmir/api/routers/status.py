"""``/reconciliation``, ``/health`` and ``/meta``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from cmir.api import __version__
from cmir.api.deps import State
from cmir.api.schemas.common import ERROR_RESPONSES
from cmir.api.schemas.status import ContractInfo, Health, Meta, Reconciliation
from cmir.api.services import status as service

router = APIRouter(tags=["status"])


@router.get(
    "/reconciliation",
    response_model=Reconciliation,
    responses=ERROR_RESPONSES,
    summary="The mirror checked against the chain",
)
async def reconciliation(state: State) -> Reconciliation:
    """For the indexed block: each database total next to the contracts' views and the pool's
    token balance, read with ``eth_call`` at that block number; a status per figure and overall.
    Chain reads are cached per indexed block."""
    return await service.reconciliation(state)


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "the database cannot be read"}},
    summary="Database, chain and indexer lag",
)
async def health(state: State) -> Health | JSONResponse:
    """Whether the database and the chain can be read, and the indexer's lag (head - indexed block)."""
    body, code = await service.health(state)
    if code != 200:
        return JSONResponse(body.model_dump(mode="json"), status_code=code)
    return body


@router.get("/meta", response_model=Meta, summary="The deployment served")
async def meta(state: State) -> Meta:
    """Network, chain id, contracts with explorer links, the token's symbol and decimals."""
    ctx, deployment = state.ctx, state.deployment
    return Meta(
        api_version=__version__,
        network=deployment.network,
        chain_id=deployment.chain_id,
        deployment_block=deployment.deployment_block,
        contracts={
            role: ContractInfo(
                address=c.address, contract_type=c.contract_type, explorer_url=ctx.address_link(c.address)
            )
            for role, c in deployment.contracts.items()
        },
        token_symbol=ctx.symbol,
        token_decimals=ctx.decimals,
        explorer_tx_url=ctx.tx_url,
        explorer_address_url=ctx.address_url,
    )
