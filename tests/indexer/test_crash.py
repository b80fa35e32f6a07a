"""Crash safety: the indexer, run as a subprocess over a long backfill in small batches, is
killed with SIGKILL at 10 random points (seeded) and restarted each time; then it runs to the
end. The final database equals a fresh index, holds every log of the chain exactly once, and the
killed writers' prefetch children died with them."""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from generated_chain import (
    Served,
    alive,
    checkpoint,
    children_of,
    indexer_env,
    raw_counts,
    served_chain,
    start_indexer,
    stop_process,
)
from indexer_mirror import diff, dump, run_indexer

from indexer.bench import count_logs

KILLS = 10
SEED = 20_240_611
#: Small batches: many commits, so kills land before, inside and after them.
SMALL_BATCHES = {"target_batch_events": 150, "initial_block_range": 4, "max_block_range": 16}


@pytest.fixture(scope="module")
def chain() -> Iterator[Served]:
    """The long generated chain (about 20,000 events)."""
    with served_chain() as served:
        yield served


def test_sigkill_at_random_points_then_the_mirror_equals_a_fresh_index(
    chain: Served, new_database: Callable[[], str], tmp_path: Path
) -> None:
    rng = random.Random(SEED)  # noqa: S311 (seeded kill times)
    head = chain.chain.head
    db = new_database()
    env = indexer_env(chain.url, chain.record, db, **SMALL_BATCHES)
    log = tmp_path / "indexer.log"
    kills: list[tuple[str, int | None, int | None]] = []
    # Three kills anywhere from start-up on (imports, migration, the first batches); the others a
    # random moment after the checkpoint has passed random blocks spread over the backfill.
    modes = ["any time"] * 3 + ["after block"] * (KILLS - 3)
    rng.shuffle(modes)
    targets = iter(sorted(rng.sample(range(40, head - 150), modes.count("after block"))))
    for n, mode in enumerate(modes):
        before = checkpoint(db)
        target = next(targets) if mode == "after block" else None
        process = start_indexer(env, log)
        try:
            if target is None:
                time.sleep(rng.uniform(0.5, 2.0))
            else:
                deadline = time.monotonic() + 120
                while (
                    (now := checkpoint(db)) is None or now < target or (before is not None and now <= before)
                ):
                    assert process.poll() is None, f"run {n} ended before its kill: {log.read_text()[-2000:]}"
                    assert time.monotonic() < deadline, "the indexer made no progress"
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 0.2))
            assert process.poll() is None, f"run {n} finished before its kill: raise the chain's length"
            helpers = children_of(process.pid)
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        finally:
            stop_process(process)
        at = checkpoint(db)
        assert at is None or at < head, f"kill {n} came after the backfill ended"
        kills.append((f"{mode} {target}" if target else mode, before, at))
        # The prefetch child dies with its writer (PR_SET_PDEATHSIG).
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in helpers):
            assert time.monotonic() < deadline, f"prefetch process(es) {helpers} outlived the killed writer"
            time.sleep(0.05)

    print("kills (mode, checkpoint before, checkpoint after):", kills)
    assert len(kills) == KILLS
    assert any(at is not None and at > 0 for _, _, at in kills), kills
    final = start_indexer(env, log)
    try:
        assert final.wait(300) == 0, log.read_text()[-3000:]
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
