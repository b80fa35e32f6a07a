"""Every setting of CMIR's services in one place, read from the environment (``CMIR_<NAME>``).

One base class, `CmirSettings` (the ``CMIR_`` prefix, the defaults found from the checkout),
and a section per service, each a subclass adding its own fields:

- `ServiceSettings`: what the indexer and the API share (the database, the chain, the
  deployment record), with the same defaults for both;
- `IndexerSettings`: the indexer's section (``cmir index``);
- `ApiSettings`: the API's section and its production server (``cmir serve``);
- `StackSettings`: ``make up``'s ports and files (`cmir.apps.stack`).

A settings object is built once, by the command that runs (environment first, its options on
top), and handed to the code that needs it: nothing below the command line reads ``CMIR_*``
variables or writes them for another part to read.

Defaults come from the checkout around the working directory (`cmir.chain.paths.checkout`, or
``CMIR_PROJECT_DIR``), never from where this package is installed; outside a checkout, from the
working directory. The default database is the running (or last) ``make up`` stack's, when its
state folder holds one: ``cmir index status`` on a checkout where ``make up`` runs reads what
the stack's indexer writes, instead of a new empty file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cmir.chain.paths import checkout

#: Where ``make up`` keeps its state (database, logs, metadata, keyfiles), in the checkout.
STACK_STATE = Path(".build") / "stack"
#: The stack's database, in its state folder.
STACK_DATABASE = "index.sqlite3"
#: The database of an indexer run outside the stack, in the checkout.
OWN_DATABASE = "cmir-index.sqlite3"
#: The contracts of a deployment record the indexer mirrors by default, by role.
DEFAULT_CONTRACTS = ("membership", "registry", "pool", "governor", "timelock")
DEFAULT_TX_URLS = {
    "ethereum:sepolia": "https://sepolia.etherscan.io/tx/{tx}",
    "ethereum:mainnet": "https://etherscan.io/tx/{tx}",
}
DEFAULT_ADDRESS_URLS = {
    "ethereum:sepolia": "https://sepolia.etherscan.io/address/{address}",
    "ethereum:mainnet": "https://etherscan.io/address/{address}",
}


def project_dir() -> Path:
    """The folder the defaults are relative to: the checkout, else the working directory."""
    return checkout() or Path.cwd()


def default_state_dir() -> Path:
    """``make up``'s state folder in the checkout (.build/stack)."""
    return project_dir() / STACK_STATE


def _default_database_url(data: dict[str, Any]) -> str:
    # The stack's database when there is one, so that a command run beside `make up` reads what
    # the stack's indexer writes; else a file of its own in the checkout.
    state = data.get("state_dir") or default_state_dir()
    stack_database = Path(state) / STACK_DATABASE
    if stack_database.is_file():
        return f"sqlite:///{stack_database}"
    return f"sqlite:///{project_dir() / OWN_DATABASE}"


class CmirSettings(BaseSettings):
    """The base of every section: fields read from ``CMIR_<NAME>``, unknown variables ignored,
    defaults relative to the checkout."""

    model_config = SettingsConfigDict(env_prefix="CMIR_", extra="ignore")

    state_dir: Path = Field(
        default_factory=default_state_dir,
        description="``make up``'s state folder (database, logs, metadata, demo keyfiles).",
    )
    deployment_file: Path = Field(
        default_factory=lambda: project_dir() / "deployments" / "local.json",
        description="deployments/<network>.json written by `cmir deploy`: chain id, network name,"
        " addresses, ABIs, deployment block.",
    )


class ServiceSettings(CmirSettings):
    """What the indexer and the API share: the database one writes and the other reads, the
    chain and the deployment record."""

    database_url: str = Field(
        default_factory=_default_database_url,
        description="SQLAlchemy URL: a SQLite file or postgresql://user:pass@host/db. Default: the"
        " `make up` stack's database (state_dir/index.sqlite3) when it exists, else"
        " cmir-index.sqlite3 in the checkout.",
    )
    rpc_url: str = Field(default="http://127.0.0.1:8545", description="JSON-RPC endpoint of the chain.")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("database_url must be a sqlite:/// or postgresql:// URL")
        return value

    def sqlite_file(self) -> Path | None:
        """The SQLite file of `database_url` (None for PostgreSQL or an in-memory database)."""
        if not self.database_url.startswith("sqlite"):
            return None
        _, _, rest = self.database_url.partition(":///")
        path = rest.split("?", 1)[0]
        return Path(path) if path and path != ":memory:" else None

    def is_stack_database(self) -> bool:
        """The database is the ``make up`` stack's (in `state_dir`)."""
        found = self.sqlite_file()
        return found is not None and found.resolve() == (self.state_dir / STACK_DATABASE).resolve()


class IndexerSettings(ServiceSettings):
    """The indexer's section (``cmir index``); its options override these."""

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


class ApiSettings(ServiceSettings):
    """The API's section and its production server's (``cmir serve``). Dictionaries are given as
    JSON (``CMIR_EXPLORER_TX_URLS='{"ethereum:sepolia": "..."}'``)."""

    explorer_tx_urls: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_TX_URLS),
        description="Per network (Ape's 'ecosystem:network'), a transaction URL template with {tx}.",
    )
    explorer_address_urls: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_ADDRESS_URLS),
        description="Per network, an address URL template with {address}.",
    )
    token_decimals: int | None = Field(
        default=None,
        ge=0,
        le=36,
        description="Decimals of the payment token (default: the deployment record's, else 6).",
    )
    token_symbol: str | None = Field(
        default=None,
        max_length=16,
        description="Symbol shown next to amounts (default: the token's own, from the deployment record, "
        "as the CLI shows it; else EUR).",
    )
    statement_timeout_ms: int = Field(
        default=3000, ge=50, description="Longest a single SQL statement may run (PostgreSQL and SQLite)."
    )
    rpc_timeout: float = Field(default=5.0, gt=0, description="Seconds before a chain read times out.")
    head_cache_seconds: float = Field(
        default=2.0, ge=0, description="How long the chain head read for /health is reused."
    )
    relay_enabled: bool = Field(
        default=True,
        description="Accept members' signed requests for the relayer (/api/v1/relay/*; off, or without a"
        " forwarder in the deployment record, they answer 503). `cmir relay` sends what is accepted.",
    )
    relay_daily_gas: int = Field(
        default=3_000_000, ge=0, description="Gas the relayer spends per member and UTC day, at most."
    )
    relay_daily_requests: int = Field(
        default=30, ge=0, description="Requests the relayer accepts per member and UTC day, at most."
    )
    relay_max_gas: int = Field(
        default=1_500_000, ge=21_000, description="Most gas one forwarded request may ask for (its `gas`)."
    )
    relay_max_deadline: int = Field(
        default=86_400,
        ge=60,
        description="Furthest a request's deadline may be, in seconds after the chain's clock.",
    )
    ess_metadata_max_bytes: int = Field(
        default=65_536, ge=256, le=1_048_576, description="Largest ESS metadata document the API stores."
    )
    public_url: str | None = Field(
        default=None,
        description="The API's public address (https://api.example.org) in the metadata URIs it gives"
        " (default: the address the request came to).",
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
    app_rpc_url: str | None = Field(
        default=None,
        description="JSON-RPC endpoint the members' app (/app/) gives browsers (default: rpc_url; set it"
        " when the API's own endpoint is private or holds a key).",
    )
    app_demo_wallet: bool = Field(
        default=False,
        description="Serve the demo wallet's accounts (anvil's public keys, from demo_accounts) to the"
        " members' app; refused unless the chain is a local dev chain (chain id 31337, or the node"
        " answers anvil_nodeInfo). `make up` turns it on.",
    )
    demo_accounts: Path = Field(
        default_factory=lambda: project_dir() / "deployments" / "demo-accounts.json",
        description="The demo's accounts (as `make up` writes them), read for the demo wallet.",
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

    @field_validator("explorer_tx_urls", "explorer_address_urls")
    @classmethod
    def _check_templates(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        placeholder = "{tx}" if info.field_name == "explorer_tx_urls" else "{address}"
        for network, template in value.items():
            if placeholder not in template:
                raise ValueError(f"explorer template of {network} lacks {placeholder}")
        return value


class StackSettings(CmirSettings):
    """``make up``'s section: the ports it serves on and the files it writes (it points the
    indexer and the API it starts at its own chain, database and record)."""

    anvil_port: int = Field(default=8545, ge=1, le=65535, description="Port of the stack's anvil.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the stack's API (as the API's).")
    metadata_port: int = Field(
        default=8001, ge=1, le=65535, description="Port serving the demo's ESS project metadata."
    )
    demo_accounts: Path = Field(
        default_factory=lambda: project_dir() / "deployments" / "demo-accounts.json",
        description="Where the demo writes its accounts (addresses, keys, keyfiles).",
    )
    demo: bool = Field(default=True, description="Seed the demo (CMIR_DEMO=0: deploy only).")

    def database_file(self) -> Path:
        """The stack's database, in its state folder."""
        return self.state_dir / STACK_DATABASE


class RelayerSettings(ServiceSettings):
    """The sender's section (``cmir relay``): it sends the requests the API accepted, with the
    operator's key (given to the command as a keyfile or an Ape account, never here)."""

    relay_poll_interval: float = Field(
        default=1.0, gt=0, description="Seconds between looks for accepted requests and receipts."
    )
    relay_receipt_timeout: float = Field(
        default=120.0, gt=0, description="Seconds a sent transaction may stay unmined before it is resent."
    )
    relay_max_attempts: int = Field(
        default=6, ge=1, description="Tries of a request whose sending keeps failing (RPC errors)."
    )
    relay_backoff_base: float = Field(default=1.0, ge=0, description="First delay after a failed try (s).")
    relay_backoff_max: float = Field(default=60.0, ge=0, description="Longest delay between tries (s).")
    relay_lease_seconds: float = Field(
        default=30.0, ge=2, description="How long the sender's lease lasts unless renewed (one sender)."
    )
    rpc_timeout: float = Field(default=15.0, gt=0, description="Seconds before an RPC request times out.")
