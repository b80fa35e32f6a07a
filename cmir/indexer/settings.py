"""Indexer settings, read from the environment (prefix ``CMIR_``) and overridden by the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cmir.chain.paths import checkout

ROOT = checkout() or Path.cwd()

DEFAULT_CONTRACTS = ("membership", "registry", "pool", "governor", "timelock")


class Settings(BaseSettings):
    """Everything the indexer is configured with. Each field is also read from ``CMIR_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CMIR_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'cmir-index.sqlite3'}",
        description="SQLAlchemy URL: a SQLite file (default) or postgresql://user:pass@host/db.",
    )
    rpc_url: str = Field(default="http://127.0.0.1:8545", description="JSON-RPC endpoint of the chain.")
    deployment_file: Path = Field(
        default=ROOT / "deployments" / "local.json",
        description="deployments/<network>.json written by the deploy script (addresses, ABIs, block).",
    )
    contracts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_CONTRACTS,
        description="Contracts of the deployment record to index, by role (add 'token' for a test token).",
    )
    confirmations: int = Field(default=0, ge=0, description="Blocks behind the head left unindexed.")
    poll_interval: float = Field(default=2.0, gt=0, description="Seconds between head polls in live mode.")
    initial_block_range: int = Field(default=100, ge=1, description="First eth_getLogs range, in blocks.")
    max_block_range: int = Field(default=50_000, ge=1, description="Largest eth_getLogs range, in blocks.")
    target_batch_events: int = Field(
        default=5_000, ge=1, description="Events per batch the range adapts to (bounds memory per batch)."
    )
    max_response_bytes: int = Field(
        default=16 << 20,
        ge=1 << 16,
        description="Largest eth_getLogs response read (bytes); a larger one is dropped and the range"
        " shrunk, which bounds memory however dense the blocks (a one-block range is always read).",
    )
    reorg_window: int = Field(
        default=128, ge=1, description="Blocks below the checkpoint whose hashes and undo images are kept."
    )
    rpc_timeout: float = Field(default=30.0, gt=0, description="Seconds before an RPC request times out.")
    rpc_max_retries: int = Field(default=8, ge=0, description="Retries of a failing RPC request.")
    rpc_backoff_base: float = Field(default=0.25, ge=0, description="First retry delay, in seconds.")
    rpc_backoff_max: float = Field(default=10.0, ge=0, description="Longest retry delay, in seconds.")
    rpc_batch_size: int = Field(default=100, ge=1, description="Most calls in one JSON-RPC batch.")
    metadata_timeout: float = Field(default=10.0, gt=0, description="Seconds to fetch ESS project metadata.")
    metadata_max_bytes: int = Field(default=1_048_576, ge=1, description="Largest metadata document.")
    metadata_file_root: Path | None = Field(
        default=None, description="Directory file:// metadata URIs may point into (unset: file:// refused)."
    )
    metadata_allow_private_hosts: bool = Field(
        default=False, description="Let http(s) metadata URIs reach loopback and private addresses."
    )
    metadata_retry_seconds: int = Field(
        default=3600, ge=0, description="Delay before re-fetching unreachable metadata."
    )
    prefetch: Literal["process", "thread"] = Field(
        default="process",
        description="Fetch and decode the next batches in a forked process (CPU in parallel) or a thread.",
    )
    log_interval: float = Field(
        default=10.0, gt=0, description="Seconds between progress log lines off a terminal."
    )

    @field_validator("contracts", mode="before")
    @classmethod
    def _split_contracts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("database_url must be a sqlite:/// or postgresql:// URL")
        return value
