"""Dependencies of the routes (`Annotated` aliases): the application state, the request's read
transaction (`Conn`), pagination, ids, and the query parameters several routers share (periods
and date ranges). They are coroutines although most never wait: FastAPI runs a plain function
dependency on a worker thread, a hop that cost more than the work itself.

How a route reads the database: it is a plain function (``def``) of a router built with
``route_class=DatabaseRoute``, declares ``connection: Conn`` and calls its service with it.
`DatabaseRoute` runs it where `Database` runs reads: on the event loop when SQLite is read
inline (``CMIR_THREADS=0``, its default), on a worker thread otherwise (PostgreSQL)."""

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import anyio.to_thread
from eth_utils.address import to_checksum_address
from fastapi import Depends, Path, Query, Request
from fastapi.routing import APIRoute
from pydantic import BeforeValidator
from sqlalchemy import Connection

from cmir.api.cache import AggregateCache
from cmir.api.chain import ChainReader
from cmir.api.db import Database
from cmir.api.errors import InvalidParameterError
from cmir.api.schemas.common import Period
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


async def connection(request: Request) -> AsyncIterator[Connection]:
    """The request's read transaction (`Database.transaction`): one snapshot for every query
    of the route, closed as soon as the route returns (before the response is sent)."""
    # the request, not `State`: FastAPI solves a sub-dependency again before finding it cached
    database: Database = request.app.state.cmir.database
    async with database.transaction() as read:
        yield read


Conn = Annotated[Connection, Depends(connection, scope="function")]


class DatabaseRoute(APIRoute):
    """A route whose plain function (``def``) runs where `Database` runs reads: on the event loop
    when SQLite is read inline, start to end in arrival order with no thread hop; on a worker
    thread otherwise. (FastAPI alone runs every plain function on a worker thread, and
    validates its response on another.) Coroutine routes are left as they are."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _run_where_the_database_reads(endpoint)
        super().__init__(path, endpoint, **kwargs)


_REQUEST = "cmir_request"


def _run_where_the_database_reads(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    async def route(**kwargs: Any) -> Any:
        database: Database = kwargs.pop(_REQUEST).app.state.cmir.database
        if database.inline:
            return endpoint(**kwargs)
        return await anyio.to_thread.run_sync(functools.partial(endpoint, **kwargs))

    # FastAPI reads the parameters of `route`: the endpoint's (their annotations resolved in
    # its module), and the request, to find the database
    hints = typing.get_type_hints(endpoint, include_extras=True)
    signature = inspect.signature(endpoint)
    parameters = [
        p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()
    ]
    parameters.append(inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request))
    route.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=hints.get("return", signature.return_annotation)
    )
    return route


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


PeriodQuery = Annotated[Period, Query(description="length of each point of the series")]
FromQuery = Annotated[
    IsoDate | None, Query(alias="from", description="first period starting on or after (YYYY-MM-DD)")
]
ToQuery = Annotated[
    IsoDate | None, Query(alias="to", description="last period starting on or before (YYYY-MM-DD)")
]


def check_dates(start: date | None, end: date | None) -> None:
    """422 unless start <= end (`FromQuery`, `ToQuery`)."""
    if start is not None and end is not None and start > end:
        raise InvalidParameterError("'from' is after 'to'")


def utc(value: datetime | None) -> datetime | None:
    """A datetime made aware (naive values are UTC)."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def day_start(day: date | None, plus: int = 0) -> datetime | None:
    """Midnight UTC of `day` (+ `plus` days)."""
    if day is None:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=plus)


def check_period(start: datetime | None, end: datetime | None) -> None:
    """422 unless start <= end."""
    if start is not None and end is not None and start > end:
        raise InvalidParameterError("the period's start is after its end")


@functools.lru_cache(maxsize=16384)
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
