"""Shapes shared by every resource: amounts, ratios, the indexed block, pages, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MemberKind = Literal["Pilote", "Abeille", "EssStructure"]
Bucket = Literal["members", "ess", "collective"]
Period = Literal["day", "week", "month"]


class Schema(BaseModel):
    """Base of the response schemas: closed objects."""

    model_config = ConfigDict(extra="forbid")


class Amount(Schema):
    """An exact token amount: integer base units as a string, and a decimal display string."""

    units: str = Field(pattern=r"^[0-9]+$", examples=["12500000"], description="integer base units")
    display: str = Field(
        pattern=r"^[0-9]+(\.[0-9]+)?$", examples=["12.50"], description="the amount in tokens, exact"
    )


class Ratio(Schema):
    """numerator ÷ denominator, exact inputs; `value` is a decimal string (6 places, rounded down)."""

    numerator: Amount
    denominator: Amount
    value: str | None = Field(description="null when the denominator is zero", examples=["0.312500"])
    percent: float | None = Field(description="value x 100, for display and charts (not money)")


class AsOf(Schema):
    """The indexed block every figure of a response refers to."""

    block: int = Field(ge=0, description="the indexer's checkpoint")
    block_hash: str | None
    time: datetime | None = Field(description="timestamp of that block (UTC)")


class PageMeta(Schema):
    """Offset pagination: `limit` after capping, `total` matching items, the next offset or null."""

    limit: int = Field(ge=1)
    offset: int = Field(ge=0)
    total: int = Field(ge=0)
    next_offset: int | None


class ErrorBody(Schema):
    """Every error: a message in `detail`; validation errors also list each problem."""

    detail: str
    errors: list[dict[str, Any]] | None = None


class TxRef(Schema):
    """Where an event is on chain, with an explorer link when the network has one."""

    tx_hash: str
    block_number: int
    log_index: int
    time: datetime | None
    explorer_url: str | None


def timestamp(seconds: int | None) -> datetime | None:
    """A unix time as an aware UTC datetime."""
    return None if seconds is None else datetime.fromtimestamp(int(seconds), UTC)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "a parameter is invalid"},
    503: {"model": ErrorBody, "description": "database or chain unavailable, or not indexed yet"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "unknown id"}}
