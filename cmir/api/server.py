"""The production server: uvicorn with uvloop and httptools, no access log, `Settings.workers`
processes (``python -m cmir.api``).

With several workers on Linux, each worker listens on its own socket bound with SO_REUSEPORT,
and the kernel spreads new connections evenly across them. uvicorn's own `workers` share one
listening socket instead: whichever process wakes first accepts the whole waiting burst, and
under the bench's 50 keep-alive clients one worker held 45 connections and the other 5, so one
core did the work of two. A small supervisor here starts the workers, starts a new one when one
dies, and stops them all on SIGINT or SIGTERM (uvicorn's own supervisor hands every worker the
same sockets, so it cannot be reused for this). The price: when a worker dies, the connections
the kernel had queued on its socket are reset with it, not handed to another worker."""

from __future__ import annotations

import functools
import logging
import multiprocessing
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from cmir.api.app import create_app
from cmir.api.errors import ConfigurationError
from cmir.api.settings import Settings

log = logging.getLogger("uvicorn.error")

# SO_REUSEPORT balances TCP connections across listeners on Linux only (BSD and macOS hand them
# all to one socket); elsewhere uvicorn's shared socket is used.
REUSE_PORT = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
STOP_GRACE_SECONDS = 10.0
RESTART_MIN_INTERVAL = 1.0


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for the API (the application is `application(settings)`)."""
    return {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,
        "log_level": "warning",
        "backlog": 2048,
        "timeout_keep_alive": 30,
        "proxy_headers": False,
    }


def application(settings: Settings) -> functools.partial[Any]:
    """The application's factory, bound to `settings`: uvicorn calls it in each server process
    (spawned processes receive it pickled, settings included, instead of reading the
    environment)."""
    return functools.partial(create_app, settings)


def listening_socket(host: str, port: int, backlog: int, *, listen: bool = True) -> socket.socket:
    """A TCP socket bound to (`host`, `port`) with SO_REUSEPORT, listening unless told not to
    (a bound socket that does not listen receives no connection but keeps the port reserved)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(False)
    return sock


def _check_port_free(host: str, port: int) -> None:
    """`OSError` (address in use) when anything listens on (`host`, `port`), another `cmir serve`
    included. The workers' sockets share their port through SO_REUSEPORT, which Linux grants to
    any process of the same user that asks for it too: a second server would silently take half
    of the first one's connections. A plain bind (SO_REUSEADDR alone, so that connections left
    in TIME_WAIT by a previous run do not count) is refused while a socket listens there."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def _tune_process() -> None:
    # Queries run on worker threads on PostgreSQL: a shorter GIL switch interval keeps the event
    # loop (which serves cached responses) from waiting up to 5 ms behind a thread building one.
    sys.setswitchinterval(0.001)


def _worker(config: uvicorn.Config) -> None:
    """One server process (spawned): its own listening socket, then uvicorn until a signal."""
    _tune_process()
    config.configure_logging()
    sock = listening_socket(config.host, config.port, config.backlog)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Supervisor:
    """Keeps `workers` server processes alive on one port, each with its own socket."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.config = uvicorn.Config(application(settings), **server_options(settings))
        self.workers = settings.workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[Any] = []
        self.started_at: list[float] = []
        self.stopping = threading.Event()
        self.failure: str | None = None

    def _start(self) -> Any:
        process = self.context.Process(target=_worker, args=(self.config,), name="cmir-api-worker")
        process.start()
        return process

    def _check(self, index: int) -> None:
        process = self.processes[index]
        if process.is_alive():
            return
        process.join()
        if process.exitcode == STARTUP_FAILURE:
            # the application cannot start (settings, deployment record, database): every new
            # worker would fail the same way
            self.failure = "a server process could not start (its error is above)"
            self.stopping.set()
            return
        wait = self.started_at[index] + RESTART_MIN_INTERVAL - time.monotonic()
        if wait > 0 and self.stopping.wait(wait):
            return
        log.warning(
            "server process %s exited with code %s; starting a new one", process.pid, process.exitcode
        )
        self.processes[index] = self._start()
        self.started_at[index] = time.monotonic()

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM; `ConfigurationError` when the port cannot be bound or
        a worker cannot start."""
        config = self.config
        try:
            _check_port_free(config.host, config.port)
            reserved = listening_socket(config.host, config.port, config.backlog, listen=False)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on {config.host}:{config.port}: {exc.strerror}"
            ) from None
        # the workers' shared response cache, in the settings each worker is given
        shared = Path(tempfile.mkdtemp(prefix="cmir-api-cache-"))
        given = self.settings.model_copy(update={"shared_cache_file": shared / "responses.sqlite3"})
        self.config = uvicorn.Config(application(given), **server_options(given))
        previous = {
            sig: signal.signal(sig, lambda *_: self.stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for _ in range(self.workers):
                self.processes.append(self._start())
                self.started_at.append(time.monotonic())
            while not self.stopping.wait(0.5):
                for index in range(len(self.processes)):
                    if not self.stopping.is_set():
                        self._check(index)
        finally:
            self._stop_all()
            reserved.close()
            shutil.rmtree(shared, ignore_errors=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if self.failure is not None:
            raise ConfigurationError(self.failure)


def serve(settings: Settings | None = None) -> None:
    """Serve the API until interrupted (SIGINT/SIGTERM stop it gracefully); `ConfigurationError`
    when it cannot start."""
    settings = settings or Settings()
    options = server_options(settings)
    if settings.workers > 1 and REUSE_PORT:
        Supervisor(settings).run()
        return
    if settings.workers > 1:
        # uvicorn's own workers share one socket (not on Linux); `uvicorn.run` takes only an
        # import string for them, which could read settings from the environment alone
        config = uvicorn.Config(application(settings), **options, workers=settings.workers)
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    _tune_process()
    uvicorn.run(application(settings), **options)
