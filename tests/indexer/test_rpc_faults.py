"""RPC faults: through a loopback proxy that drops connections, delays answers (some past the
client's timeout) and answers HTTP 429 or 500 to a seeded fifth of the requests, the indexer
gets to the head and its database equals a fresh index made through a clean connection. An
endpoint that keeps failing ends the indexer with a one-line error after its bounded retries,
and the checkpoint does not move."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.indexer.generated_chain import (
    Served,
    checkpoint,
    indexer_env,
    served_chain,
    start_indexer,
    stop_process,
)
from tests.indexer.indexer_mirror import diff, dump, run_indexer
from tests.indexer.rpc_proxy import FAULTS, FaultyProxy

SEED = 7_340_233


@pytest.fixture(scope="module")
def chain() -> Iterator[Served]:
    """The long generated chain (about 20,000 events in about 1,000 blocks)."""
    with served_chain() as served:
        yield served


def test_through_a_faulty_proxy_the_mirror_equals_a_fresh_index(
    chain: Served, new_database: Callable[[], str]
) -> None:
    head = chain.chain.head
    db, fresh = new_database(), new_database()
    # Faults bounded in count only: a slower machine gets as many as a faster one.
    with FaultyProxy(
        chain.url, seed=SEED, fault_rate=0.2, max_faults=200, fault_seconds=math.inf, long_delay=0.9
    ) as proxy:
        started = time.monotonic()
        stats = run_indexer(
            proxy.url,
            chain.record,
            db,
            initial_block_range=4,
            max_block_range=16,
            rpc_timeout=0.6,
            rpc_max_retries=10,
            rpc_backoff_base=0.01,
            rpc_backoff_max=0.1,
        )
        elapsed = time.monotonic() - started
    print(f"through the proxy in {elapsed:.1f}s: {dict(proxy.stats)}")
    assert stats.checkpoint == head
    # The faults happened: every kind, about a fifth of the requests.
    assert all(proxy.stats[kind] > 0 for kind in FAULTS), proxy.stats
    assert proxy.stats["requests"] >= 100, proxy.stats
    assert 0.1 < proxy.faults / proxy.stats["requests"] < 0.35, proxy.stats

    reference = run_indexer(chain.url, chain.record, fresh)
    assert reference.checkpoint == head
    assert diff(dump(db), dump(fresh)) == []


def test_an_endpoint_that_keeps_failing_ends_with_a_clear_error(
    chain: Served, new_database: Callable[[], str], tmp_path: Path
) -> None:
    head = chain.chain.head
    db = new_database()
    # Part of the chain indexed through a clean connection: the checkpoint is 300 blocks back.
    run_indexer(chain.url, chain.record, db, confirmations=300)
    assert checkpoint(db) == head - 300
    before = dump(db)
    log = tmp_path / "cmir.indexer.log"
    with FaultyProxy(chain.url, fault_rate=0.0, fail_methods=("eth_getLogs",)) as proxy:
        env = indexer_env(
            proxy.url, chain.record, db, rpc_max_retries=3, rpc_backoff_base=0.01, rpc_backoff_max=0.05
        )
        process = start_indexer(env, log)
        try:
            code = process.wait(120)  # a failure guard: bounded retries end it far sooner
        finally:
            stop_process(process)
    output = log.read_text()
    assert code == 1, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert "eth_getLogs" in errors[0] and "HTTP 500" in errors[0], errors[0]
    assert output.rstrip().endswith(errors[0])
    assert "Traceback" not in output, output
    # Bounded: 1 + 3 tries of eth_getLogs, then the error (no endless retrying).
    assert proxy.stats["permanent_500"] == 4, proxy.stats
    # The checkpoint did not move, and nothing else changed.
    assert checkpoint(db) == head - 300
    assert diff(dump(db), before) == []


def test_responses_over_the_size_cap_shrink_the_range(chain: Served, tmp_path: Path) -> None:
    """A 256 KiB cap on eth_getLogs responses (about 200 of these events) with 500-block first
    ranges: every oversized answer is dropped unread and the range shrunk, and nothing is lost."""
    capped, fresh = f"sqlite:///{tmp_path / 'capped.sqlite3'}", f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    stats = run_indexer(
        chain.url,
        chain.record,
        capped,
        max_response_bytes=262_144,
        initial_block_range=500,
        max_block_range=5_000,
    )
    assert stats.checkpoint == chain.chain.head
    assert stats.events == chain.chain.events
    run_indexer(chain.url, chain.record, fresh)
    assert diff(dump(capped), dump(fresh)) == []
