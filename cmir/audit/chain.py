"""Raw chain access for the auditor: JSON-RPC over HTTP, ABI encoding and event decoding from the
ABIs in the deployment record. Nothing here comes from the indexer: the audit must not share its
code with what it checks."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import requests
from eth_abi.abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak


class AuditError(Exception):
    """The audit cannot run (unreachable RPC, bad record)."""


class Rpc:
    """A JSON-RPC endpoint, with retries and batches."""

    def __init__(self, url: str, timeout: float = 60.0, retries: int = 4) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.session = requests.Session()
        self._id = 0

    def _post(self, payload: Any) -> Any:
        delay = 0.5
        for attempt in range(self.retries + 1):
            try:
                response = self.session.post(self.url, json=payload, timeout=self.timeout)
                response.raise_for_status()
                return response.json()
            except (requests.RequestException, ValueError) as exc:
                if attempt == self.retries:
                    raise AuditError(f"RPC {self.url} failed: {exc}") from None
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def call(self, method: str, params: list[Any]) -> Any:
        """One request; an error reply raises AuditError."""
        self._id += 1
        reply = self._post({"jsonrpc": "2.0", "id": self._id, "method": method, "params": params})
        if "error" in reply:
            raise AuditError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return reply["result"]

    def batch(self, calls: list[tuple[str, list[Any]]], size: int = 100) -> list[Any]:
        """Several requests, answered in order."""
        results: list[Any] = []
        for start in range(0, len(calls), size):
            chunk = calls[start : start + size]
            payload = [
                {"jsonrpc": "2.0", "id": index, "method": method, "params": params}
                for index, (method, params) in enumerate(chunk)
            ]
            replies = self._post(payload)
            if not isinstance(replies, list):
                raise AuditError(f"RPC {self.url} does not answer batches: {replies}")
            by_id = {reply["id"]: reply for reply in replies}
            for index, (method, _) in enumerate(chunk):
                reply = by_id.get(index, {"error": {"message": "no reply"}})
                if "error" in reply:
                    raise AuditError(f"{method}: {reply['error'].get('message', reply['error'])}")
                results.append(reply["result"])
        return results


def canonical(entry: dict[str, Any]) -> str:
    """The canonical ABI type of an input or output (tuples spelled out)."""
    kind = str(entry["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(canonical(c) for c in entry.get("components", [])) + ")" + kind[5:]
    return kind


@lru_cache(maxsize=1 << 16)
def checksum(address: str) -> str:
    """An address in checksum form (cached: the same few addresses fill the logs)."""
    return to_checksum_address(address)


def _static(entry: dict[str, Any]) -> bool:
    """Whether a type is one 32-byte word, or a tuple of such types (decoded word by word)."""
    kind = str(entry["type"])
    if kind == "tuple":
        return all(_static(c) for c in entry["components"])
    return kind in ("address", "bool") or (kind.startswith(("uint", "int", "bytes")) and kind[-1].isdigit())


def _word(kind: str, word: bytes) -> Any:
    if kind == "address":
        return checksum("0x" + word[12:].hex())
    if kind.startswith("uint"):
        return int.from_bytes(word, "big")
    if kind.startswith("int"):
        return int.from_bytes(word, "big", signed=True)
    if kind == "bool":
        return word != bytes(32)
    return word[: int(kind[5:])]  # bytesN


def _decode_static(entry: dict[str, Any], data: bytes, at: int) -> tuple[Any, int]:
    """The value of a `_static` type at byte `at` of `data`, and where the next one starts."""
    if entry["type"] == "tuple":
        value: dict[str, Any] = {}
        for component in entry["components"]:
            value[component["name"]], at = _decode_static(component, data, at)
        return value, at
    if at + 32 > len(data):
        raise AuditError("a log's data is shorter than its event's ABI")
    return _word(str(entry["type"]), data[at : at + 32]), at + 32


def _named(entry: dict[str, Any], value: Any) -> Any:
    """A decoded value with tuple components as dicts by name."""
    kind = str(entry["type"])
    if kind == "tuple":
        return {c["name"]: _named(c, v) for c, v in zip(entry["components"], value, strict=True)}
    if kind.startswith("tuple["):
        inner = {**entry, "type": "tuple"}
        return [_named(inner, v) for v in value]
    if kind == "address":
        return checksum(value)
    if kind.startswith("address["):
        return [checksum(v) for v in value]
    return value


@dataclass(frozen=True)
class Event:
    """A decoded log."""

    contract: str
    name: str
    args: dict[str, Any]
    block: int
    log_index: int
    tx_hash: str
    address: str
    timestamp: int | None = None  # the block's, when the node gives it with the log

    @property
    def key(self) -> tuple[int, int]:
        """Its place in the chain."""
        return (self.block, self.log_index)


class Contract:
    """One deployed contract: its address and ABI, to call views and decode its events."""

    def __init__(self, role: str, address: str, abi: list[dict[str, Any]]) -> None:
        self.role = role
        self.address = to_checksum_address(address)
        self.functions = {e["name"]: e for e in abi if e.get("type") == "function"}
        self.events: dict[bytes, dict[str, Any]] = {}
        # By topic: the indexed inputs, the others, and whether the others are all static.
        self._layouts: dict[bytes, tuple[list[dict[str, Any]], list[dict[str, Any]], bool]] = {}
        for entry in abi:
            if entry.get("type") == "event" and not entry.get("anonymous"):
                signature = f"{entry['name']}({','.join(canonical(i) for i in entry['inputs'])})"
                topic = keccak(text=signature)
                self.events[topic] = entry
                plain = [i for i in entry["inputs"] if not i.get("indexed")]
                self._layouts[topic] = (
                    [i for i in entry["inputs"] if i.get("indexed")],
                    plain,
                    all(_static(i) for i in plain),
                )

    def topic(self, name: str) -> str:
        """topic0 of event `name`."""
        for topic, entry in self.events.items():
            if entry["name"] == name:
                return "0x" + topic.hex()
        raise AuditError(f"{self.role} has no event {name}")

    def encode_call(self, name: str, *args: Any) -> str:
        """Calldata of view `name`."""
        entry = self.functions.get(name)
        if entry is None:
            raise AuditError(f"{self.role} has no function {name} in the deployment's ABI")
        types = [canonical(i) for i in entry["inputs"]]
        selector = keccak(text=f"{name}({','.join(types)})")[:4]
        return "0x" + (selector + encode(types, list(args))).hex()

    def decode_result(self, name: str, data: str) -> Any:
        """The decoded outputs of view `name` (a single value, or a dict for a struct)."""
        entry = self.functions[name]
        outputs = entry["outputs"]
        if data in ("0x", ""):
            raise AuditError(
                f"{self.role} {self.address} returned nothing for {name}: no code at that block?"
            )
        try:
            values = decode([canonical(o) for o in outputs], bytes.fromhex(data[2:]))
        except (DecodingError, ValueError) as exc:
            raise AuditError(f"{self.role} {self.address} returned an undecodable {name}: {exc}") from None
        named = [_named(o, v) for o, v in zip(outputs, values, strict=True)]
        return named[0] if len(named) == 1 else named

    def decode_log(self, log: dict[str, Any]) -> Event | None:
        """The event of a raw log, or None if its topic is not in the ABI."""
        topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
        if not topics or topics[0] not in self.events:
            return None
        entry = self.events[topics[0]]
        indexed, plain, fast = self._layouts[topics[0]]
        args: dict[str, Any] = {}
        for item, raw in zip(indexed, topics[1:], strict=True):
            # A dynamic type or a tuple is indexed as its hash: kept as the raw topic.
            word = item["type"] != "tuple" and _static(item)
            args[item["name"]] = _decode_static(item, raw, 0)[0] if word else raw
        data = bytes.fromhex(log["data"][2:])
        if fast:  # most events: word by word, much faster than eth_abi
            at = 0
            for item in plain:
                args[item["name"]], at = _decode_static(item, data, at)
        else:
            values = decode([canonical(i) for i in plain], data)
            for item, value in zip(plain, values, strict=True):
                args[item["name"]] = _named(item, value)
        return Event(
            contract=self.role,
            name=entry["name"],
            args=args,
            block=int(log["blockNumber"], 16),
            log_index=int(log["logIndex"], 16),
            tx_hash=log["transactionHash"].lower(),
            address=checksum(log["address"]),
            timestamp=int(log["blockTimestamp"], 16) if log.get("blockTimestamp") else None,
        )


def fetch_logs(rpc: Rpc, contracts: list[Contract], start: int, end: int) -> list[Event]:
    """Every log of `contracts` in blocks start..end, decoded, in chain order (ranges adapt to
    what the endpoint accepts)."""
    by_address = {c.address.lower(): c for c in contracts}
    events: list[Event] = []
    step, block = 100_000, start
    while block <= end:
        last = min(end, block + step - 1)
        try:
            logs = rpc.call(
                "eth_getLogs",
                [{"fromBlock": hex(block), "toBlock": hex(last), "address": [c.address for c in contracts]}],
            )
        except AuditError:
            if step <= 10:
                raise
            step = max(10, step // 4)
            continue
        for log in logs:
            if log.get("removed"):
                continue
            contract = by_address.get(log["address"].lower())
            decoded = contract.decode_log(log) if contract else None
            if decoded is not None:
                events.append(decoded)
        block = last + 1
    events.sort(key=lambda e: e.key)
    return events


def with_timestamps(rpc: Rpc, events: list[Event]) -> list[Event]:
    """`events` with their blocks' timestamps: the nodes that do not give them with the logs
    are asked for the headers of those blocks, in batches."""
    missing = sorted({e.block for e in events if e.timestamp is None})
    if not missing:
        return events
    headers = rpc.batch([("eth_getBlockByNumber", [hex(block), False]) for block in missing])
    times = {block: int(header["timestamp"], 16) for block, header in zip(missing, headers, strict=True)}
    return [e if e.timestamp is not None else replace(e, timestamp=times[e.block]) for e in events]
