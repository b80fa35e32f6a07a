"""Raw chain access for the auditor: JSON-RPC over HTTP, ABI encoding and event decoding from the
ABIs in the deployment record. Nothing here comes from the indexer: the audit must not share its
code with what it checks.

Fast enough for a network of thousands of members: logs are fetched over block ranges two at a
time while the previous range is decoded; an event's data is read word by word from its hex
text by readers compiled once per event from its ABI (`eth_abi` only for dynamic types); views
go through Multicall3 (`cmir.audit.multicall`) hundreds per ``eth_call`` when the chain has it or
the node accepts it as a state override, else as plain JSON-RPC batches, several in flight.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise
from typing import Any

import urllib3
from eth_abi.abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cmir.audit import multicall
from cmir.audit.logcodec import CodecError, Decoder, Reader, compile_event, compile_reader, static_size

#: Requests in flight at once (the node works on one while the auditor reads another).
IN_FLIGHT = 3
#: Calls per Multicall3 ``aggregate3`` (a view costs at most a few tens of thousands of gas).
PER_MULTICALL = 250
#: Environment switch: ``0`` plain batches only, ``override`` Multicall3 as a state override.
MULTICALL_ENV = "CMIR_AUDIT_MULTICALL"


_HEADERS = {"Content-Type": "application/json"}


class AuditError(Exception):
    """The audit cannot run (unreachable RPC, bad record)."""


class Rpc:
    """A JSON-RPC endpoint, with retries and batches (one HTTP session per thread)."""

    def __init__(self, url: str, timeout: float = 60.0, retries: int = 4) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        # urllib3 reads a large answer (hundreds of MB of logs) in one go, and its pool is shared
        # by the threads that keep requests in flight.
        self.pool = urllib3.PoolManager(maxsize=IN_FLIGHT + 1, retries=False)
        self._id = 0
        self._multicall: dict[int, str] = {}  # block -> "deployed", "override" or "plain"

    def _post(self, payload: Any) -> Any:
        body = json.dumps(payload).encode()
        delay = 0.5
        for attempt in range(self.retries + 1):
            try:
                response = self.pool.request(
                    "POST", self.url, body=body, headers=_HEADERS, timeout=self.timeout
                )
                if response.status >= 400:
                    raise AuditError(f"HTTP {response.status}: {response.data[:200]!r}")
                return json.loads(response.data)
            except (urllib3.exceptions.HTTPError, AuditError, ValueError) as exc:
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

    def _chunk(self, chunk: list[tuple[str, list[Any]]]) -> list[Any]:
        payload = [
            {"jsonrpc": "2.0", "id": index, "method": method, "params": params}
            for index, (method, params) in enumerate(chunk)
        ]
        replies = self._post(payload)
        if not isinstance(replies, list):
            raise AuditError(f"RPC {self.url} does not answer batches: {replies}")
        by_id = {reply["id"]: reply for reply in replies}
        results = []
        for index, (method, _) in enumerate(chunk):
            reply = by_id.get(index, {"error": {"message": "no reply"}})
            if "error" in reply:
                raise AuditError(f"{method}: {reply['error'].get('message', reply['error'])}")
            results.append(reply["result"])
        return results

    def batch(self, calls: list[tuple[str, list[Any]]], size: int = 100) -> list[Any]:
        """Several requests, answered in order (batches of `size`, a few in flight)."""
        chunks = [calls[start : start + size] for start in range(0, len(calls), size)]
        if len(chunks) <= 1:
            return self._chunk(chunks[0]) if chunks else []
        results: list[Any] = []
        with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            for answers in pool.map(self._chunk, chunks):
                results += answers
        return results

    # ---------------------------------------------------------------------------- views

    def multicall_mode(self, block: int) -> str:
        """How views are read at `block`: ``deployed`` (Multicall3 is on chain with its published
        code), ``override`` (the node runs it as a state override) or ``plain`` (batches)."""
        mode = self._multicall.get(block)
        if mode is not None:
            return mode
        wanted = os.environ.get(MULTICALL_ENV, "auto").lower()
        mode = "plain"
        if wanted not in ("0", "off", "plain", "no"):
            try:
                code = self.call("eth_getCode", [multicall.ADDRESS, hex(block)])
            except AuditError:
                code = "0x"
            if wanted != "override" and "0x" + keccak(hexstr=code).hex() == multicall.CODE_HASH:
                mode = "deployed"
            else:
                try:
                    probe = [("eth_call", [multicall.aggregate_call([]), hex(block), multicall.OVERRIDE])]
                    if multicall.aggregate_results(self._chunk(probe)[0]) == []:
                        mode = "override"
                except (AuditError, ValueError):
                    pass
        self._multicall[block] = mode
        return mode

    def eth_calls(
        self, calls: list[tuple[str, str]], block: int, advance: Callable[[int], None] | None = None
    ) -> list[str]:
        """The return data of ``eth_call`` (to, calldata) for each of `calls` at `block`, in order;
        a call that reverts raises AuditError. `advance(n)` is told as answers come."""
        mode = self.multicall_mode(block) if calls else "plain"
        if mode == "plain":
            return self._plain_calls(calls, block, advance)
        groups = [calls[start : start + PER_MULTICALL] for start in range(0, len(calls), PER_MULTICALL)]
        extra = [multicall.OVERRIDE] if mode == "override" else []

        def run(group: list[tuple[str, str]]) -> list[str]:
            try:
                answer = self._chunk([("eth_call", [multicall.aggregate_call(group), hex(block), *extra])])[0]
                results = multicall.aggregate_results(answer)
            except (AuditError, ValueError):  # too much gas for this node, say: batches from now on
                self._multicall[block] = "plain"
                return self._plain_calls(group, block, None)
            out = []
            for (to, data), (ok, returned) in zip(group, results, strict=True):
                if not ok:
                    raise AuditError(f"eth_call: execution reverted: {to} {data[:10]} ({returned[:74]})")
                out.append(returned)
            return out

        results: list[str] = []
        with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            for group, answers in zip(groups, pool.map(run, groups), strict=True):
                results += answers
                if advance is not None:
                    advance(len(group))
        return results

    def _plain_calls(
        self, calls: list[tuple[str, str]], block: int, advance: Callable[[int], None] | None
    ) -> list[str]:
        tag = hex(block)
        chunks = [calls[start : start + 200] for start in range(0, len(calls), 200)]

        def run(chunk: list[tuple[str, str]]) -> list[Any]:
            return self._chunk([("eth_call", [{"to": to, "data": data}, tag]) for to, data in chunk])

        results: list[str] = []
        with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            for chunk, answers in zip(chunks, pool.map(run, chunks), strict=True):
                results += answers
                if advance is not None:
                    advance(len(chunk))
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
    return static_size(entry) is not None


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


@dataclass(frozen=True)
class _Layout:
    """How to decode one event: a generated decoder (`logcodec`), or eth_abi's for its data
    when some input needs it (then `indexed` are its indexed inputs, `plain` the others)."""

    name: str
    decoder: Decoder | None
    indexed: tuple[dict[str, Any], ...]
    plain: tuple[dict[str, Any], ...]
    types: tuple[str, ...]


@dataclass(frozen=True)
class _Function:
    """How to call one view: its selector, input types (None: encoded by eth_abi), and how its
    outputs are read (None: by eth_abi)."""

    selector: str
    types: tuple[str, ...]
    words: tuple[str, ...] | None  # the kind of each input, when each is one word
    outputs: tuple[tuple[Reader, int], ...] | None
    names: tuple[str, ...]


def _encode_word(kind: str, value: Any) -> str:
    if kind == "address":
        text = str(value)[2:].lower()
        if len(text) != 40:
            raise AuditError(f"not an address: {value}")
        return text.rjust(64, "0")
    if kind == "bool":
        return f"{int(bool(value)):064x}"
    if kind.startswith("bytes"):
        raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
        return raw.hex().ljust(64, "0")
    number = int(value)
    if number < 0:
        number += 1 << 256
    return f"{number:064x}"


class Contract:
    """One deployed contract: its address and ABI, to call views and decode its events."""

    def __init__(self, role: str, address: str, abi: list[dict[str, Any]]) -> None:
        self.role = role
        self.address: str = to_checksum_address(address)
        self.functions = {e["name"]: e for e in abi if e.get("type") == "function"}
        self.events: dict[bytes, dict[str, Any]] = {}
        self._layouts: dict[str, _Layout] = {}  # by topic0 in lower-case hex
        self._calls: dict[str, _Function] = {}
        for entry in abi:
            if entry.get("type") == "event" and not entry.get("anonymous"):
                signature = f"{entry['name']}({','.join(canonical(i) for i in entry['inputs'])})"
                topic = keccak(text=signature)
                self.events[topic] = entry
                self._layouts["0x" + topic.hex()] = self._layout(entry)

    @staticmethod
    def _layout(entry: dict[str, Any]) -> _Layout:
        plain = tuple(i for i in entry["inputs"] if not i.get("indexed"))
        return _Layout(
            str(entry["name"]),
            compile_event(entry),
            tuple(i for i in entry["inputs"] if i.get("indexed")),
            plain,
            tuple(canonical(i) for i in plain),
        )

    def topic(self, name: str) -> str:
        """topic0 of event `name`."""
        for topic, entry in self.events.items():
            if entry["name"] == name:
                return "0x" + topic.hex()
        raise AuditError(f"{self.role} has no event {name}")

    def _function(self, name: str) -> _Function:
        found = self._calls.get(name)
        if found is not None:
            return found
        entry = self.functions.get(name)
        if entry is None:
            raise AuditError(f"{self.role} has no function {name} in the deployment's ABI")
        types = tuple(canonical(i) for i in entry["inputs"])
        kinds = [str(i["type"]) for i in entry["inputs"]]
        one_word = all(k in ("address", "bool") or (k[-1:].isdigit() and "[" not in k) for k in kinds)
        outputs = [compile_reader(o) for o in entry["outputs"]]
        found = _Function(
            selector=keccak(text=f"{name}({','.join(types)})")[:4].hex(),
            types=types,
            words=tuple(kinds) if one_word else None,
            outputs=tuple(o for o in outputs if o is not None) if outputs and all(outputs) else None,
            names=tuple(str(o.get("name", "")) for o in entry["outputs"]),
        )
        self._calls[name] = found
        return found

    def encode_call(self, name: str, *args: Any) -> str:
        """Calldata of view `name`."""
        function = self._function(name)
        if function.words is not None and len(args) == len(function.words):
            words = (_encode_word(kind, arg) for kind, arg in zip(function.words, args, strict=True))
            return "0x" + function.selector + "".join(words)
        return "0x" + function.selector + encode(list(function.types), list(args)).hex()

    def decode_result(self, name: str, data: str) -> Any:
        """The decoded outputs of view `name` (a single value, or a dict for a struct)."""
        entry = self.functions[name]
        if data in ("0x", ""):
            raise AuditError(
                f"{self.role} {self.address} returned nothing for {name}: no code at that block?"
            )
        function = self._function(name)
        if function.outputs is not None:
            needed = sum(size for _, size in function.outputs)
            if len(data) - 2 >= needed:
                values, at = [], 2
                for reader, size in function.outputs:
                    values.append(reader(data, at))
                    at += size
                return values[0] if len(values) == 1 else values
        outputs = entry["outputs"]
        try:
            decoded = decode([canonical(o) for o in outputs], bytes.fromhex(data[2:]))
        except (DecodingError, ValueError) as exc:
            raise AuditError(f"{self.role} {self.address} returned an undecodable {name}: {exc}") from None
        named = [_named(o, v) for o, v in zip(outputs, decoded, strict=True)]
        return named[0] if len(named) == 1 else named

    def decode_log(self, log: dict[str, Any]) -> Event | None:
        """The event of a raw log, or None if its topic is not in the ABI."""
        topics = log["topics"]
        layout = self._layouts.get(topics[0].lower()) if topics else None
        if layout is None:
            return None
        try:
            if layout.decoder is not None:  # most events: straight from the hex text
                args = layout.decoder(topics, log["data"])
            else:
                args = self._slow_args(layout, topics, log["data"])
        except (CodecError, DecodingError, ValueError) as exc:
            raise AuditError(
                f"an undecodable {layout.name} log in tx {log.get('transactionHash')}: {exc}"
            ) from None
        stamp = log.get("blockTimestamp")
        return Event(
            self.role,
            layout.name,
            args,
            int(log["blockNumber"], 16),
            int(log["logIndex"], 16),
            log["transactionHash"].lower(),
            checksum(log["address"]),
            int(stamp, 16) if stamp else None,
        )

    @staticmethod
    def _slow_args(layout: _Layout, topics: list[str], data: str) -> dict[str, Any]:
        """An event's arguments through eth_abi (inputs the generated decoders do not read)."""
        if len(topics) != len(layout.indexed) + 1:
            raise CodecError(f"{len(topics) - 1} indexed values, not the ABI count")
        args: dict[str, Any] = {}
        for item, topic in zip(layout.indexed, topics[1:], strict=True):
            size = static_size(item) if item["type"] != "tuple" else None
            reader = compile_reader(item) if size is not None else None
            args[item["name"]] = reader[0](topic, 2) if reader else bytes.fromhex(topic[2:])
        values = decode(list(layout.types), bytes.fromhex(data[2:]))
        for item, value in zip(layout.plain, values, strict=True):
            args[item["name"]] = _named(item, value)
        return args


def _ranges(start: int, end: int, pieces: int = 24, most: int = 100_000) -> list[tuple[int, int]]:
    """`start..end` in about `pieces` ranges of at most `most` blocks."""
    if end < start:
        return []
    step = max(1, min(most, -(-(end - start + 1) // pieces)))
    return [(first, min(end, first + step - 1)) for first in range(start, end + 1, step)]


class _Window:
    """The widest eth_getLogs range (blocks) to ask for: it narrows when the endpoint refuses one
    (too many blocks or logs), for the ranges after it too."""

    def __init__(self, most: int) -> None:
        self.most = most


def _get_logs(
    rpc: Rpc, addresses: Sequence[str], first: int, last: int, window: _Window
) -> list[dict[str, Any]]:
    """The logs of `addresses` in `first..last`, in ranges the endpoint accepts."""
    if last - first + 1 > window.most:
        logs: list[dict[str, Any]] = []
        for start in range(first, last + 1, window.most):
            logs += _get_logs(rpc, addresses, start, min(last, start + window.most - 1), window)
        return logs
    try:
        answer: list[dict[str, Any]] = rpc.call(
            "eth_getLogs", [{"fromBlock": hex(first), "toBlock": hex(last), "address": list(addresses)}]
        )
        return answer
    except AuditError:
        if last - first < 10:
            raise
        window.most = max(10, min(window.most, (last - first + 1) // 4))
    return _get_logs(rpc, addresses, first, last, window)


def _prefetched(
    rpc: Rpc, addresses: Sequence[str], spans: list[tuple[int, int]], ahead: int = 2
) -> Iterator[list[dict[str, Any]]]:
    """The logs of each span in order, the next `ahead` fetched while the caller reads one (no
    more: a fast node must not fill the memory with logs not yet read)."""
    window = _Window(max((last - first + 1 for first, last in spans), default=1))
    with ThreadPoolExecutor(max_workers=ahead) as pool:
        pending: deque[Future[list[dict[str, Any]]]] = deque()
        for span in spans:
            pending.append(pool.submit(_get_logs, rpc, addresses, *span, window))
            if len(pending) > ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def fetch_logs(rpc: Rpc, contracts: list[Contract], start: int, end: int) -> list[Event]:
    """Every log of `contracts` in blocks start..end, decoded, in chain order (a few ranges in
    flight while one is decoded; a range the endpoint refuses is split)."""
    by_address = {c.address.lower(): c for c in contracts}
    addresses = [c.address for c in contracts]
    events: list[Event] = []

    for logs in _prefetched(rpc, addresses, _ranges(start, end)):
        for log in logs:
            if log.get("removed"):
                continue
            contract = by_address.get(log["address"].lower())
            decoded = contract.decode_log(log) if contract else None
            if decoded is not None:
                events.append(decoded)
    if any(a.key > b.key for a, b in pairwise(events)):
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
