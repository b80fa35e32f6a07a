"""The API's caches. Everything the API answers is a function of the indexed block, so what was
computed for one checkpoint is kept until the indexer moves it:

- `AggregateCache`: a small LRU of aggregates keyed by the indexed block (a figure is computed
  once per checkpoint and process; concurrent misses of one key wait for a single computation);
- `ResponseCacheMiddleware`: an ASGI middleware in front of the routes. A 200 response to a GET
  is kept per (path, query, checkpoint) and served again until the checkpoint moves. The
  checkpoint itself is re-read at most every `Settings.checkpoint_ttl` seconds
  (`CheckpointClock`): a response may trail a new indexed block by that long. ``/health`` (live
  chain head) and the audit report are never cached. Memory is bounded (LRU by bytes). With
  several server processes, a second level is shared by all of them (`SharedStore`, a SQLite
  file the supervisor creates): a page one process computed is served by the others, so each
  page is computed once per checkpoint rather than once per process. A client that accepts gzip
  gets the cached answer compressed, and the compressed copy is kept beside it: each answer is
  compressed once per checkpoint and process, not once per download."""

from __future__ import annotations

import asyncio
import functools
import gzip
import hashlib
import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cmir.store import Checkpoint

T = TypeVar("T")
log = logging.getLogger(__name__)

CACHED_PREFIX = "/api/v1/"
#: Not a function of the indexed block: the health check, and the audit report (a file the
#: auditor rewrites whenever it runs).
NEVER = ("/api/v1/health", "/api/v1/audit", "/api/v1/audit/report.html")
#: Nor is anything of the relayer (its requests' statuses change as the sender works).
NEVER_UNDER = ("/api/v1/relay",)
MAX_ENTRY = 1 << 20
#: Below this, gzip's header and the Content-Encoding line outweigh the saving.
GZIP_MINIMUM_SIZE = 1024
#: Compressed once per cached answer, so a better ratio than the per-response level is worth it.
GZIP_LEVEL = 6
VARY = (b"vary", b"Accept-Encoding")


def accepts_gzip(scope: Scope) -> bool:
    """Whether the request says it accepts gzip (as Starlette's `GZipMiddleware` reads
    Accept-Encoding)."""
    return any(name == b"accept-encoding" and b"gzip" in value for name, value in scope["headers"])


class AggregateCache:
    """Thread-safe LRU with single-flight computation per key."""

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of `key`, computed by `compute` on a miss."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]  # type: ignore[no-any-return]
            flight = self._computing.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self._entries:
                    self._values.popitem(last=False)
                self._computing.pop(key, None)
            return value

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._values.clear()


def _checkpoint(connection: Connection, chain_id: int) -> Any:
    table = Checkpoint.__table__
    query = select(table.c.block_number, table.c.block_hash).where(table.c.chain_id == chain_id)
    return connection.execute(query).first()


class CheckpointClock:
    """The deployment's (block, hash), re-read from the database at most every `ttl` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._value: tuple[int, str | None] | None = None
        self._read_at = -1e18
        self._lock: asyncio.Lock | None = None

    async def current(self, state: Any) -> tuple[int, str | None] | None:
        """The checkpoint, or None when it cannot be read (nothing is cached then)."""
        if time.monotonic() - self._read_at < self.ttl:
            return self._value
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if time.monotonic() - self._read_at < self.ttl:
                return self._value
            try:
                row = await state.database.run(functools.partial(_checkpoint, chain_id=state.ctx.chain_id))
            except Exception:  # the route will report the failure itself
                row = None
            self._value = (int(row.block_number), row.block_hash) if row is not None else None
            self._read_at = time.monotonic()
            return self._value


class ResponseCache:
    """LRU of response bodies, bounded in bytes (their gzip copies included)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[Any, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self.compressed: dict[Any, tuple[list[tuple[bytes, bytes]], bytes]] = {}

    def get(self, key: Any) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """A cached (headers, body)."""
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: Any, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Keep a response, evicting the least recently used beyond the bound."""
        if len(body) > MAX_ENTRY or key in self.entries:
            return
        self.entries[key] = (headers, body)
        self.size += len(body)
        self._evict()

    def gzipped(self, key: Any) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """The cached response of `key` compressed (computed on first use, then kept while the
        response is), or None when it is not cached."""
        found = self.compressed.get(key)
        if found is not None:
            return found
        entry = self.entries.get(key)
        if entry is None:
            return None
        headers, body = entry
        packed = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        kept = [(name, value) for name, value in headers if name.lower() != b"content-length"]
        found = (
            [*kept, (b"content-encoding", b"gzip"), (b"content-length", str(len(packed)).encode()), VARY],
            packed,
        )
        self.compressed[key] = found
        self.size += len(packed)
        self._evict()
        return self.compressed.get(key)

    def _evict(self) -> None:
        while self.size > self.max_bytes and self.entries:
            old_key, (_, old) = self.entries.popitem(last=False)
            self.size -= len(old)
            packed = self.compressed.pop(old_key, None)
            if packed is not None:
                self.size -= len(packed[1])


Headers = list[tuple[bytes, bytes]]


def _encode_headers(headers: Headers) -> bytes:
    return b"\r\n".join(name + b":" + value for name, value in headers)


def _decode_headers(raw: bytes) -> Headers:
    pairs = []
    for line in raw.split(b"\r\n") if raw else []:
        name, _, value = line.partition(b":")
        pairs.append((name, value))
    return pairs


class SharedStore:
    """Responses shared between the server's processes, in a SQLite file (WAL, no fsync: the
    file is a cache, removed with the server). A lookup by key costs about 25 µs. Writes are
    batched: `add` keeps a response and `flush` (at most `FLUSH_AFTER` seconds later, or once
    `BATCH` are waiting) writes them in one transaction, which halves their cost. Bounded: the
    entries of other checkpoints are dropped when the checkpoint moves, and the oldest half when
    the bodies pass `max_bytes` (a running total kept in the file). Any SQLite error other than
    a busy lock turns the store off for this process: the API keeps its own cache."""

    BATCH = 16
    FLUSH_AFTER = 0.05

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.checkpoint: str | None = None
        self.pending: list[tuple[bytes, str, int, bytes, bytes]] = []
        self.connection: sqlite3.Connection | None = None
        try:
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=1.0)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS responses (key BLOB PRIMARY KEY, checkpoint TEXT NOT NULL,"
                " size INTEGER NOT NULL, headers BLOB NOT NULL, body BLOB NOT NULL)"
            )
            connection.execute("CREATE TABLE IF NOT EXISTS totals (bytes INTEGER NOT NULL)")
            connection.execute("INSERT INTO totals SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM totals)")
            connection.execute("COMMIT")
            # a writer waits at most this long for another process's write (they are short)
            connection.execute("PRAGMA busy_timeout=50")
            self.connection = connection
        except sqlite3.Error as exc:
            self._disable(exc)

    def _failed(self, exc: sqlite3.Error) -> None:
        if self.connection is not None and self.connection.in_transaction:
            try:
                self.connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        # another process holding the write lock past the busy timeout: skip this batch
        if not (isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)):
            self._disable(exc)

    def _disable(self, exc: Exception) -> None:
        log.warning("shared response cache %s turned off in this process: %s", self.path, exc)
        if self.connection is not None:
            self.connection.close()
        self.connection = None
        self.pending.clear()

    @staticmethod
    def key(path: str, query: bytes, checkpoint: str) -> bytes:
        """A fixed-size key of a response."""
        return hashlib.blake2b(f"{checkpoint}\n{path}\n".encode() + query, digest_size=20).digest()

    def get(self, key: bytes) -> tuple[Headers, bytes] | None:
        """The stored (headers, body), or None."""
        if self.connection is None:
            return None
        try:
            row = self.connection.execute(
                "SELECT headers, body FROM responses WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        return None if row is None else (_decode_headers(row[0]), row[1])

    def add(self, key: bytes, checkpoint: str, headers: Headers, body: bytes) -> bool:
        """Keep a response of `checkpoint` for the next flush; True when a flush is due now."""
        if self.connection is None:
            return False
        self.pending.append((key, checkpoint, len(body), _encode_headers(headers), body))
        return len(self.pending) >= self.BATCH

    def flush(self) -> None:
        """Write the kept responses in one transaction; the checkpoint moving drops the others'."""
        batch, self.pending = self.pending, []
        if self.connection is None or not batch:
            return
        try:
            self.connection.execute("BEGIN IMMEDIATE")
            newest = batch[-1][1]
            if newest != self.checkpoint:
                self.checkpoint = newest
                self.connection.execute("DELETE FROM responses WHERE checkpoint != ?", (newest,))
                self.connection.execute("UPDATE totals SET bytes = (SELECT total(size) FROM responses)")
            fresh = [entry for entry in batch if entry[1] == newest]
            inserted = self.connection.executemany(
                "INSERT OR IGNORE INTO responses (key, checkpoint, size, headers, body)"
                " VALUES (?, ?, ?, ?, ?)",
                fresh,
            ).rowcount
            # rows a racing process had inserted first are ignored: their share of the bytes is
            # estimated, and the next prune recounts exactly
            added = sum(entry[2] for entry in fresh) * inserted // max(len(fresh), 1)
            (total,) = self.connection.execute(
                "UPDATE totals SET bytes = bytes + ? RETURNING bytes", (added,)
            ).fetchone()
            if total > self.max_bytes:
                self.connection.execute(
                    "DELETE FROM responses WHERE rowid <= (SELECT rowid FROM responses ORDER BY rowid"
                    " LIMIT 1 OFFSET (SELECT count(*) / 2 FROM responses))"
                )
                self.connection.execute("UPDATE totals SET bytes = (SELECT total(size) FROM responses)")
            self.connection.execute("COMMIT")
        except sqlite3.Error as exc:
            self._failed(exc)

    def close(self) -> None:
        """Write what is kept, close the file."""
        self.flush()
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class ResponseCacheMiddleware:
    """Serve cached GET responses under ``/api/v1/`` for the current checkpoint."""

    def __init__(self, app: ASGIApp, max_bytes: int, ttl: float, shared_file: Path | None = None) -> None:
        self.app = app
        self.cache = ResponseCache(max_bytes)
        self.clock = CheckpointClock(ttl)
        self.shared = SharedStore(shared_file, max_bytes) if shared_file is not None and max_bytes else None
        self._flush_timer: asyncio.TimerHandle | None = None

    def _share(self, shared: SharedStore, key: bytes, checkpoint: str, headers: Headers, body: bytes) -> None:
        """Hand a response to the shared store: written with the next batch."""
        if shared.add(key, checkpoint, headers, body):
            shared.flush()
        elif self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(SharedStore.FLUSH_AFTER, self._flush)

    def _flush(self) -> None:
        self._flush_timer = None
        if self.shared is not None:
            self.shared.flush()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not path.startswith(CACHED_PREFIX)
            or path in NEVER
            or path.startswith(NEVER_UNDER)
            or self.cache.max_bytes == 0
        ):
            await self.app(scope, receive, send)
            return
        state = getattr(scope["app"].state, "cmir", None)
        checkpoint = await self.clock.current(state) if state is not None else None
        if checkpoint is None:
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        key = (path, query, checkpoint)
        hit = self.cache.get(key)
        shared, shared_key, checkpoint_text = self.shared, b"", f"{checkpoint[0]}:{checkpoint[1]}"
        if hit is None and shared is not None:
            shared_key = SharedStore.key(path, query, checkpoint_text)
            hit = shared.get(shared_key)
            if hit is not None:
                self.cache.put(key, *hit)
        if hit is not None:
            headers, body = hit
            if len(body) >= GZIP_MINIMUM_SIZE and accepts_gzip(scope):
                headers, body = self.cache.gzipped(key) or hit
            await send(
                {"type": "http.response.start", "status": 200, "headers": [*headers, (b"x-cache", b"hit")]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        captured: dict[str, Any] = {"parts": []}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
                message = {**message, "headers": [*captured["headers"], (b"x-cache", b"miss")]}
            elif message["type"] == "http.response.body":
                captured["parts"].append(message.get("body", b""))
                if not message.get("more_body", False) and captured.get("status") == 200:
                    body = b"".join(captured["parts"])
                    self.cache.put(key, captured["headers"], body)
                    if shared is not None and len(body) <= MAX_ENTRY:
                        self._share(shared, shared_key, checkpoint_text, captured["headers"], body)
            await send(message)

        await self.app(scope, receive, capture)
