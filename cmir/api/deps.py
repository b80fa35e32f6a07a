"""Dependencies of the routes (`Annotated` aliases): the application state, pagination, ids.
They are coroutines although they never wait: FastAPI runs a plain function dependency on a
worker thread, a hop that cost more than the work itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any

from eth_utils.address import to_checksum_address
from fastapi import Depends, Path, Query, Request
from pydantic import BeforeValidator

from cmir.api.cache import AggregateCache
from cmir.api.chain import ChainReader
from cmir.api.db import Database
from cmir.api.services.context import Context, parse_cursor
from cmir.api.settings import Settings
from cmir.chain.deployment import Deployment

MAX_LIMIT = 200
MAX_SERIES = 500
MAX_OFFSET = 1_000_000
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
UINT256_MAX = (1 << 256) - 1
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _rfc3339(value: Any) -> Any:
    if isinstance(value, str) and not _DATE_TIME.fullmatch(value):
        raise ValueError("expected an RFC 3339 date-time such as 2026-01-31T00:00:00Z")
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and not _DATE.fullmatch(value):
        raise ValueError("expected a date such as 2026-01-31")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_rfc3339)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


@dataclass
class AppState:
    """What the lifespan builds: settings, database, chain reader, query context."""

    settings: Settings
    deployment: Deployment
    database: Database
    chain: ChainReader
    ctx: Context
    chain_cache: AggregateCache


async def get_state(request: Request) -> AppState:
    """The application's state (set by the lifespan)."""
    state: AppState = request.app.state.cmir
    return state


State = Annotated[AppState, Depends(get_state)]


@dataclass(frozen=True)
class Page:
    """Offset pagination after capping."""

    limit: int
    offset: int


async def page_params(
    limit: Annotated[
        int, Query(ge=1, description=f"items per page; values above {MAX_LIMIT} are capped to {MAX_LIMIT}")
    ] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")] = 0,
) -> Page:
    """`limit` (capped) and `offset`."""
    return Page(limit=min(limit, MAX_LIMIT), offset=offset)


PageParams = Annotated[Page, Depends(page_params)]


@dataclass(frozen=True)
class CursorPage:
    """Keyset pagination: at most `limit` items beyond `cursor` (block, log index): before it in
    a list newest first, after it in a list in the order cast."""

    limit: int
    cursor: tuple[int, int] | None


async def cursor_params(
    limit: Annotated[
        int, Query(ge=1, description=f"items per page; values above {MAX_LIMIT} are capped to {MAX_LIMIT}")
    ] = 50,
    cursor: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{1,18}-[0-9]{1,9}$",
            description="`next_cursor` of the previous page (<block>-<log index>)",
        ),
    ] = None,
) -> CursorPage:
    """`limit` (capped) and a parsed cursor (422 when malformed)."""
    return CursorPage(limit=min(limit, MAX_LIMIT), cursor=parse_cursor(cursor))


CursorParams = Annotated[CursorPage, Depends(cursor_params)]


async def series_limit(
    limit: Annotated[
        int, Query(ge=1, description=f"most recent periods; values above {MAX_SERIES} are capped")
    ] = 120,
) -> int:
    """How many periods of a time series (capped)."""
    return min(limit, MAX_SERIES)


SeriesLimit = Annotated[int, Depends(series_limit)]


@lru_cache(maxsize=16384)
def checksum(address: str) -> str:
    """The EIP-55 form of a validated hex address. eth_utils takes about 40 us per address (a
    Keccak hash and its checks): the last 16,384 are kept (a few MB), since the same members
    are asked for again and again."""
    return str(to_checksum_address(address))


async def member_address(
    address: Annotated[
        str, Path(pattern=ADDRESS_PATTERN, description="0x-prefixed 20-byte address, any case")
    ],
) -> str:
    """The member address of the path, checksummed."""
    return checksum(address)


MemberAddress = Annotated[str, Depends(member_address)]
