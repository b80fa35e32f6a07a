"""A response cache in front of the routes (ASGI middleware). Everything the API answers is a
function of the indexed block, so a 200 response to a GET is kept per (path, query, checkpoint)
and served again until the indexer moves its checkpoint. The checkpoint itself is re-read at most
every `Settings.checkpoint_ttl` seconds: a response may trail a new indexed block by that long.
``/health`` (live chain head) is never cached. Memory is bounded (LRU by bytes)."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.db import Checkpoint

CACHED_PREFIX = "/api/v1/"
NEVER = ("/api/v1/health",)
MAX_ENTRY = 1 << 20


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
            table = Checkpoint.__table__
            query = select(table.c.block_number, table.c.block_hash).where(
                table.c.chain_id == state.ctx.chain_id
            )
            try:
                row = await state.database.run(lambda c: c.execute(query).first())
            except Exception:  # the route will report the failure itself
                row = None
            self._value = (int(row.block_number), row.block_hash) if row is not None else None
            self._read_at = time.monotonic()
            return self._value


class ResponseCache:
    """LRU of response bodies, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[Any, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()

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
        while self.size > self.max_bytes and self.entries:
            _, (_, old) = self.entries.popitem(last=False)
            self.size -= len(old)


class ResponseCacheMiddleware:
    """Serve cached GET responses under ``/api/v1/`` for the current checkpoint."""

    def __init__(self, app: ASGIApp, max_bytes: int, ttl: float) -> None:
        self.app = app
        self.cache = ResponseCache(max_bytes)
        self.clock = CheckpointClock(ttl)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not path.startswith(CACHED_PREFIX)
            or path in NEVER
            or self.cache.max_bytes == 0
        ):
            await self.app(scope, receive, send)
            return
        state = getattr(scope["app"].state, "cmir", None)
        checkpoint = await self.clock.current(state) if state is not None else None
        if checkpoint is None:
            await self.app(scope, receive, send)
            return
        key = (path, scope.get("query_string", b""), checkpoint)
        hit = self.cache.get(key)
        if hit is not None:
            headers, body = hit
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
                    self.cache.put(key, captured["headers"], b"".join(captured["parts"]))
            await send(message)

        await self.app(scope, receive, capture)
