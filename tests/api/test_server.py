"""The production server (``python -m cmir.api``) as an operator runs it: several worker
processes on one port, connections spread across them, a dead worker replaced, a clean stop on
SIGTERM, and a one-line error when it cannot start. Linux only (it reads /proc)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.api.helpers import World
from tests.indexer.indexer_chain import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")


class Server:
    """`python -m cmir.api` with the world's settings."""

    def __init__(self, world: World, tmp: Path, port: int | None = None, **env: str) -> None:
        self.port = port or free_port()
        self.log = tmp / f"server-{self.port}-{time.monotonic_ns()}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cmir.api"],
            cwd=ROOT,
            env={
                **os.environ,
                "CMIR_DATABASE_URL": world.db_url,
                "CMIR_RPC_URL": world.dao.url,
                "CMIR_DEPLOYMENT_FILE": str(world.dao.record_path),
                "CMIR_HOST": "127.0.0.1",
                "CMIR_PORT": str(self.port),
                **env,
            },
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, workers: int) -> None:
        """Until every worker listens and the API answers."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            if len(self.workers()) == workers and len(listeners(self.port)) == workers:
                try:
                    if get(self.port, "/api/v1/pool")[0] == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()}")

    def workers(self) -> list[int]:
        """Pids of the server's worker processes (multiprocessing's resource tracker excluded)."""
        return [pid for pid in children(self.process.pid) if "spawn_main" in cmdline(pid)]

    def shared_cache(self) -> Path:
        """The workers' shared response cache file (in the settings the server hands each
        worker; a worker keeps it open)."""
        fds = Path(f"/proc/{self.workers()[0]}/fd")
        opened = [Path(os.readlink(fd)) for fd in fds.iterdir() if fd.is_symlink()]
        (found,) = {path for path in opened if path.name == "responses.sqlite3"}
        return found

    def stop(self) -> int:
        """SIGTERM, then the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode


def children(pid: int) -> list[int]:
    """Direct children of `pid`."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def cmdline(pid: int) -> str:
    """The command line of `pid` ('' once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _tcp_sockets(port: int, state: str) -> dict[int, int]:
    """inode -> remote port of the IPv4 sockets on local `port` in `state` (/proc/net/tcp's hex
    codes: 01 established, 0A listening)."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            found[int(fields[9])] = int(fields[2].split(":")[1], 16)
    return found


def _owner(inodes: dict[int, int], pids: list[int]) -> dict[int, int]:
    """inode -> pid among `pids` holding it."""
    owners = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inode = int(target[8:-1])
                if inode in inodes:
                    owners[inode] = pid
    return owners


def listeners(port: int) -> dict[int, int]:
    """Listening sockets on `port` (inode -> 0)."""
    return _tcp_sockets(port, "0A")


def get(port: int, path: str, connection: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    """(status, body) of GET `path`."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if connection is None:
        conn.close()
    return response.status, body


@pytest.fixture
def two_workers(world: World, tmp_path: Path) -> Iterator[Server]:
    """The production server with two workers, ready."""
    server = Server(world, tmp_path, CMIR_WORKERS="2")
    try:
        server.wait_ready(2)
        yield server
    finally:
        server.stop()


def test_connections_are_spread_across_workers(two_workers: Server) -> None:
    """40 keep-alive clients opened at once: each worker serves a fair share (with one shared
    socket, one worker used to take nearly all of them)."""
    connections = [http.client.HTTPConnection("127.0.0.1", two_workers.port, timeout=30) for _ in range(40)]
    try:
        for conn in connections:
            conn.connect()
        for conn in connections:
            status, _ = get(two_workers.port, "/api/v1/pool", conn)
            assert status == 200
        workers = two_workers.workers()
        owners = _owner(_tcp_sockets(two_workers.port, "01"), workers)
        per_worker = {pid: sum(1 for owner in owners.values() if owner == pid) for pid in workers}
        assert sum(per_worker.values()) == 40, per_worker
        # the kernel hashes each connection to a socket: 40 connections put fewer than 6 on one
        # of two workers with a probability under 1e-6
        assert min(per_worker.values()) >= 6, per_worker
    finally:
        for conn in connections:
            conn.close()


def test_dead_worker_is_replaced(two_workers: Server) -> None:
    """A worker killed outright is replaced, and the API answers all along on new connections.
    Only a connection the dying worker held, or the kernel had queued on its socket, is reset
    (as with any worker crash): a client retries it once."""
    victim, survivor = two_workers.workers()
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _ = get(two_workers.port, "/api/v1/pool")
        except ConnectionResetError:  # queued on the dying worker's socket
            status, _ = get(two_workers.port, "/api/v1/pool")
        assert status == 200
        workers = two_workers.workers()
        if len(workers) == 2 and victim not in workers and len(listeners(two_workers.port)) == 2:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"no replacement worker: {two_workers.workers()}")
    assert survivor in two_workers.workers()
    assert "exited with code -9; starting a new one" in two_workers.log.read_text()
    assert {get(two_workers.port, "/api/v1/pool")[0] for _ in range(20)} == {200}


def test_sigterm_stops_every_process(world: World, tmp_path: Path) -> None:
    """SIGTERM to the server stops its workers, frees the port and removes the shared cache;
    the exit code is 0."""
    server = Server(world, tmp_path, CMIR_WORKERS="2")
    server.wait_ready(2)
    workers = server.workers()
    shared = server.shared_cache()
    assert shared.exists()
    assert server.stop() == 0
    assert all(cmdline(pid) == "" for pid in workers)
    assert not shared.parent.exists()  # the shared cache is removed with the server
    with socket.create_server(("127.0.0.1", server.port)):  # the port is free again
        pass


def test_port_in_use_is_one_line_error(world: World, tmp_path: Path) -> None:
    """A port held by another program: one line on stderr, exit code 1, no worker left over."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        server = Server(world, tmp_path, CMIR_WORKERS="2", CMIR_PORT=str(port))
        assert server.process.wait(60) == 1
    assert server.log.read_text().strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def test_a_second_server_on_the_same_port_is_refused(
    two_workers: Server, world: World, tmp_path: Path
) -> None:
    """A second `cmir serve` on the port of a running one (both with SO_REUSEPORT sockets) is
    refused with the one-line error instead of sharing the port, and the first keeps every
    connection."""
    second = Server(world, tmp_path, port=two_workers.port, CMIR_WORKERS="2")
    assert second.process.wait(60) == 1
    assert second.log.read_text().strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{two_workers.port}: Address already in use"
    ]
    assert len(listeners(two_workers.port)) == 2
    assert get(two_workers.port, "/api/v1/pool")[0] == 200


def test_startup_failure_stops_the_server(world: World, tmp_path: Path) -> None:
    """A worker that cannot start (no deployment record) is not restarted in a loop: the server
    exits 1 with the reason."""
    server = Server(world, tmp_path, CMIR_WORKERS="2", CMIR_DEPLOYMENT_FILE=str(tmp_path / "missing.json"))
    assert server.process.wait(60) == 1
    log = server.log.read_text()
    assert "missing.json" in log
    assert log.strip().splitlines()[-1] == "error: a server process could not start (its error is above)"


def shared_holds(shared: Path, body: bytes) -> bool:
    """Whether the shared response cache file holds a response with this body."""
    with closing(sqlite3.connect(shared, timeout=30)) as connection:
        return connection.execute("SELECT 1 FROM responses WHERE body = ?", (body,)).fetchone() is not None


def test_a_page_computed_by_one_worker_is_served_by_the_other(two_workers: Server) -> None:
    """The workers share their response cache: the first request for a page, on either worker,
    computes it; the same page asked of the other worker (once the first has written it to the
    shared file, which it does within `SharedStore.FLUSH_AFTER`) is a cache hit."""
    connections: dict[int, http.client.HTTPConnection] = {}
    opened: list[http.client.HTTPConnection] = []
    try:
        while len(connections) < 2 and len(opened) < 64:
            conn = http.client.HTTPConnection("127.0.0.1", two_workers.port, timeout=30)
            conn.connect()
            opened.append(conn)
            local_port = conn.sock.getsockname()[1]
            peers = _tcp_sockets(two_workers.port, "01")
            # the server-side socket of this connection: its peer is our local port
            for inode, pid in _owner(peers, two_workers.workers()).items():
                if peers[inode] == local_port:
                    connections.setdefault(pid, conn)
        assert len(connections) == 2
        first, second = connections.values()
        shared = two_workers.shared_cache()
        path = "/api/v1/members?limit=7&offset=3&sort=points&order=desc"

        def fetch(conn: http.client.HTTPConnection) -> tuple[int, str | None, bytes]:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.getheader("x-cache"), response.read()

        seen = [fetch(first)]
        # the first worker writes the page it computed to the shared file: wait until it is there
        deadline = time.monotonic() + 60
        while not shared_holds(shared, seen[0][2]):
            assert time.monotonic() < deadline, "the computed page never reached the shared cache"
            time.sleep(0.01)
        seen += [fetch(second), fetch(first)]
        assert [(status, cache) for status, cache, _ in seen] == [(200, "miss"), (200, "hit"), (200, "hit")]
        assert seen[0][2] == seen[1][2] == seen[2][2]
    finally:
        for conn in opened:
            conn.close()
