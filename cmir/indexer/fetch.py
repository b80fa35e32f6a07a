"""Reading the chain: block headers, and logs over adaptive ``eth_getLogs`` ranges.

A batch is fetched as: the header of its last block, the logs of the range, then (in one
JSON-RPC batch) the headers of its first and last blocks and of every block holding a log. The
last block's hash must be the same before and after, and every log's block hash must match its
header: then the whole batch belongs to one chain (a block hash fixes all its ancestors).
Otherwise the chain moved while reading, and `ChainMovedError` asks the caller to look again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cmir.chain.errors import RpcResponseError, RpcResponseTooLargeError, RpcTimeoutError, RpcUnavailableError
from cmir.chain.rpc import RpcClient
from cmir.indexer.errors import ChainMovedError

log = logging.getLogger(__name__)

#: Words in provider errors meaning "ask for fewer blocks or fewer logs".
RANGE_ERROR_WORDS = (
    "range",
    "too many",
    "limit",
    "exceed",
    "too large",
    "response size",
    "more than",
    "timeout",
    "timed out",
    "query returned",
)


@dataclass(frozen=True)
class Header:
    """What the indexer keeps of a block header."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int

    @classmethod
    def from_rpc(cls, raw: dict[str, Any]) -> Header:
        """Parse an ``eth_getBlockByNumber`` result."""
        return cls(
            number=int(raw["number"], 16),
            hash=raw["hash"].lower(),
            parent_hash=raw["parentHash"].lower(),
            timestamp=int(raw["timestamp"], 16),
        )


@dataclass
class FetchedBatch:
    """Logs of blocks ``first..last`` and the headers they need."""

    first: int
    last: int
    logs: list[dict[str, Any]]
    headers: dict[int, Header]
    seconds: float
    unknown: int = 0  # logs no ABI of the deployment decodes (left out)


class RangeSizer:
    """The eth_getLogs range: halves on errors and timeouts, adapts to the events per batch
    (to bound memory), doubles while requests are fast and light."""

    def __init__(self, initial: int, maximum: int, target_events: int, fast_seconds: float = 2.0) -> None:
        self.maximum = maximum
        self.size = max(1, min(initial, maximum))
        self.target_events = target_events
        self.fast_seconds = fast_seconds

    def shrink(self) -> None:
        """Ask for half as many blocks next time."""
        self.size = max(1, self.size // 2)

    def observe(self, blocks: int, events: int, seconds: float) -> None:
        """Adapt after a successful request of `blocks` blocks that returned `events` logs."""
        if events > self.target_events:
            self.size = max(1, min(self.size, blocks * self.target_events // max(events, 1)))
        elif seconds < self.fast_seconds and events < self.target_events // 2 and blocks >= self.size:
            grow = 2 if events == 0 else max(1.0, min(2.0, self.target_events / (2 * events)))
            self.size = min(self.maximum, max(self.size + 1, int(self.size * grow)))


def is_range_error(exc: RpcResponseError) -> bool:
    """Whether a provider error means the request asked for too much."""
    text = exc.rpc_message.lower()
    return exc.code in (-32005, -32602, -32614) or any(word in text for word in RANGE_ERROR_WORDS)


class ChainSource:
    """The chain as the indexer reads it."""

    def __init__(
        self,
        rpc: RpcClient,
        addresses: Iterable[str],
        sizer: RangeSizer,
        *,
        max_failures: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        max_response_bytes: int | None = None,
    ) -> None:
        self.rpc = rpc
        self.max_response_bytes = max_response_bytes
        self.addresses = [a.lower() for a in addresses]
        self.sizer = sizer
        self.max_failures = max_failures
        self._sleep = sleep

    def chain_id(self) -> int:
        """The chain's id."""
        return int(self.rpc.call("eth_chainId"), 16)

    def head(self) -> int:
        """The latest block number."""
        return int(self.rpc.call("eth_blockNumber"), 16)

    def header(self, number: int) -> Header | None:
        """The canonical header at `number` (None beyond the head)."""
        raw = self.rpc.call("eth_getBlockByNumber", [hex(number), False])
        return Header.from_rpc(raw) if raw else None

    def headers(self, numbers: Iterable[int]) -> dict[int, Header]:
        """Canonical headers of `numbers`, in JSON-RPC batches; numbers beyond the head are left out."""
        wanted = sorted(set(numbers))
        results = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in wanted])
        return {n: Header.from_rpc(raw) for n, raw in zip(wanted, results, strict=True) if raw}

    def fetch(self, first: int, last_allowed: int) -> FetchedBatch:
        """Logs and headers of ``first..last`` with ``last <= last_allowed`` chosen by the sizer."""
        failures = 0
        while True:
            last = min(last_allowed, first + self.sizer.size - 1)
            end = self.header(last)
            if end is None:
                raise ChainMovedError(f"block {last} is no longer on the chain")
            started = time.monotonic()
            query = {"fromBlock": hex(first), "toBlock": hex(last), "address": self.addresses}
            # A one-block range cannot shrink: its response is taken whatever its size.
            cap = self.max_response_bytes if last > first else None
            try:
                logs = self.rpc.call("eth_getLogs", [query], retry_timeouts=False, max_bytes=cap)
            except RpcResponseTooLargeError as exc:
                failures = self._failed(failures, last - first + 1, str(exc), True)
                continue
            except RpcTimeoutError as exc:
                failures = self._failed(failures, last - first + 1, str(exc), True)
                continue
            except RpcResponseError as exc:
                # Range and size errors shrink the range; other errors are retried the same way,
                # a bounded number of times, since a smaller range never hurts.
                failures = self._failed(failures, last - first + 1, str(exc), is_range_error(exc))
                continue
            seconds = time.monotonic() - started
            if last > first and len(logs) > 2 * self.sizer.target_events:
                # Far more events than a batch should hold (memory): ask for a proportional range.
                self.sizer.size = max(1, (last - first + 1) * self.sizer.target_events // len(logs))
                del logs
                continue
            numbers = {first, last} | {int(entry["blockNumber"], 16) for entry in logs}
            headers = self.headers(numbers)
            if last not in headers or headers[last].hash != end.hash:
                raise ChainMovedError(f"block {last} changed while its range was read")
            for entry in logs:
                header = headers.get(int(entry["blockNumber"], 16))
                if header is None or entry["blockHash"].lower() != header.hash:
                    raise ChainMovedError(
                        f"a log of block {int(entry['blockNumber'], 16)} is from another fork"
                    )
            self.sizer.observe(last - first + 1, len(logs), seconds)
            return FetchedBatch(first, last, logs, headers, seconds)

    def _failed(self, failures: int, blocks: int, reason: str, too_much: bool) -> int:
        failures += 1
        if failures > self.max_failures and (blocks == 1 or not too_much):
            raise RpcUnavailableError(f"eth_getLogs over {blocks} block(s) keeps failing: {reason}")
        if failures > self.max_failures * 4:
            raise RpcUnavailableError(f"eth_getLogs keeps failing: {reason}")
        log.info("eth_getLogs over %d blocks failed (%s); asking for fewer", blocks, reason)
        self.sizer.shrink()
        self._sleep(self.rpc.backoff(min(failures - 1, 6)) if not too_much else 0.0)
        return failures
