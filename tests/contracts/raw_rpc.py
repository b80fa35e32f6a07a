"""Raw JSON-RPC and ABI helpers shared by the stateful tests (test_invariants.py,
test_governance_invariants.py): they read hundreds of views per step, much faster this way than
through Ape's abstractions."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import requests
from eth_utils.crypto import keccak


class RpcError(Exception):
    """A JSON-RPC error answer."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", str(error)))
        self.error = error

    @property
    def revert_data(self) -> str | None:
        """The revert data (0x-hex) carried by an "execution reverted" error, if any."""
        data = self.error.get("data")
        if isinstance(data, dict):
            data = data.get("data")
        return data.lower() if isinstance(data, str) and data.startswith("0x") else None


class Rpc:
    """Minimal JSON-RPC client over one HTTP session (much faster than Ape's abstractions)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy look-up in the environment on every request

    def request(self, method: str, params: list[Any]) -> Any:
        """Call `method`; raise RpcError on an error answer."""
        body = self._session.post(
            self._url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=120
        ).json()
        if "error" in body:
            raise RpcError(body["error"])
        return body["result"]

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Several calls in one HTTP round trip; results in order."""
        if not calls:
            return []
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        body = self._session.post(self._url, json=payload, timeout=120).json()
        by_id = {item["id"]: item for item in body}
        results = []
        for i in range(len(calls)):
            item = by_id[i]
            if "error" in item:
                raise RpcError(item["error"])
            results.append(item["result"])
        return results


def split_types(inner: str) -> list[str]:
    """Top-level comma-separated ABI types of a signature's argument list."""
    types: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(inner):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            types.append(inner[start:i])
            start = i + 1
    if inner[start:]:
        types.append(inner[start:])
    return types


@cache
def signature_types(signature: str) -> tuple[bytes, tuple[str, ...]]:
    """Selector and argument types of `name(type,...)`."""
    inner = signature[signature.index("(") + 1 : -1]
    return keccak(text=signature)[:4], tuple(split_types(inner))
