"""The project's one JSON-RPC client: raw requests, batching, bounded retries with backoff and
jitter.

Every part of CMIR that talks to a node goes through `RpcClient`: the indexer (logs, headers,
receipts), the API's chain reads (`cmir.api.chain`), the development tools (`cmir.dev.devchain`,
the demo seed, the benchmarks' generators) and the stack launcher; `request` is its one-shot form
for a probe or a set-up call. The independent auditor (`cmir.audit`) keeps a client of its own, on
purpose: it checks what the indexer and the API serve, so it shares none of their code, not even
this transport (a bug here must not hide the same bug on both sides), and the import contracts
in pyproject.toml enforce it.

Retried: connection errors, timeouts (unless the caller handles them), HTTP 429 and 5xx, bodies
that are not JSON (a dropped connection) and JSON-RPC rate-limit errors. Not retried: other
JSON-RPC errors, which the caller interprets (for instance a log range that is too large); they
are raised as `RpcResponseError` with the error's code, message and data (a revert's bytes).
A caller that must not repeat a request (one that sends a transaction) passes
``max_retries=0``.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import requests

from cmir.chain.errors import (
    RpcError,
    RpcResponseError,
    RpcResponseTooLargeError,
    RpcTimeoutError,
    RpcUnavailableError,
)

log = logging.getLogger(__name__)

RATE_LIMIT_WORDS = ("rate limit", "too many requests", "exceeded the rate", "capacity")


class _RetryableError(Exception):
    """A failure worth another try."""


class RpcClient:
    """JSON-RPC over HTTP with retries. `sleep` and `rng` are injectable for tests.

    Threads may share a client: each thread gets its own HTTP session (``requests.Session`` is
    not documented as thread-safe); a forked process takes a `fresh` one. The counters
    (`requests_sent`, `retries`) are statistics, not exact under threads."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 8,
        backoff_base: float = 0.25,
        backoff_max: float = 10.0,
        batch_size: int = 100,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.batch_size = batch_size
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not cryptography)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self.requests_sent = 0
        self.retries = 0

    def fresh(self) -> RpcClient:
        """A client with the same settings and its own connections (for a forked process)."""
        return RpcClient(
            self.url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            backoff_base=self.backoff_base,
            backoff_max=self.backoff_max,
            batch_size=self.batch_size,
            sleep=self._sleep,
        )

    def close(self) -> None:
        """Close the HTTP connection pools (of every thread's session)."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
            self._local = threading.local()
        for session in sessions:
            session.close()

    def _session(self) -> requests.Session:
        """This thread's HTTP session, made on its first request."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"Content-Type": "application/json"})
            with self._lock:
                self._local.session = session
                self._sessions.append(session)
        return session

    def _next_ids(self, count: int) -> int:
        """The first of `count` consecutive request ids no other request of this client uses."""
        with self._lock:
            first = next(self._ids)
            self._ids = itertools.count(first + count)
        return first

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (0-based): exponential, capped, with jitter."""
        ceiling = min(self.backoff_max, self.backoff_base * (2**attempt))
        return float(ceiling / 2 + self._rng.uniform(0, ceiling / 2))

    def call(
        self,
        method: str,
        params: Sequence[Any] = (),
        *,
        retry_timeouts: bool = True,
        max_bytes: int | None = None,
    ) -> Any:
        """One request; returns its ``result``. With ``retry_timeouts=False`` a timeout raises
        `RpcTimeoutError` at once, so the caller can ask for less. With `max_bytes`, a response
        body growing past that size is dropped unread and `RpcResponseTooLargeError` raised (the
        memory it would take is bounded; the caller asks for less)."""
        payload = {"jsonrpc": "2.0", "id": self._next_ids(1), "method": method, "params": list(params)}

        def extract(body: Any) -> Any:
            if not isinstance(body, dict):
                raise RpcError(f"{method}: unexpected response {str(body)[:200]}")
            return _result(body, method)

        return self._post(payload, method, retry_timeouts, extract, max_bytes)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several requests in JSON-RPC batches of at most `batch_size`; results in call order."""
        results: list[Any] = []
        for start in range(0, len(calls), self.batch_size):
            chunk = calls[start : start + self.batch_size]
            if len(chunk) == 1:
                results.append(self.call(chunk[0][0], chunk[0][1]))
                continue
            first_id = self._next_ids(len(chunk))
            payload = [
                {"jsonrpc": "2.0", "id": first_id + n, "method": m, "params": list(p)}
                for n, (m, p) in enumerate(chunk)
            ]

            def extract(
                body: Any, chunk: Sequence[tuple[str, Sequence[Any]]] = chunk, first: int = first_id
            ) -> Any:
                if isinstance(body, dict):  # the whole batch was refused
                    _result(body, "batch")
                    raise RpcError(f"batch of {len(chunk)} calls refused: {str(body)[:200]}")
                by_id = {item.get("id"): item for item in body if isinstance(item, dict)}
                out = []
                for n, (method, _) in enumerate(chunk):
                    item = by_id.get(first + n)
                    if item is None:
                        raise RpcError(f"batch answer lacks the reply to {method}")
                    out.append(_result(item, method))
                return out

            results.extend(self._post(payload, chunk[0][0], True, extract))
        return results

    def _post(
        self,
        payload: Any,
        method: str,
        retry_timeouts: bool,
        extract: Callable[[Any], Any],
        max_bytes: int | None = None,
    ) -> Any:
        last: str = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.retries += 1
                delay = self.backoff(attempt - 1)
                log.debug("retrying %s in %.2fs after: %s", method, delay, last)
                self._sleep(delay)
            try:
                return extract(self._post_once(payload, method, retry_timeouts, max_bytes))
            except _RetryableError as exc:
                last = str(exc)
            except RpcResponseError as exc:
                if not _is_rate_limit(exc):
                    raise
                last = str(exc)
        raise RpcUnavailableError(
            f"RPC endpoint {self.url} failed {self.max_retries + 1} times on {method}; last error: {last}"
        )

    def _post_once(self, payload: Any, method: str, retry_timeouts: bool, max_bytes: int | None) -> Any:
        self.requests_sent += 1
        try:
            response = self._session().post(
                self.url, data=json.dumps(payload), timeout=self.timeout, stream=max_bytes is not None
            )
            with response:
                status = response.status_code
                if status == 429 or status >= 500:
                    raise _RetryableError(f"HTTP {status}")
                if status >= 400:
                    raise RpcError(f"{method}: HTTP {status} from {self.url}: {response.text[:200]}")
                content = response.content if max_bytes is None else _read_capped(response, max_bytes, method)
        except requests.Timeout as exc:
            if not retry_timeouts:
                raise RpcTimeoutError(f"{method} timed out after {self.timeout}s") from exc
            raise _RetryableError(f"timeout after {self.timeout}s") from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise _RetryableError(f"connection error: {exc}") from exc
        except requests.RequestException as exc:
            raise RpcError(f"{method}: {exc}") from exc
        try:
            body = json.loads(content)
        except ValueError as exc:
            raise _RetryableError(f"unreadable response ({len(content)} bytes)") from exc
        return body


def _read_capped(response: requests.Response, max_bytes: int, method: str) -> bytes:
    """The body of a streamed response, or `RpcResponseTooLargeError` once it passes `max_bytes`
    (the connection is then closed: the rest is never read)."""
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise RpcResponseTooLargeError(f"{method}: response of {declared} bytes, over {max_bytes}")
    parts: list[bytes] = []
    size = 0
    for part in response.iter_content(chunk_size=1 << 20):
        size += len(part)
        if size > max_bytes:
            raise RpcResponseTooLargeError(f"{method}: response over {max_bytes} bytes")
        parts.append(part)
    return b"".join(parts)


def _is_rate_limit(exc: RpcResponseError) -> bool:
    text = exc.rpc_message.lower()
    return exc.code == 429 or any(word in text for word in RATE_LIMIT_WORDS)


def _result(item: dict[str, Any], method: str) -> Any:
    if "error" in item and item["error"] is not None:
        err = item["error"] if isinstance(item["error"], dict) else {"message": str(item["error"])}
        code = err.get("code")
        raise RpcResponseError(
            code if isinstance(code, int) else None, str(err.get("message", "")), method, err.get("data")
        )
    if "result" not in item:
        raise RpcError(f"{method}: reply without result: {str(item)[:200]}")
    return item["result"]


def request(
    url: str, method: str, params: Sequence[Any] = (), *, timeout: float = 30.0, max_retries: int = 0
) -> Any:
    """One call with a client of its own, closed afterwards: for a probe or a set-up call. Not
    retried unless `max_retries` says so (a probe wants its answer now: "nothing answers" is
    one); failures raise the `RpcError`s of `RpcClient.call`."""
    client = RpcClient(url, timeout=timeout, max_retries=max_retries)
    try:
        return client.call(method, params)
    finally:
        client.close()
