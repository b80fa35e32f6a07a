"""Crash safety: the indexer, run as a subprocess over a long backfill in small batches, is
killed with SIGKILL at 11 points and restarted each time; then it runs to the end. The final
database equals a fresh index, holds every log of the chain exactly once, and the killed writers'
prefetch children died with them.

Every kill is tied to progress the test observes, never to elapsed time, so it lands where it is
meant to on a fast machine and on a slow one: at start-up (the interpreter just started; the
chain id asked, the schema being checked; inside the migration's transaction on the empty
database; inside the first batch's transaction), and past seeded random blocks spread over the
backfill (right after the commit that passed the block, or inside a later batch's transaction).
"Inside a transaction" is seen from outside (the writer holds SQLite's write lock, or its
PostgreSQL session has a transaction id) and made exact by stopping the writer with SIGSTOP,
checking again, then killing it. The killed runs read the chain through a proxy that holds back
every request for the head block: they cannot finish the backfill, so each kill comes with
backfill left, however fast the machine."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cmir.dev.bench.indexer import count_logs
from tests.indexer.generated_chain import (
    Served,
    alive,
    checkpoint,
    children_of,
    indexer_env,
    process_state,
    raw_counts,
    schema_committed,
    served_chain,
    start_indexer,
    stop_process,
    writing,
)
from tests.indexer.indexer_mirror import diff, dump, run_indexer
from tests.indexer.rpc_proxy import FaultyProxy

SEED = 20_240_611
#: Small batches: many commits, so kills land before, inside and after them.
SMALL_BATCHES = {"target_batch_events": 150, "initial_block_range": 4, "max_block_range": 16}
#: Start-up kills after the first run's (inside the migration, on the empty database).
STARTUP = ["start-up: just started", "start-up: chain id asked", "start-up: first batch"]
#: Kills past a random block: right after the commit that passed it, or inside a later batch.
AFTER_COMMIT, INSIDE_BATCH = "after the commit past block", "inside a batch past block"
PAST_BLOCK = [AFTER_COMMIT] * 3 + [INSIDE_BATCH] * 4
KILLS = 1 + len(STARTUP) + len(PAST_BLOCK)
#: A failure guard only: how long the test waits for an observation before it fails.
PATIENCE = 120.0


@pytest.fixture(scope="module")
def chain() -> Iterator[Served]:
    """The long generated chain (about 20,000 events)."""
    with served_chain() as served:
        yield served


def tail(log: Path) -> str:
    """The end of the indexer's output."""
    return log.read_text(errors="replace")[-2000:]


def wait_for(what: str, observed: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until `observed()`; the run must not end meanwhile."""
    deadline = time.monotonic() + PATIENCE
    while not observed():
        assert process.poll() is None, f"the run ended before {what}: {tail(log)}"
        assert time.monotonic() < deadline, f"no {what} within {PATIENCE:.0f} s: {tail(log)}"
        time.sleep(0.001)


def freeze(process: subprocess.Popen[bytes]) -> None:
    """SIGSTOP the writer and wait until it is seen stopped."""
    os.kill(process.pid, signal.SIGSTOP)
    deadline = time.monotonic() + PATIENCE
    while process_state(process.pid) != "T":
        assert time.monotonic() < deadline, "the writer did not stop"
        time.sleep(0.001)


def freeze_inside_a_write(
    db: str, gated: Callable[[], bool], process: subprocess.Popen[bytes], log: Path
) -> bool:
    """Wait until the writer holds a write transaction open, and stop it there (checked once it
    is stopped; else let it go on and look again). False if instead the run reached the held
    head block first (nothing more to write: the kill then comes at once)."""
    pid = process.pid
    while True:
        wait_for("write transaction", lambda: writing(db, pid) or gated(), process, log)
        freeze(process)
        if writing(db, pid):
            return True
        if gated():
            return False
        os.kill(pid, signal.SIGCONT)  # the transaction ended meanwhile: look for the next one


class Run:
    """One killed run: the indexer started after the proxy's counters were read."""

    def __init__(self, db: str, proxy: FaultyProxy, env: dict[str, str], log: Path) -> None:
        self.db, self.proxy, self.log = db, proxy, log
        self.before = checkpoint(db)
        self.asked, self.fetched = proxy.answered["eth_chainId"], proxy.answered["eth_getLogs"]
        self.held = proxy.held
        self.process = start_indexer(env, log)

    def gated(self) -> bool:
        """Whether this run asked for the held-back head block (it can write no further)."""
        return self.proxy.held > self.held

    def wait_for(self, what: str, observed: Callable[[], bool]) -> None:
        wait_for(what, observed, self.process, self.log)

    def inside_a_write(self) -> bool:
        return freeze_inside_a_write(self.db, self.gated, self.process, self.log)

    def passed(self, target: int) -> bool:
        """Whether this run's commits took the checkpoint to `target` or past it."""
        now = checkpoint(self.db)
        return now is not None and now >= target and (self.before is None or now > self.before)

    def reach(self, mode: str, target: int | None) -> str:
        """Wait until the run is where `mode` says (stopped there if inside a transaction);
        return where that was."""
        # Popen returns once the new program runs: "just started" is killed right away.
        if mode == "start-up: chain id asked":
            # `prepare` asks the chain id, then migrates (a check on a migrated database).
            self.wait_for(mode, lambda: self.proxy.answered["eth_chainId"] > self.asked)
        elif mode == "start-up: migration":
            if self.inside_a_write() and not schema_committed(self.db):
                return "start-up: inside the migration"
            return "start-up: inside a write after the migration"  # it was over before it was seen
        elif mode == "start-up: first batch":
            self.wait_for(
                "first eth_getLogs answer",
                lambda: self.proxy.answered["eth_getLogs"] > self.fetched or self.gated(),
            )
            return (
                "start-up: inside the first batch" if self.inside_a_write() else "start-up: at the held head"
            )
        elif mode in (AFTER_COMMIT, INSIDE_BATCH):
            assert target is not None
            self.wait_for(f"checkpoint past block {target}", lambda: self.passed(target) or self.gated())
            if mode == INSIDE_BATCH and not self.inside_a_write():
                return f"{mode} {target} (at the held head)"
            return f"{mode} {target}"
        return mode

    def kill(self) -> list[int]:
        """SIGKILL the writer; its prefetch children (to be seen dying with it)."""
        assert self.process.poll() is None, f"the run ended before its kill: {tail(self.log)}"
        helpers = children_of(self.process.pid)
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        return helpers


def test_sigkill_at_observed_points_then_the_mirror_equals_a_fresh_index(
    chain: Served, new_database: Callable[[], str], tmp_path: Path
) -> None:
    rng = random.Random(SEED)  # noqa: S311 (seeded kill points)
    head = chain.chain.head
    db = new_database()
    log = tmp_path / "cmir.indexer.log"
    # The first run is killed inside the migration of the empty database; the others in a
    # seeded order, those past a block at blocks spread over the backfill, in increasing order.
    later = [*STARTUP, *PAST_BLOCK]
    rng.shuffle(later)
    modes = ["start-up: migration", *later]
    targets = iter(sorted(rng.sample(range(40, head - 150), len(PAST_BLOCK))))
    kills: list[tuple[str, int | None, int | None]] = []
    with FaultyProxy(chain.url, fault_rate=0.0, hold_from_block=head) as proxy:
        env = indexer_env(proxy.url, chain.record, db, **SMALL_BATCHES)
        for n, mode in enumerate(modes):
            target = next(targets) if mode in (AFTER_COMMIT, INSIDE_BATCH) else None
            run = Run(db, proxy, env, log)
            try:
                where = run.reach(mode, target)
                helpers = run.kill()
            finally:
                stop_process(run.process)
            # The killed writer's transaction is gone (PostgreSQL notices the closed connection).
            deadline = time.monotonic() + PATIENCE
            while writing(db, run.process.pid):
                assert time.monotonic() < deadline, "the killed writer's transaction stayed open"
                time.sleep(0.01)
            at = checkpoint(db)
            assert at is None or at < head, f"kill {n} came after the backfill ended"
            kills.append((where, run.before, at))
            # The prefetch child dies with its writer (PR_SET_PDEATHSIG).
            deadline = time.monotonic() + PATIENCE
            while any(alive(pid) for pid in helpers):
                assert time.monotonic() < deadline, f"prefetch process(es) {helpers} outlived their writer"
                time.sleep(0.05)

    print("kills (where, checkpoint before, checkpoint after):", *kills, sep="\n  ")
    assert len(kills) == KILLS
    assert any(at is not None and at > 0 for _, _, at in kills), kills
    final = start_indexer(indexer_env(chain.url, chain.record, db, **SMALL_BATCHES), log)
    try:
        assert final.wait(300) == 0, tail(log)
    finally:
        stop_process(final)
    assert checkpoint(db) == head

    fresh = new_database()
    stats = run_indexer(chain.url, chain.record, fresh)
    assert stats.checkpoint == head
    assert diff(dump(db), dump(fresh)) == []
    # No duplicate, no gap: every log of the chain is there once.
    expected = count_logs(chain.anvil.rpc, chain.record, chain.chain.deployment_block, head)
    assert raw_counts(db) == (expected, expected)
    assert expected == chain.chain.events
