"""The API's settings, read from the environment (prefix ``CMIR_``), shared names with the indexer."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cmir.chain.paths import checkout

ROOT = checkout() or Path.cwd()

DEFAULT_TX_URLS = {
    "ethereum:sepolia": "https://sepolia.etherscan.io/tx/{tx}",
    "ethereum:mainnet": "https://etherscan.io/tx/{tx}",
}
DEFAULT_ADDRESS_URLS = {
    "ethereum:sepolia": "https://sepolia.etherscan.io/address/{address}",
    "ethereum:mainnet": "https://etherscan.io/address/{address}",
}


class Settings(BaseSettings):
    """Everything the API is configured with. Each field is also read from ``CMIR_<NAME>``;
    dictionaries are given as JSON (``CMIR_EXPLORER_TX_URLS='{"ethereum:sepolia": "..."}'``)."""

    model_config = SettingsConfigDict(env_prefix="CMIR_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'cmir-index.sqlite3'}",
        description="SQLAlchemy URL of the indexer's database (same default as the indexer).",
    )
    rpc_url: str = Field(
        default="http://127.0.0.1:8545", description="JSON-RPC endpoint for reconciliation and health."
    )
    deployment_file: Path = Field(
        default=ROOT / "deployments" / "local.json",
        description="deployments/<network>.json: chain id, network name, addresses and ABIs.",
    )
    explorer_tx_urls: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_TX_URLS),
        description="Per network (Ape's 'ecosystem:network'), a transaction URL template with {tx}.",
    )
    explorer_address_urls: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_ADDRESS_URLS),
        description="Per network, an address URL template with {address}.",
    )
    token_decimals: int = Field(default=6, ge=0, le=36, description="Decimals of the payment token.")
    token_symbol: str = Field(default="EUR", max_length=16, description="Symbol shown next to amounts.")
    statement_timeout_ms: int = Field(
        default=3000, ge=50, description="Longest a single SQL statement may run (PostgreSQL and SQLite)."
    )
    rpc_timeout: float = Field(default=5.0, gt=0, description="Seconds before a chain read times out.")
    head_cache_seconds: float = Field(
        default=2.0, ge=0, description="How long the chain head read for /health is reused."
    )
    db_pool_size: int = Field(default=8, ge=1, le=64, description="Database connections per process.")
    threads: int | None = Field(
        default=None,
        ge=0,
        le=64,
        description="Worker threads running queries per process; 0 runs them on the event loop, in"
        " arrival order (best for SQLite, whose statements are short and CPU-bound; one statement"
        " then holds its process's other requests for at most statement_timeout_ms)."
        " Default: 0 on SQLite, 4 on PostgreSQL.",
    )
    cache_entries: int = Field(default=512, ge=16, description="Aggregates kept per process (LRU).")
    response_cache_mb: int = Field(
        default=64, ge=0, description="Memory for cached responses per process (0: no cache)."
    )
    shared_cache_file: Path | None = Field(
        default=None,
        description="SQLite file of the response cache shared by the server's processes; the"
        " production server sets it when it runs several (none: each process caches alone).",
    )
    checkpoint_ttl: float = Field(
        default=1.0,
        ge=0,
        description="Seconds a read of the indexer's checkpoint is reused by the response cache.",
    )
    audit_report: Path | None = Field(
        default=None,
        description="JSON report of the latest full `cmir audit --report` (its .html beside it), shown"
        " in the page's Vérification section and served at /api/v1/audit (none: no audit published).",
    )
    host: str = Field(default="127.0.0.1", description="Address the production server binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the production server.")
    workers: int = Field(
        default_factory=lambda: min(os.cpu_count() or 1, 8),
        ge=1,
        le=32,
        description="Server processes (uvicorn workers); default one per CPU core, at most 8.",
    )

    def query_threads(self) -> int:
        """`threads`, or its default for the database."""
        if self.threads is not None:
            return self.threads
        return 0 if self.database_url.startswith("sqlite") else 4

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("database_url must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("explorer_tx_urls")
    @classmethod
    def _check_tx_templates(cls, value: dict[str, str]) -> dict[str, str]:
        for network, template in value.items():
            if "{tx}" not in template:
                raise ValueError(f"explorer template of {network} lacks {{tx}}")
        return value

    @field_validator("explorer_address_urls")
    @classmethod
    def _check_address_templates(cls, value: dict[str, str]) -> dict[str, str]:
        for network, template in value.items():
            if "{address}" not in template:
                raise ValueError(f"explorer template of {network} lacks {{address}}")
        return value
