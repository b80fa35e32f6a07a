"""A loopback HTTP proxy in front of anvil that misbehaves on purpose, for the RPC-fault tests.

For a seeded random fraction of requests it drops the connection without answering, delays the
answer (sometimes past the client's timeout), or answers HTTP 429 or 500; the rest go through.
Faults are bounded in count and in time (after either bound every request goes through), and
`fail_methods` makes the named JSON-RPC methods fail with HTTP 500 every time (a dead endpoint).
`hold_from_block` holds back, unanswered until the proxy stops, every request naming a block at
or past it (``eth_getBlockByNumber``, ``eth_getLogs`` ranges): a client cannot read those blocks,
however fast it runs. `answered` counts the calls answered, by method, for tests that watch a
client's progress. It listens on 127.0.0.1 only and forwards only to the given upstream (a local
anvil).
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

FAULTS = ("drop", "delay", "long_delay", "http_429", "http_500")
#: The methods whose first parameter names blocks (`hold_from_block`).
BLOCK_METHODS = ("eth_getBlockByNumber", "eth_getLogs")


class FaultyProxy:
    """Start with `start` (or as a context manager); `url` is where clients connect."""

    def __init__(
        self,
        upstream: str,
        *,
        seed: int = 0,
        fault_rate: float = 0.2,
        max_faults: int = 400,
        fault_seconds: float = 120.0,
        long_delay: float = 1.5,
        fail_methods: tuple[str, ...] = (),
        hold_from_block: int | None = None,
    ) -> None:
        self.upstream = upstream
        self.fault_rate = fault_rate
        self.max_faults = max_faults
        self.fault_seconds = fault_seconds
        self.long_delay = long_delay
        self.fail_methods = set(fail_methods)
        self.hold_from_block = hold_from_block
        self.stats: Counter[str] = Counter()
        #: Calls answered (forwarded and replied to), by JSON-RPC method.
        self.answered: Counter[str] = Counter()
        #: Requests held back (`hold_from_block`) so far.
        self.held = 0
        self._stopping = threading.Event()
        self._rng = random.Random(seed)  # noqa: S311 (seeded test faults)
        self._lock = threading.Lock()
        self._started = 0.0
        self._session = threading.local()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: a drop loses only it

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                proxy.handle(self, body)

            def log_message(self, *_args: Any) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="rpc-proxy", daemon=True)

    def start(self) -> FaultyProxy:
        """Serve in a background thread."""
        self._started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; the requests held back are dropped unanswered."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> FaultyProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def faults(self) -> int:
        """Faults injected so far (permanent failures excluded)."""
        return sum(self.stats[name] for name in FAULTS)

    def _decide(self, methods: list[str]) -> str:
        with self._lock:
            self.stats["requests"] += 1
            if self.fail_methods & set(methods):
                self.stats["permanent_500"] += 1
                return "permanent_500"
            bounded = self.faults >= self.max_faults or time.monotonic() - self._started > self.fault_seconds
            if bounded or self._rng.random() >= self.fault_rate:
                self.stats["passed"] += 1
                return "pass"
            fault = self._rng.choice(FAULTS)
            self.stats[fault] += 1
            return fault

    def _holds(self, calls: list[Any]) -> bool:
        """Whether the calls name a block at or past `hold_from_block`."""
        if self.hold_from_block is None:
            return False
        for call in calls:
            if not isinstance(call, dict) or call.get("method") not in BLOCK_METHODS:
                continue
            params = call.get("params")
            if not isinstance(params, list) or not params:
                continue
            first = params[0]
            named = [first.get("fromBlock"), first.get("toBlock")] if isinstance(first, dict) else [first]
            for value in named:
                if isinstance(value, str) and value.startswith("0x"):
                    if int(value, 16) >= self.hold_from_block:
                        return True
        return False

    @staticmethod
    def _drop(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        try:
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        """Answer one request as the dice say."""
        try:
            payload = json.loads(body)
            calls = payload if isinstance(payload, list) else [payload]
            methods = [str(call.get("method")) for call in calls if isinstance(call, dict)]
        except ValueError:
            calls, methods = [], []
        if self._holds(calls):
            with self._lock:
                self.held += 1
            self._stopping.wait()
            self._drop(handler)
            return
        fault = self._decide(methods)
        if fault == "drop":
            self._drop(handler)
            return
        if fault in ("http_429", "http_500", "permanent_500"):
            code = 429 if fault == "http_429" else 500
            self._reply(handler, code, b'{"error": "injected fault"}')
            return
        if fault == "delay":
            time.sleep(self._rng.uniform(0.05, 0.3))
        elif fault == "long_delay":
            time.sleep(self.long_delay)  # past the client's timeout: it has given up
        session = getattr(self._session, "value", None)
        if session is None:
            session = self._session.value = requests.Session()
        try:
            answer = session.post(
                self.upstream, data=body, headers={"Content-Type": "application/json"}, timeout=120
            )
        except requests.RequestException:
            self._reply(handler, 502, b'{"error": "upstream unreachable"}')
            return
        self._reply(handler, answer.status_code, answer.content)
        with self._lock:
            self.answered.update(methods)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, code: int, content: bytes) -> None:
        try:
            handler.send_response(code)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
        except OSError:  # the client gave up (timed out) meanwhile
            pass
