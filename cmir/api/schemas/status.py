"""Reconciliation against the chain, health, and what the API serves (meta)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from cmir.api.schemas.common import AsOf, Schema

FigureStatus = Literal["ok", "mismatch", "surplus"]


class Figure(Schema):
    """One figure as the database mirrors it and as the chain reports it at the indexed block."""

    name: str
    label: str
    unit: Literal["amount", "count", "bps", "address", "points"]
    database: str | None
    chain: str | None
    database_display: str | None
    chain_display: str | None
    status: FigureStatus = Field(
        description="surplus: tokens sent to the pool without an inflow (accountSurplus books them)"
    )


class Reconciliation(Schema):
    """Database totals next to the contracts' views and the pool's token balance, read from the
    chain with ``eth_call`` at the indexed block."""

    as_of: AsOf
    status: Literal["ok", "mismatch", "reorged"] = Field(
        description="reorged: the indexed block is no longer canonical (the indexer will roll back)"
    )
    chain_block_hash: str | None
    figures: list[Figure]
    mismatches: int
    read_at: datetime = Field(
        description="when the chain was read for this block (reads are cached per block)"
    )


class DatabaseHealth(Schema):
    """Can the database be read."""

    reachable: bool
    error: str | None


class IndexerHealth(Schema):
    """How far the mirror is behind the chain."""

    checkpoint_block: int | None
    checkpoint_time: datetime | None
    updated_at: datetime | None = Field(description="when the indexer last wrote")
    head: int | None
    lag_blocks: int | None = Field(description="head - indexed block")


class ChainHealth(Schema):
    """Can the chain's RPC be read."""

    reachable: bool
    error: str | None


class Health(Schema):
    """ok: database and chain reachable and the chain indexed; degraded otherwise (503 when the
    database cannot be read)."""

    status: Literal["ok", "degraded", "down"]
    database: DatabaseHealth
    indexer: IndexerHealth
    chain: ChainHealth


class ContractInfo(Schema):
    """A deployed contract."""

    address: str
    contract_type: str
    explorer_url: str | None


class Meta(Schema):
    """The deployment the API serves and how it shows figures."""

    api_version: str
    network: str
    chain_id: int
    deployment_block: int
    contracts: dict[str, ContractInfo]
    token_symbol: str
    token_decimals: int
    explorer_tx_url: str | None = Field(description="template with {tx}")
    explorer_address_url: str | None = Field(description="template with {address}")


class AuditedResource(Schema):
    """One resource of a published audit: records checked and what differed."""

    name: str
    checked: int = Field(ge=0)
    differences: int = Field(ge=0, description="records or fields the API served differently from the chain")
    problems: int = Field(ge=0, description="the chain's own events and views disagreeing")


class AuditSummary(Schema):
    """The latest audit the operator published (`cmir audit --report`): an independent program
    recomputed every record from the chain and compared it with this API at one block. Anyone can
    run it again with the command given."""

    available: bool = Field(description="false: no audit report published here (or it is unreadable)")
    error: str | None = Field(default=None, description="why the report cannot be read, when it cannot")
    result: Literal["RECONCILED", "NOT RECONCILED"] | None = None
    full: bool | None = Field(default=None, description="every member checked (false: a --sample run)")
    block: int | None = None
    block_hash: str | None = None
    block_time: datetime | None = None
    audited_at: datetime | None = None
    seconds: float | None = Field(default=None, description="how long the audit took")
    checked: int | None = Field(default=None, description="records checked, every resource together")
    differences: int | None = None
    failures: int | None = Field(default=None, description="identities that failed and chain-side problems")
    resources: list[AuditedResource] = Field(default_factory=list)
    report_url: str | None = Field(default=None, description="the audit's one-page HTML report")
    command: str | None = Field(default=None, description="the command that re-runs this audit")
