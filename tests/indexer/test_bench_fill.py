"""The API bench's database is written by the indexer, not beside it: the synthetic year's events
go through the indexer's writer and projector (whose arithmetic checks find no mismatch), and
`cmir index rebuild` gives the same rows back from the raw log."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from cmir.chain.abi import AbiRegistry
from cmir.chain.deployment import Deployment, load_deployment
from cmir.dev.bench.api import chain as bench_chain
from cmir.dev.bench.api.fill import fill
from cmir.dev.bench.api.ledger import PoolSettings
from cmir.dev.bench.api.synthetic import Block
from cmir.dev.bench.api.year import Sizes
from cmir.indexer.metadata import MetadataPolicy, refresh_metadata
from cmir.indexer.projections import Projector
from cmir.indexer.store import Store
from cmir.store import DaoState, EssProject
from tests.indexer.indexer_mirror import diff, dump, engine_for

DAYS = 40
SIZES = Sizes(
    members=200,
    relations=3_000,
    proposals=30,
    contributions=100,
    claims=400,
    projects=30,
    fundings=40,
    spends=30,
    votes_per_proposal=8,
    pending_invitations=10,
)


@dataclass(frozen=True)
class BenchChain:
    """A deployment on an anvil whose genesis is `DAYS` days ago, and one block per day since."""

    deployment: Deployment
    blocks: list[Block]
    settings: PoolSettings


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchChain]:
    """The bench's chain, shortened."""
    anvil = bench_chain.Anvil(genesis_time=int(time.time()) - (DAYS + 1) * bench_chain.DAY)
    try:
        record: Path = tmp_path_factory.mktemp("bench") / "deployment.json"
        bench_chain.deploy(anvil.url, record)
        settings = bench_chain.pool_settings(anvil.url, record)
        yield BenchChain(load_deployment(record), bench_chain.daily_blocks(anvil.url, DAYS), settings)
    finally:
        anvil.stop()


def test_the_bench_year_is_indexed_and_rebuilds_to_the_same_rows(
    bench: BenchChain, new_database: Callable[[], str]
) -> None:
    db = new_database()
    counts = fill(db, bench.deployment, bench.blocks, SIZES, bench.settings)
    assert counts["relations"] == SIZES.relations
    assert counts["members"] == SIZES.members
    assert counts["proposals"] == SIZES.proposals
    assert counts["votes"] == SIZES.proposals * SIZES.votes_per_proposal
    engine = engine_for(db)
    with engine.connect() as connection:
        state = connection.execute(select(DaoState.__table__)).mappings().one()
        statuses = set(connection.execute(select(EssProject.__table__.c.metadata_status)).scalars())
    assert state["accumulator_mismatches"] == 0
    assert state["relation_count"] == SIZES.relations
    assert state["active_members"] == SIZES.members - SIZES.members // 50
    assert statuses == {"ok"}  # fetched and checked by the indexer's metadata path

    before = dump(db)
    store = Store(engine, bench.deployment, Projector(AbiRegistry(bench.deployment)), 128)
    assert store.rebuild() == counts["raw_events"]
    refresh_metadata(engine, bench.deployment.chain_id, MetadataPolicy(), 0, limit=SIZES.projects)
    assert diff(before, dump(db)) == []
