"""Fetching and decoding the next batches while the current one is written.

`ThreadPrefetcher` overlaps the RPC's latency with the writer. `ProcessPrefetcher` (the default
on Linux) also takes decoding off the writer's CPU: a forked child fetches and decodes, and
streams compact tuples through a pipe, whose small buffer bounds how far it runs ahead. Either
way batches arrive in order, and errors arrive in place of the batch that failed.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Iterator
from json import dumps
from multiprocessing.connection import Connection
from typing import Any, Protocol

from cmir.chain.abi import AbiRegistry
from cmir.chain.errors import CmirError, RpcError, RpcUnavailableError
from cmir.indexer.errors import ChainMovedError, IndexerError, ReorgTooDeepError
from cmir.indexer.events import Event, decode_logs
from cmir.indexer.fetch import ChainSource, FetchedBatch, Header

log = logging.getLogger(__name__)

Item = tuple[FetchedBatch, list[Event]]
_DONE = object()
_ERRORS: dict[str, type[CmirError]] = {
    cls.__name__: cls
    for cls in (ChainMovedError, RpcUnavailableError, RpcError, ReorgTooDeepError, IndexerError)
}


class Prefetcher(Protocol):
    """Batches ``first..target`` in order."""

    def get(self) -> Item | None:
        """The next batch, or None when the target is reached; raises the fetcher's errors."""

    def close(self) -> None:
        """Stop fetching."""


def _batches(
    source: ChainSource, abi: AbiRegistry, first: int, target: int, window_start: int
) -> Iterator[Item]:
    """Fetch and decode batch after batch up to `target`; batches stop at `window_start` so that
    those in the reorg window are written on their own, with undo images."""
    while first <= target:
        limit = target
        if first <= window_start < target:
            limit = window_start
        batch = source.fetch(first, limit)
        times = {n: h.timestamp for n, h in batch.headers.items()}
        events, batch.unknown = decode_logs(abi, abi.deployment.chain_id, batch.logs, times)
        batch.logs = []  # decoded: free the JSON
        yield batch, events
        first = batch.last + 1


class ThreadPrefetcher:
    """A thread at most `depth` batches ahead of the writer."""

    def __init__(
        self,
        source: ChainSource,
        abi: AbiRegistry,
        first: int,
        target: int,
        window_start: int,
        depth: int = 2,
    ) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        args = (source, abi, first, target, window_start)
        self._thread = threading.Thread(target=self._run, args=args, name="cmir-prefetch", daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source: ChainSource, abi: AbiRegistry, first: int, target: int, window_start: int) -> None:
        try:
            for item in _batches(source, abi, first, target, window_start):
                if not self._put(item):
                    return
            self._put(_DONE)
        except BaseException as exc:  # handed to the writer, which raises it
            self._put(exc)

    def get(self) -> Item | None:
        """The next batch (None at the end); re-raises the fetcher's error."""
        item = self._queue.get()
        if item is _DONE:
            return None
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get_nowait()
            except queue.Empty:
                self._thread.join(0.05)


def _die_with_parent() -> None:
    """Linux: have the kernel kill this process when its parent dies (even by SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _child(
    channel: Connection, source: ChainSource, abi: AbiRegistry, first: int, target: int, window_start: int
) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the writer's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the writer's handler: terminate() ends us
    source.rpc = source.rpc.fresh()  # never share the parent's HTTP connections
    try:
        for batch, events in _batches(source, abi, first, target, window_start):
            headers = [(h.number, h.hash, h.parent_hash, h.timestamp) for h in batch.headers.values()]
            rows = [
                (
                    e.block_number,
                    e.block_hash,
                    e.block_time,
                    e.tx_hash,
                    e.tx_index,
                    e.log_index,
                    e.contract,
                    e.address,
                    e.name,
                    e.args,
                    dumps(e.args),  # the raw log's JSON, made here rather than in the writer
                )
                for e in events
            ]
            channel.send(("batch", batch.first, batch.last, headers, rows, batch.unknown, source.sizer.size))
        channel.send(("done",))
    except BrokenPipeError:
        return
    except BaseException as exc:
        with contextlib.suppress(BrokenPipeError, OSError):
            channel.send(("error", type(exc).__name__, str(exc)))
    finally:
        channel.close()


class ProcessPrefetcher:
    """A forked child that fetches and decodes; the pipe's buffer bounds how far ahead it runs."""

    def __init__(
        self, source: ChainSource, abi: AbiRegistry, first: int, target: int, window_start: int
    ) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._source = source
        self._chain_id = abi.deployment.chain_id
        self._process = context.Process(
            target=_child,
            args=(send, source, abi, first, target, window_start),
            name="cmir-prefetch",
            daemon=True,
        )
        self._process.start()
        send.close()

    def get(self) -> Item | None:
        """The next batch (None at the end); raises the child's error."""
        try:
            message: tuple[Any, ...] = self._receive.recv()
        except EOFError:
            raise IndexerError("the prefetch process ended unexpectedly") from None
        kind = message[0]
        if kind == "done":
            return None
        if kind == "error":
            raise _ERRORS.get(message[1], IndexerError)(message[2])
        _, first, last, headers, rows, unknown, size = message
        self._source.sizer.size = size
        chain = self._chain_id
        events = [Event(chain, *row) for row in rows]
        batch = FetchedBatch(first, last, [], {h[0]: Header(*h) for h in headers}, 0.0, unknown)
        return batch, events

    def close(self) -> None:
        """Stop the child (our own process, by its pid) and reap it."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._receive.close()


def open_prefetcher(
    mode: str, source: ChainSource, abi: AbiRegistry, first: int, target: int, window_start: int
) -> Prefetcher:
    """A prefetcher of `mode` ("process" where fork exists, else "thread")."""
    if mode == "process" and hasattr(os, "fork"):
        return ProcessPrefetcher(source, abi, first, target, window_start)
    return ThreadPrefetcher(source, abi, first, target, window_start)
