"""The indexer's exceptions: every failure it reports on purpose is an `IndexerError`."""

from __future__ import annotations


class IndexerError(Exception):
    """Base class of the errors the indexer raises on purpose (the CLI prints them on one line)."""


class ConfigurationError(IndexerError):
    """A setting, a deployment record or a database URL is missing or invalid."""


class DeploymentMismatchError(ConfigurationError):
    """The database already mirrors another chain or another deployment."""


class RpcError(IndexerError):
    """The JSON-RPC endpoint failed."""


class RpcUnavailableError(RpcError):
    """The endpoint kept failing (connection errors, timeouts, HTTP 429/5xx) past the retry budget."""


class RpcTimeoutError(RpcError):
    """A request timed out (raised only where the caller handles timeouts itself)."""


class RpcResponseTooLargeError(RpcError):
    """A response grew past the size the caller accepts (it was not read to the end)."""


class RpcResponseError(RpcError):
    """The endpoint answered with a JSON-RPC error object."""

    def __init__(self, code: int | None, message: str, method: str = "") -> None:
        self.code = code
        self.rpc_message = message
        self.method = method
        super().__init__(f"{method or 'RPC'} failed: {message} (code {code})")


class ChainMovedError(IndexerError):
    """The chain changed while a batch was being fetched; the batch is discarded and fetched again."""


class ReorgTooDeepError(IndexerError):
    """A reorganisation reaches below the kept window of block hashes and undo images."""


class ProjectionError(IndexerError):
    """An event cannot be applied to the projections (the mirror would diverge from the chain)."""


class DatabaseError(IndexerError):
    """The database cannot be opened, migrated or written."""
