"""The load: concurrent clients on a weighted mix of routes for a fixed time. Each client is a
keep-alive HTTP/1.1 connection on asyncio streams (``CMIR_BENCH_CLIENT=httpx``: an
``httpx.AsyncClient`` per client instead, heavier on the shared CPU)."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

Route = Callable[[random.Random], str]
RAW = os.environ.get("CMIR_BENCH_CLIENT", "raw") == "raw"


@dataclass
class Results:
    """What the clients measured."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    max_bytes: int = 0
    by_route: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def mix(
    addresses: Sequence[str], proposal_ids: Sequence[int], blocks: Sequence[int]
) -> list[tuple[str, float, Route]]:
    """(name, weight, URL maker) of the routes the bench hits."""
    words = ("epicerie", "jardin", "atelier%20solidaire", "cafe", "ressourcerie", "tiers-lieu")
    return [
        ("members list", 20, lambda r: f"/api/v1/members?limit=50&offset={50 * r.randrange(200)}"),
        (
            "members top",
            8,
            lambda r: (
                f"/api/v1/members?kind={r.choice(('Pilote', 'Abeille'))}&sort=points&order=desc&limit=20"
            ),
        ),
        ("member", 20, lambda r: f"/api/v1/members/{r.choice(addresses)}"),
        ("member relations", 7, lambda r: f"/api/v1/members/{r.choice(addresses)}/relations?limit=20"),
        ("flows", 10, lambda r: f"/api/v1/flows?limit=50&cursor={r.choice(blocks)}-0"),
        ("proposals", 5, lambda r: f"/api/v1/governance/proposals?limit=20&offset={20 * r.randrange(50)}"),
        ("proposal", 2, lambda r: f"/api/v1/governance/proposals/{r.choice(proposal_ids)}"),
        ("directory", 5, lambda r: f"/api/v1/ess/projects?q={r.choice(words)}&limit=20"),
        ("network graph", 8, lambda r: f"/api/v1/network/graph?limit=100&offset={100 * r.randrange(10)}"),
        ("network ego", 4, lambda r: f"/api/v1/network/graph?center={r.choice(addresses)}&limit=50"),
        ("network summary", 3, lambda r: "/api/v1/network/summary"),
        ("reconciliation", 7, lambda r: "/api/v1/reconciliation"),
        ("pool", 3, lambda r: "/api/v1/pool"),
    ]


class RawConnection:
    """A keep-alive HTTP/1.1 connection over asyncio streams: the lightest client, so that the
    load generator leaves the CPU to the server (it shares the machine)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, url: str) -> tuple[int, bytes]:
        """(status, body) of GET `url`; reconnects when the connection was closed."""
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {url} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await self.reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            raise
        if b"connection: close" in head.lower():
            self.close()
        return status, body

    def close(self) -> None:
        """Close the socket."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _client(
    base: str, routes: list[tuple[str, float, Route]], seed: int, start: float, stop: float, results: Results
) -> None:
    if RAW:
        await _raw_client(base, routes, seed, start, stop, results)
        return
    rng = random.Random(seed)  # noqa: S311 (load pattern, not secrets)
    names = [r[0] for r in routes]
    weights = [r[1] for r in routes]
    makers = {r[0]: r[2] for r in routes}
    async with httpx.AsyncClient(
        base_url=base, timeout=10.0, limits=httpx.Limits(max_connections=1)
    ) as client:
        while True:
            now = time.perf_counter()
            if now >= stop:
                return
            name = rng.choices(names, weights)[0]
            url = makers[name](rng)
            began = time.perf_counter()
            try:
                response = await client.get(url)
                body = response.content
                ok = response.status_code == 200
            except httpx.HTTPError as exc:
                body, ok = b"", False
                url = f"{url} ({type(exc).__name__})"
            elapsed = time.perf_counter() - began
            if began < start:
                continue  # warm-up
            results.latencies.append(elapsed)
            results.by_route.setdefault(name, []).append(elapsed)
            results.max_bytes = max(results.max_bytes, len(body))
            if not ok:
                results.errors += 1
                if len(results.failures) < 5:
                    results.failures.append(url)


async def _raw_client(
    base: str, routes: list[tuple[str, float, Route]], seed: int, start: float, stop: float, results: Results
) -> None:
    rng = random.Random(seed)  # noqa: S311 (load pattern, not secrets)
    names = [r[0] for r in routes]
    weights = [r[1] for r in routes]
    makers = {r[0]: r[2] for r in routes}
    host, _, port = base.removeprefix("http://").partition(":")
    connection = RawConnection(host, int(port))
    try:
        while time.perf_counter() < stop:
            name = rng.choices(names, weights)[0]
            url = makers[name](rng)
            began = time.perf_counter()
            try:
                # a timeout scope, not wait_for: no extra task per request on the shared CPU
                async with asyncio.timeout(10.0):
                    status, body = await connection.get(url)
                ok = status == 200
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                connection.close()
                body, ok = b"", False
                url = f"{url} ({type(exc).__name__})"
            elapsed = time.perf_counter() - began
            if began < start:
                continue
            results.latencies.append(elapsed)
            results.by_route.setdefault(name, []).append(elapsed)
            results.max_bytes = max(results.max_bytes, len(body))
            if not ok:
                results.errors += 1
                if len(results.failures) < 5:
                    results.failures.append(url)
    finally:
        connection.close()


async def run_load(
    base: str,
    routes: list[tuple[str, float, Route]],
    clients: int,
    seconds: float,
    warmup: float,
    progress: Callable[[str], None],
) -> tuple[Results, float]:
    """Run `clients` concurrent clients for `warmup` + `seconds`; returns results and the
    measured duration."""
    results = Results()
    start = time.perf_counter() + warmup
    stop = start + seconds

    async def report() -> None:
        seen = 0
        while time.perf_counter() < stop:
            await asyncio.sleep(5)
            now = time.perf_counter()
            if now > start:
                done = len(results.latencies)
                window = sorted(results.latencies[seen:done])
                seen = done
                p99 = window[min(len(window) - 1, int(0.99 * len(window)))] * 1000 if window else 0.0
                progress(
                    f"  {now - start:5.1f} s: {done} requests, {done / (now - start):.0f} req/s,"
                    f" p99 {p99:.0f} ms over the last {len(window)}, {results.errors} errors"
                )

    reporter = asyncio.create_task(report())
    await asyncio.gather(*(_client(base, routes, i, start, stop, results) for i in range(clients)))
    reporter.cancel()
    return results, seconds
