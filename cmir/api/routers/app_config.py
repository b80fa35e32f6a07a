"""``/app/config``: what the members' app (``/app/``) needs to start."""

from __future__ import annotations

from fastapi import APIRouter, Request

from cmir.api.deps import State
from cmir.api.schemas.app_config import AppConfig
from cmir.api.schemas.common import ERROR_RESPONSES
from cmir.api.services import app_config as service

router = APIRouter(prefix="/app", tags=["members' app"], responses=ERROR_RESPONSES)


@router.get("/config", response_model=AppConfig, summary="The members' app's configuration")
def app_config(state: State, request: Request) -> AppConfig:
    """Chain id, a JSON-RPC URL for the browser, the contracts the app calls with their ABIs, the
    token's symbol and decimals, whether the API relays signed requests, the revert meanings
    (the CLI's), and the demo wallet's accounts: only when ``CMIR_APP_DEMO_WALLET`` is on and
    the chain is a local dev chain (chain id 31337, or a node answering ``anvil_nodeInfo``)."""
    # the relayer's desk says (`cmir.api.services.relay`): enabled, with a forwarder to relay through
    # (FastAPI's `app.routes` holds included routers, not their paths, so routes cannot tell)
    desk = getattr(request.app.state, "relay", None)
    relayer = desk is not None and desk.disabled_reason is None
    return service.app_config(state.settings, state.deployment, state.ctx, state.chain, relayer)
