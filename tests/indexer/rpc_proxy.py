"""A loopback HTTP proxy in front of anvil that misbehaves on purpose, for the RPC-fault tests.

For a seeded random fraction of requests it drops the connection without answering, delays the
answer (sometimes past the client's timeout), or answers HTTP 429 or 500; the rest go through.
Faults are bounded in count and in time (after either bound every request goes through), and
`fail_methods` makes the named JSON-RPC methods fail with HTTP 500 every time (a dead endpoint).
It listens on 127.0.0.1 only and forwards only to the given upstream (a local anvil).
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
    ) -> None:
        self.upstream = upstream
        self.fault_rate = fault_rate
        self.max_faults = max_faults
        self.fault_seconds = fault_seconds
        self.long_delay = long_delay
        self.fail_methods = set(fail_methods)
        self.stats: Counter[str] = Counter()
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
        """Stop serving and close the socket."""
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

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        """Answer one request as the dice say."""
        try:
            payload = json.loads(body)
            calls = payload if isinstance(payload, list) else [payload]
            methods = [str(call.get("method")) for call in calls if isinstance(call, dict)]
        except ValueError:
            methods = []
        fault = self._decide(methods)
        if fault == "drop":
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
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
