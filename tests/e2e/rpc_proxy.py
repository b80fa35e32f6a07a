"""A JSON-RPC proxy for the auditor's tests: it alters logs on their way from the node to the
auditor, as a dishonest or compromised node would. It listens on 127.0.0.1 only."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests


class _Proxy(BaseHTTPRequestHandler):
    upstream = ""
    alter: Callable[[dict[str, Any]], None] = staticmethod(lambda log: None)

    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        replies = requests.post(self.upstream, json=payload, timeout=60).json()
        for request, reply in zip(
            payload if isinstance(payload, list) else [payload],
            replies if isinstance(replies, list) else [replies],
            strict=True,
        ):
            if request.get("method") == "eth_getLogs" and isinstance(reply.get("result"), list):
                for log in reply["result"]:
                    type(self).alter(log)
        data = json.dumps(replies).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def doctoring_rpc(upstream: str, alter: Callable[[dict[str, Any]], None]) -> Iterator[str]:
    """A JSON-RPC proxy to `upstream` that passes every log of eth_getLogs through `alter`."""
    handler = type("Proxy", (_Proxy,), {"upstream": upstream, "alter": staticmethod(alter)})
    with _listening(handler) as url:
        yield url


@contextmanager
def _listening(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
