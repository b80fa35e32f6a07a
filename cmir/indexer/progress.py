"""Backfill progress: a rich progress bar with ETA on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Protocol

log = logging.getLogger("cmir.indexer.progress")


class Progress(Protocol):
    """What the sync reports to."""

    def start(self, first: int, target: int) -> None:
        """A backfill of blocks ``first..target`` begins."""

    def advance(self, block: int, events: int) -> None:
        """Blocks up to `block` are written, with `events` new events."""

    def finish(self) -> None:
        """The backfill reached its target."""


class LogProgress:
    """One log line every `interval` seconds: blocks, percentage, events, rate and ETA."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._first = self._target = self._block = 0
        self._events = 0
        self._started = self._last = 0.0

    def start(self, first: int, target: int) -> None:
        """Begin a backfill."""
        self._first, self._target, self._block, self._events = first, target, first - 1, 0
        self._started = self._last = time.monotonic()
        log.info("indexing blocks %d..%d", first, target)

    def advance(self, block: int, events: int) -> None:
        """Record progress; log if the interval passed."""
        self._block = block
        self._events += events
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            log.info("%s", self.line(now))

    def line(self, now: float) -> str:
        """The progress line."""
        total = max(1, self._target - self._first + 1)
        done = self._block - self._first + 1
        elapsed = max(now - self._started, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else float("inf")
        return (
            f"block {self._block}/{self._target} ({100 * done / total:.1f}%), {self._events} events"
            f" ({self._events / elapsed:.0f}/s), ETA {eta:.0f}s"
        )

    def finish(self) -> None:
        """Log the summary."""
        elapsed = max(time.monotonic() - self._started, 1e-9)
        log.info(
            "indexed up to block %d: %d events in %.1fs (%.0f events/s)",
            self._block,
            self._events,
            elapsed,
            self._events / elapsed,
        )


class BarProgress:
    """A rich progress bar over blocks, with events per second and ETA."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("[bold]indexing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("blocks · {task.fields[events]} events · {task.fields[rate]}/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            transient=False,
        )
        self._task: Any = None
        self._first = 0
        self._events = 0
        self._started = 0.0

    def start(self, first: int, target: int) -> None:
        """Show the bar."""
        self._first, self._events, self._started = first, 0, time.monotonic()
        self._bar.start()
        self._task = self._bar.add_task("index", total=target - first + 1, events=0, rate=0)

    def advance(self, block: int, events: int) -> None:
        """Move the bar."""
        self._events += events
        rate = int(self._events / max(time.monotonic() - self._started, 1e-9))
        self._bar.update(self._task, completed=block - self._first + 1, events=self._events, rate=rate)

    def finish(self) -> None:
        """Close the bar."""
        self._bar.stop()


class NoProgress:
    """Reports nothing (tests, live mode)."""

    def start(self, first: int, target: int) -> None:
        """Nothing."""

    def advance(self, block: int, events: int) -> None:
        """Nothing."""

    def finish(self) -> None:
        """Nothing."""


def default_progress(interval: float = 10.0) -> Progress:
    """A bar on a terminal, log lines otherwise."""
    if sys.stderr.isatty():
        return BarProgress()
    return LogProgress(interval)
