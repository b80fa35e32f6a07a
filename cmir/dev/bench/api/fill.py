"""The bench's database, written by the indexer itself: the synthetic year's events (`year`)
go through the indexer's writer (`Store.write_batch`: raw log, projections by the `Projector`,
headers, batch records, checkpoint) in batches of consecutive blocks, as the indexer writes
what it decoded; the ESS projects' metadata is then fetched and checked by the indexer's
metadata path. Nothing here writes a projection row, so ``cmir index rebuild`` on the result
gives the same rows back."""

from __future__ import annotations

import random
from collections.abc import Sequence

from sqlalchemy import select

from cmir.chain.abi import AbiRegistry
from cmir.chain.deployment import Deployment
from cmir.dev.bench.api.ledger import PoolSettings
from cmir.dev.bench.api.synthetic import Block, ShapeCheck
from cmir.dev.bench.api.year import Sizes, Year
from cmir.indexer.events import Event
from cmir.indexer.fetch import Header
from cmir.indexer.metadata import MetadataPolicy, refresh_metadata
from cmir.indexer.projections import Projector
from cmir.indexer.store import Store
from cmir.store import DaoState
from cmir.store.session import make_engine

#: Events per batch written: far more than the indexer's default (5,000), because nothing waits
#: on a chain here and a batch boundary costs: the projector reads from the database where a
#: member's points pending since an earlier batch matured (one query per such member settled;
#: 20,000 made the fill half again slower), and rewrites every member the batch touched.
BATCH_EVENTS = 100_000
#: The indexer's default reorg window: batches reaching into it keep undo images, as the
#: indexer's would.
REORG_WINDOW = 128


def fill(
    url: str,
    deployment: Deployment,
    blocks: Sequence[Block],
    sizes: Sizes,
    settings: PoolSettings,
    seed: int = 7,
) -> dict[str, int]:
    """Create the schema at `url` and index the synthetic year of the pool deployed with
    `settings` on `blocks`; returns rows per table."""
    engine = make_engine(url)
    registry = AbiRegistry(deployment)
    store = Store(engine, deployment, Projector(registry), REORG_WINDOW)
    check = ShapeCheck(registry)
    year = Year(random.Random(seed), deployment, blocks, sizes, settings)  # noqa: S311 (synthetic data)
    head = blocks[-1].number
    first = store.prepare().block_number + 1
    headers: dict[int, Header] = {}
    events: list[Event] = []
    for block, block_events in year.blocks():
        check(block_events)
        headers[block.number] = Header(block.number, block.hash, block.parent_hash, block.timestamp)
        events.extend(block_events)
        if len(events) >= BATCH_EVENTS or block.number == head:
            written = store.write_batch(
                first, block.number, headers, events, keep_undo=block.number > head - REORG_WINDOW
            )
            if written != len(events):
                raise RuntimeError(
                    f"blocks {first}..{block.number}: {written} of {len(events)} events written"
                )
            first, headers, events = block.number + 1, {}, []
    refresh_metadata(engine, deployment.chain_id, MetadataPolicy(), retry_seconds=0, limit=sizes.projects)
    with engine.connect() as connection:
        mismatches = connection.execute(
            select(DaoState.__table__.c.accumulator_mismatches).where(
                DaoState.__table__.c.chain_id == deployment.chain_id
            )
        ).scalar_one()
    counts = store.counts()
    engine.dispose()
    if mismatches:
        raise RuntimeError(f"the projector disagrees {mismatches} time(s) with the synthetic year's books")
    return counts
