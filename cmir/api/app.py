"""The application factory: settings, lifespan (engine, chain reader, caches), routers, errors."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from fastapi import FastAPI

from cmir.api import __version__
from cmir.api.cache import GZIP_MINIMUM_SIZE, AggregateCache, ResponseCacheMiddleware
from cmir.api.chain import ChainReader
from cmir.api.db import Database, make_read_engine
from cmir.api.deps import AppState
from cmir.api.errors import install_handlers
from cmir.api.membersapp import install_members_app
from cmir.api.routers import (
    app_config,
    attestations,
    attesters,
    audit,
    ess,
    ess_metadata,
    flows,
    governance,
    invitations,
    members,
    network,
    pool,
    relations,
    relay,
    status,
)
from cmir.api.services.context import Context
from cmir.api.services.relay import RelayDesk
from cmir.api.settings import Settings
from cmir.api.webpage import GZipWhenAsked, install_web
from cmir.chain.deployment import load_deployment

API_PREFIX = "/api/v1"
T = TypeVar("T")
GZIP_LEVEL = 1

DESCRIPTION = """Every figure of the CMIR DAO as mirrored from the chain by the indexer: members and
their network (probation, invitations, attesters of ESS structures), the redistribution pool and
its buckets (the steward's budget), every flow with its transaction, the ESS directory (projects
awaiting activation, wallet versions), governance (expiring approvals, the guardian's
cancellations with their reasons), the social-utility ratio, and a reconciliation against the
chain itself.

Amounts are exact: `units` (integer base units, as a string) and `display` (decimal string).
Lists are paginated (`limit` is capped at 200); errors are JSON `{"detail": ...}`."""


def _first(*values: T | None) -> T:
    """The first value given (not None): a setting, then the record's, then the default."""
    return next(value for value in values if value is not None)


def build_state(settings: Settings) -> AppState:
    """Open what the API needs: the deployment record, a read-only engine, the chain reader."""
    deployment = load_deployment(settings.deployment_file)
    units = deployment.token
    engine = make_read_engine(
        settings.database_url,
        statement_timeout_ms=settings.statement_timeout_ms,
        pool_size=settings.db_pool_size,
    )
    ctx = Context(
        chain_id=deployment.chain_id,
        network=deployment.network,
        decimals=_first(settings.token_decimals, units.decimals if units else None, 6),
        symbol=_first(settings.token_symbol, units.symbol if units else None, "EUR"),
        tx_url=settings.explorer_tx_urls.get(deployment.network),
        address_url=settings.explorer_address_urls.get(deployment.network),
        cache=AggregateCache(settings.cache_entries),
    )
    chain = ChainReader(
        settings.rpc_url, deployment, timeout=settings.rpc_timeout, head_ttl=settings.head_cache_seconds
    )
    return AppState(
        settings=settings,
        deployment=deployment,
        database=Database(engine, settings.query_threads()),
        chain=chain,
        ctx=ctx,
        chain_cache=AggregateCache(64),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI application; `settings` default to the environment's (``CMIR_*``)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_state(settings)
        app.state.cmir = state
        app.state.relay = RelayDesk(settings, state.deployment)  # the relayer's checks and writes
        # What is alive now (modules, ABIs, compiled statements) lives as long as the process: out
        # of the collector's sight, a full collection no longer walks it (it stalled every
        # request in flight for 150-300 ms under load).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            app.state.relay.close()
            state.chain.close()
            state.database.dispose()

    app = FastAPI(
        title="CMIR DAO transparency API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs is `install_web`'s: Swagger UI served here, not from a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_handlers(app)
    app.add_middleware(
        ResponseCacheMiddleware,
        max_bytes=settings.response_cache_mb * 2**20,
        ttl=settings.checkpoint_ttl,
        shared_file=settings.shared_cache_file,
    )
    # Outside the response cache: what it computes (a miss, or anything it does not keep) is
    # compressed here for a client that asks, at level 1 (as nginx's default: a 274 KB page of
    # members took 1.6 ms of CPU and came to 80 KB, against 4.0 ms and 71 KB at level 6); what
    # it serves again it compresses once and keeps (`ResponseCache.gzipped`), and this passes
    # it through. Below 1 KiB the headers outweigh the saving. (The page's static files are
    # gzipped once, at level 9, by `cmir.api.webpage`.)
    app.add_middleware(GZipWhenAsked, minimum_size=GZIP_MINIMUM_SIZE, compresslevel=GZIP_LEVEL)
    for module in (
        members,
        invitations,
        attesters,
        attestations,
        network,
        pool,
        flows,
        relations,
        relay,
        ess,
        ess_metadata,
        governance,
        status,
        audit,
        app_config,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    install_web(app)  # the transparency page at /
    install_members_app(app)  # the members' app at /app/
    return app
