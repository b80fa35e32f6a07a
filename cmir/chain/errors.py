"""The errors every layer may raise on purpose, under one base: `CmirError` (the CLI prints any of
them on one line and exits non-zero). Each layer derives its own from these (`IndexerError`,
the API's `ApiError`, the deployer's `DeploymentError`)."""

from __future__ import annotations


class CmirError(Exception):
    """Base class of the errors raised on purpose."""


class ConfigurationError(CmirError):
    """A setting, a deployment record or a database URL is missing or invalid."""


class DeploymentMismatchError(ConfigurationError):
    """The database already mirrors another chain or another deployment."""


class DatabaseError(CmirError):
    """The database cannot be opened, migrated or written."""


class RpcError(CmirError):
    """The JSON-RPC endpoint failed."""


class RpcUnavailableError(RpcError):
    """The endpoint kept failing (connection errors, timeouts, HTTP 429/5xx) past the retry budget."""


class RpcTimeoutError(RpcError):
    """A request timed out (raised only where the caller handles timeouts itself)."""


class RpcResponseTooLargeError(RpcError):
    """A response grew past the size the caller accepts (it was not read to the end)."""


class RpcResponseError(RpcError):
    """The endpoint answered with a JSON-RPC error object (its ``data``, if any: a revert's bytes)."""

    def __init__(self, code: int | None, message: str, method: str = "", data: object = None) -> None:
        self.code = code
        self.rpc_message = message
        self.method = method
        self.data = data
        super().__init__(f"{method or 'RPC'} failed: {message} (code {code})")
