"""Chain reads over JSON-RPC: contract views at a given block (``eth_call`` with a block number),
the head, and a block's hash; batched in one HTTP request through the project's client
(`cmir.chain.rpc`, not retried: a request answers 503 at once rather than wait), decoded with
the deployment's ABIs."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cmir.api.errors import ChainReadError
from cmir.chain.abi import canonical_type
from cmir.chain.deployment import Deployment
from cmir.chain.errors import RpcError, RpcResponseError
from cmir.chain.rpc import RpcClient

#: Calls in one batch at the most: a page's reads go in one HTTP request.
BATCH_SIZE = 1_000


@dataclass(frozen=True)
class ViewCall:
    """A view function of a deployed contract, called with `args`; `key` names the result."""

    key: str
    role: str
    function: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class _Function:
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    output_names: tuple[str, ...]
    components: tuple[tuple[str, ...] | None, ...]


def _functions(deployment: Deployment) -> dict[tuple[str, str, int], _Function]:
    table: dict[tuple[str, str, int], _Function] = {}
    for role, contract in deployment.contracts.items():
        for item in contract.abi:
            if item.get("type") != "function" or item.get("stateMutability") not in ("view", "pure"):
                continue
            inputs = tuple(canonical_type(p) for p in item.get("inputs", []))
            signature = f"{item['name']}({','.join(inputs)})"
            outputs = item.get("outputs", [])
            table[(role, str(item["name"]), len(inputs))] = _Function(
                selector=keccak(text=signature)[:4],
                inputs=inputs,
                outputs=tuple(canonical_type(p) for p in outputs),
                output_names=tuple(str(p.get("name", "")) for p in outputs),
                components=tuple(
                    tuple(str(c["name"]) for c in p["components"]) if p["type"] == "tuple" else None
                    for p in outputs
                ),
            )
    return table


def _plain(value: Any, names: tuple[str, ...] | None) -> Any:
    if names is not None and isinstance(value, tuple):
        return {n: v for n, v in zip(names, value, strict=True)}
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    return value


class ChainReader:
    """Reads the deployment's contracts through `rpc_url`. Thread-safe (the client keeps a
    session per thread)."""

    def __init__(self, rpc_url: str, deployment: Deployment, timeout: float, head_ttl: float = 2.0) -> None:
        self.rpc_url = rpc_url
        self.deployment = deployment
        self._client = RpcClient(rpc_url, timeout=timeout, max_retries=0, batch_size=BATCH_SIZE)
        self._functions = _functions(deployment)
        self._head_ttl = head_ttl
        self._head: tuple[float, int] | None = None
        self._lock = threading.Lock()
        self._constants: dict[str, Any] = {}
        self._failed: dict[str, float] = {}

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def batch(self, requests: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Results of JSON-RPC `requests` sent in one batch; `ChainReadError` on any failure."""
        try:
            return self._client.batch(requests)
        except RpcResponseError as exc:
            raise ChainReadError(f"{exc.method} failed: {exc.rpc_message[:200]}") from None
        except RpcError as exc:  # the kind only: the message names the URL, which may hold a key
            raise ChainReadError(f"chain RPC unreachable: {type(exc).__name__}") from None

    def head(self) -> int:
        """The chain's latest block number (reused for `head_ttl` seconds)."""
        now = time.monotonic()
        with self._lock:
            if self._head is not None and now - self._head[0] < self._head_ttl:
                return self._head[1]
        (result,) = self.batch([("eth_blockNumber", [])])
        number = int(result, 16)
        with self._lock:
            self._head = (now, number)
        return number

    def _encode(self, call: ViewCall) -> tuple[_Function, str]:
        function = self._functions.get((call.role, call.function, len(call.args)))
        if function is None or call.role not in self.deployment.contracts:
            raise ChainReadError(f"the deployment has no view {call.role}.{call.function}")
        data = function.selector + abi_encode(list(function.inputs), list(call.args))
        return function, "0x" + data.hex()

    def read(self, block: int | str, calls: Sequence[ViewCall]) -> tuple[str | None, dict[str, Any]]:
        """(hash of `block`, {key: decoded result}) for `calls` at `block` (a number or "latest")."""
        tag = hex(block) if isinstance(block, int) else block
        encoded = [self._encode(c) for c in calls]
        requests: list[tuple[str, list[Any]]] = [("eth_getBlockByNumber", [tag, False])]
        for call, (_, data) in zip(calls, encoded, strict=True):
            address = self.deployment.contracts[call.role].address
            requests.append(("eth_call", [{"to": address, "data": data}, tag]))
        results = self.batch(requests)
        header = results[0]
        block_hash = header.get("hash") if isinstance(header, dict) else None
        values: dict[str, Any] = {}
        for call, (function, _), raw in zip(calls, encoded, results[1:], strict=True):
            try:
                decoded = abi_decode(list(function.outputs), bytes.fromhex(str(raw)[2:]))
            except Exception as exc:  # no code at the address, or an unexpected ABI
                raise ChainReadError(f"{call.role}.{call.function} did not decode: {exc}") from None
            plain = [_plain(v, names) for v, names in zip(decoded, function.components, strict=True)]
            values[call.key] = (
                plain[0] if len(plain) == 1 else dict(zip(function.output_names, plain, strict=True))
            )
        return block_hash, values

    def constant(self, call: ViewCall, retry_after: float = 30.0) -> Any | None:
        """An immutable view (read once); None while the chain cannot be read (retried after
        `retry_after` seconds)."""
        with self._lock:
            if call.key in self._constants:
                return self._constants[call.key]
            if time.monotonic() - self._failed.get(call.key, -1e12) < retry_after:
                return None
        try:
            _, values = self.read("latest", [call])
        except ChainReadError:
            with self._lock:
                self._failed[call.key] = time.monotonic()
            return None
        with self._lock:
            self._constants[call.key] = values[call.key]
        return values[call.key]
