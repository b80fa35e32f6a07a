"""The API's exceptions and the handlers that turn every error into a JSON body ``{"detail": ...}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cmir.chain.errors import CmirError
from cmir.chain.errors import ConfigurationError as ConfigurationError  # the API's too

log = logging.getLogger(__name__)


class ApiError(CmirError):
    """Base class of the errors the API raises on purpose; `status_code` is the HTTP status."""

    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(ApiError):
    """An unknown id: a member, project or proposal the mirror does not hold."""

    status_code = 404


class InvalidParameterError(ApiError):
    """A parameter that passed type checks but makes no sense (a bad cursor, from > to)."""

    status_code = 422


class UnavailableError(ApiError):
    """A dependency (database, chain RPC) cannot answer now: 503, worth retrying."""

    status_code = 503


class NotIndexedError(UnavailableError):
    """The database holds no checkpoint for the deployment yet: run the indexer."""


class ChainReadError(UnavailableError):
    """The chain's RPC endpoint failed or answered something that does not decode."""


class QueryTimeoutError(UnavailableError):
    """A statement ran past the configured statement timeout."""


def _message(errors: list[Any]) -> str:
    parts = []
    for error in errors[:5]:
        location = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{location or 'request'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_handlers(app: FastAPI) -> None:
    """Register handlers: API errors, validation errors (422 with a message), HTTP errors, database
    failures (503) and anything unexpected (500), all as JSON ``{"detail": ...}``."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"Retry-After": "5"} if exc.status_code == 503 else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type")),
            }
            for e in exc.errors()
        ]
        return JSONResponse({"detail": _message(errors), "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc.detail)}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(OperationalError)
    async def _database(_request: Request, exc: OperationalError) -> JSONResponse:
        text = str(exc.orig)
        if "interrupted" in text or "statement timeout" in text or "canceling statement" in text:
            detail = "the query took too long and was stopped"
        else:
            log.warning("database unavailable: %s", text)
            detail = "database unavailable"
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(DBAPIError)
    async def _dbapi(_request: Request, exc: DBAPIError) -> JSONResponse:
        log.error("database error: %s", exc.orig)
        return JSONResponse({"detail": "database error"}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse({"detail": "internal error"}, status_code=500)
