"""The database side of the sync: checkpoint, batches written in one transaction, rollback to a
common ancestor, pruning of the reorg window, and rebuilding projections from the raw log."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, tuple_, update

from cmir.chain.deployment import Deployment
from cmir.chain.errors import DeploymentMismatchError
from cmir.indexer.errors import IndexerError, ProjectionError, ReorgTooDeepError
from cmir.indexer.events import RAW_COLUMNS, Event
from cmir.indexer.fetch import Header
from cmir.indexer.projections import AGGREGATE_TABLES, EVENT_TABLES, Projector, restore_images
from cmir.store import Checkpoint, IndexBatch, IndexedBlock, RawEvent, UndoImage
from cmir.store.bulk import insert_rows, insert_tuples
from cmir.store.session import upgrade

log = logging.getLogger(__name__)

RAW = RawEvent.__table__
BLOCKS = IndexedBlock.__table__
CHECKPOINTS = Checkpoint.__table__
BATCHES = IndexBatch.__table__
UNDO = UndoImage.__table__

REBUILD_CHUNK = 5_000


@dataclass(frozen=True)
class CheckpointState:
    """The last fully written block."""

    block_number: int
    block_hash: str | None


class Store:
    """Reads and writes the mirror of one deployment."""

    def __init__(
        self, engine: Engine, deployment: Deployment, projector: Projector, reorg_window: int
    ) -> None:
        self.engine = engine
        self.deployment = deployment
        self.chain_id = deployment.chain_id
        self.projector = projector
        self.reorg_window = reorg_window

    # ------------------------------------------------------------------ checkpoint

    def prepare(self) -> CheckpointState:
        """Migrate the schema to head and make sure the database mirrors this deployment."""
        upgrade(self.engine)
        fingerprint = self.deployment.fingerprint()
        with self.engine.begin() as connection:
            rows = connection.execute(select(CHECKPOINTS)).mappings().all()
            for row in rows:
                if row["chain_id"] != self.chain_id or row["fingerprint"] != fingerprint:
                    raise DeploymentMismatchError(
                        f"the database mirrors chain {row['chain_id']} deployment {row['fingerprint']}"
                        f" ({row['network']}), not chain {self.chain_id} deployment {fingerprint}:"
                        " use another database"
                    )
            if not rows:
                connection.execute(
                    insert(CHECKPOINTS).values(
                        chain_id=self.chain_id,
                        network=self.deployment.network,
                        fingerprint=fingerprint,
                        deployment_block=self.deployment.deployment_block,
                        block_number=self.deployment.deployment_block - 1,
                        block_hash=None,
                        updated_at=int(time.time()),
                    )
                )
        return self.checkpoint()

    def checkpoint(self, connection: Connection | None = None) -> CheckpointState:
        """The current checkpoint (read in `connection`'s transaction, locking the row on
        PostgreSQL so that a second writer waits instead of interleaving)."""
        query = select(CHECKPOINTS.c.block_number, CHECKPOINTS.c.block_hash).where(
            CHECKPOINTS.c.chain_id == self.chain_id
        )
        if connection is not None:
            row = connection.execute(query.with_for_update()).one()
        else:
            with self.engine.connect() as conn:
                row = conn.execute(query).one()
        return CheckpointState(int(row.block_number), row.block_hash)

    def stored_blocks(self, floor: int, ceiling: int) -> list[tuple[int, str]]:
        """(number, hash) of kept headers in ``floor..ceiling``, highest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(BLOCKS.c.number, BLOCKS.c.hash)
                .where(
                    BLOCKS.c.chain_id == self.chain_id, BLOCKS.c.number >= floor, BLOCKS.c.number <= ceiling
                )
                .order_by(BLOCKS.c.number.desc())
            ).all()
        return [(int(r.number), r.hash) for r in rows]

    # ------------------------------------------------------------------ writing

    def write_batch(
        self, first: int, last: int, headers: dict[int, Header], events: list[Event], keep_undo: bool
    ) -> int:
        """Write one batch — raw events, projections, headers, batch record, checkpoint — in one
        transaction. Events already in the raw log are skipped, so writing a range twice changes
        nothing. Returns how many new events were written."""
        with self.engine.begin() as connection:
            current = self.checkpoint(connection)
            existing = self._existing_keys(connection, first, last)
            fresh = [e for e in events if (e.tx_hash, e.log_index) not in existing]
            if first <= current.block_number:
                if fresh:
                    raise IndexerError(
                        f"blocks {first}..{last} are below the checkpoint but hold events missing from the"
                        " mirror: run `cmir index rebuild` after checking the database"
                    )
                return 0
            if first != current.block_number + 1:
                raise IndexerError(
                    f"batch {first}..{last} does not follow the checkpoint {current.block_number}"
                )
            if all(e.args_json is not None for e in fresh):  # serialised by the prefetch process
                insert_tuples(connection, RAW, RAW_COLUMNS, [e.raw_tuple() for e in fresh])
            else:
                insert_rows(connection, RAW, [e.raw_row() for e in fresh])
            try:
                self.projector.apply(connection, self.chain_id, fresh, first if keep_undo else None)
            except (KeyError, TypeError, ValueError) as exc:
                raise ProjectionError(f"cannot project blocks {first}..{last}: {exc!r}") from exc
            with_events = {e.block_number for e in fresh}
            connection.execute(
                insert(BLOCKS),
                [
                    {
                        "chain_id": self.chain_id,
                        "number": h.number,
                        "hash": h.hash,
                        "parent_hash": h.parent_hash,
                        "timestamp": h.timestamp,
                        "has_events": h.number in with_events,
                    }
                    for h in sorted(headers.values(), key=lambda h: h.number)
                ],
            )
            connection.execute(
                insert(BATCHES).values(
                    chain_id=self.chain_id,
                    first_block=first,
                    last_block=last,
                    events=len(fresh),
                    with_undo=keep_undo,
                    indexed_at=int(time.time()),
                )
            )
            connection.execute(
                update(CHECKPOINTS)
                .where(CHECKPOINTS.c.chain_id == self.chain_id)
                .values(block_number=last, block_hash=headers[last].hash, updated_at=int(time.time()))
            )
            self._prune(connection, last)
        return len(fresh)

    def _existing_keys(self, connection: Connection, first: int, last: int) -> set[tuple[str, int]]:
        rows = connection.execute(
            select(RAW.c.tx_hash, RAW.c.log_index).where(
                RAW.c.chain_id == self.chain_id, RAW.c.block_number >= first, RAW.c.block_number <= last
            )
        )
        return {(r.tx_hash, int(r.log_index)) for r in rows}

    def _prune(self, connection: Connection, checkpoint: int) -> None:
        """Forget undo images, batch records and event-less headers below the reorg window."""
        floor = checkpoint - self.reorg_window
        old = select(BATCHES.c.first_block).where(
            BATCHES.c.chain_id == self.chain_id, BATCHES.c.last_block < floor
        )
        connection.execute(
            delete(UNDO).where(UNDO.c.chain_id == self.chain_id, UNDO.c.batch_first_block.in_(old))
        )
        connection.execute(
            delete(BATCHES).where(BATCHES.c.chain_id == self.chain_id, BATCHES.c.last_block < floor)
        )
        kept_links = select(BATCHES.c.first_block - 1).where(BATCHES.c.chain_id == self.chain_id)
        connection.execute(
            delete(BLOCKS).where(
                BLOCKS.c.chain_id == self.chain_id,
                BLOCKS.c.number < floor,
                BLOCKS.c.has_events.is_(False),
                BLOCKS.c.number.not_in(kept_links),
            )
        )

    # ------------------------------------------------------------------ reorgs

    def rollback(self, ancestor: int) -> CheckpointState:
        """Undo every batch reaching above `ancestor` in one transaction; returns the new
        checkpoint (the block before the earliest batch undone, at or below `ancestor`)."""
        with self.engine.begin() as connection:
            batches = connection.execute(
                select(BATCHES)
                .where(BATCHES.c.chain_id == self.chain_id, BATCHES.c.last_block > ancestor)
                .order_by(BATCHES.c.first_block.desc())
            ).all()
            current = self.checkpoint(connection)
            if not batches:
                if current.block_number > ancestor:
                    raise ReorgTooDeepError(
                        f"the chain forked at block {ancestor + 1}, below the kept window (checkpoint"
                        f" {current.block_number}, window {self.reorg_window}):"
                        " rebuild the mirror from scratch"
                    )
                return current
            if not all(b.with_undo for b in batches):
                raise ReorgTooDeepError(
                    f"the chain forked at block {ancestor + 1}, below the blocks whose undo images are kept"
                    f" (checkpoint {current.block_number}, window {self.reorg_window}):"
                    " rebuild the mirror from scratch"
                )
            target = min(int(b.first_block) for b in batches) - 1
            for batch in batches:  # latest first: the earliest image of a row is applied last
                images = connection.execute(
                    select(UNDO.c.table_name, UNDO.c.row_key, UNDO.c.image)
                    .where(UNDO.c.chain_id == self.chain_id, UNDO.c.batch_first_block == batch.first_block)
                    .order_by(UNDO.c.id)
                ).all()
                restore_images(connection, [(r.table_name, list(r.row_key), r.image) for r in images])
            self._delete_above(connection, target)
            link = connection.execute(
                select(BLOCKS.c.hash).where(BLOCKS.c.chain_id == self.chain_id, BLOCKS.c.number == target)
            ).scalar()
            connection.execute(
                update(CHECKPOINTS)
                .where(CHECKPOINTS.c.chain_id == self.chain_id)
                .values(block_number=target, block_hash=link, updated_at=int(time.time()))
            )
        return CheckpointState(target, link)

    def _delete_above(self, connection: Connection, block: int) -> None:
        chain = self.chain_id
        for table in EVENT_TABLES:
            connection.execute(delete(table).where(table.c.chain_id == chain, table.c.block_number > block))
        connection.execute(delete(RAW).where(RAW.c.chain_id == chain, RAW.c.block_number > block))
        connection.execute(delete(BLOCKS).where(BLOCKS.c.chain_id == chain, BLOCKS.c.number > block))
        connection.execute(delete(UNDO).where(UNDO.c.chain_id == chain, UNDO.c.batch_first_block > block))
        connection.execute(delete(BATCHES).where(BATCHES.c.chain_id == chain, BATCHES.c.first_block > block))

    # ------------------------------------------------------------------ rebuild

    def rebuild(self) -> int:
        """Recompute every projection from the raw log, in one transaction. The blocks of the
        reorg window become one batch with undo images, so a later reorg can still roll back."""
        chain = self.chain_id
        with self.engine.begin() as connection:
            current = self.checkpoint(connection)
            for table in (*EVENT_TABLES, *AGGREGATE_TABLES.values()):
                connection.execute(delete(table).where(table.c.chain_id == chain))
            connection.execute(delete(UNDO).where(UNDO.c.chain_id == chain))
            connection.execute(delete(BATCHES).where(BATCHES.c.chain_id == chain))
            window_start = max(current.block_number - self.reorg_window + 1, self.deployment.deployment_block)
            count = 0
            for chunk in self._raw_chunks(connection, window_start - 1):
                self.projector.apply(connection, chain, chunk, None)
                count += len(chunk)
            if window_start > self.deployment.deployment_block:
                self._record_batch(
                    connection, self.deployment.deployment_block, window_start - 1, count, False
                )
            if current.block_number >= window_start:
                tail = [
                    e
                    for chunk in self._raw_chunks(connection, current.block_number, window_start)
                    for e in chunk
                ]
                self.projector.apply(connection, chain, tail, window_start)
                self._record_batch(connection, window_start, current.block_number, len(tail), True)
                count += len(tail)
        return count

    def _record_batch(self, connection: Connection, first: int, last: int, events: int, undo: bool) -> None:
        connection.execute(
            insert(BATCHES).values(
                chain_id=self.chain_id,
                first_block=first,
                last_block=last,
                events=events,
                with_undo=undo,
                indexed_at=int(time.time()),
            )
        )

    def _raw_chunks(self, connection: Connection, until: int, since: int = 0) -> Iterator[list[Event]]:
        """Raw events of blocks ``since..until`` in chain order, in chunks that never split a block
        (a transaction's events must be projected together)."""
        position = (since - 1, 2**31 - 1)  # after every log of block since - 1
        while True:
            rows = connection.execute(
                select(RAW)
                .where(
                    RAW.c.chain_id == self.chain_id,
                    RAW.c.block_number <= until,
                    tuple_(RAW.c.block_number, RAW.c.log_index) > position,
                )
                .order_by(RAW.c.block_number, RAW.c.log_index)
                .limit(REBUILD_CHUNK)
            ).all()
            if not rows:
                return
            events = [Event.from_raw_row(r) for r in rows]
            if len(rows) == REBUILD_CHUNK:
                last_block = events[-1].block_number
                complete = [e for e in events if e.block_number < last_block]
                if complete:
                    events = complete
                else:  # one block holds a whole chunk: read it entirely
                    rest = connection.execute(
                        select(RAW)
                        .where(RAW.c.chain_id == self.chain_id, RAW.c.block_number == last_block)
                        .order_by(RAW.c.log_index)
                    ).all()
                    events = [Event.from_raw_row(r) for r in rest]
            position = (events[-1].block_number, events[-1].log_index)
            yield events

    # ------------------------------------------------------------------ status

    def counts(self) -> dict[str, int]:
        """Rows per table of this chain."""
        result: dict[str, int] = {}
        with self.engine.connect() as connection:
            for table in (RAW, *EVENT_TABLES, *AGGREGATE_TABLES.values(), BLOCKS, BATCHES, UNDO):
                result[table.name] = int(
                    connection.execute(
                        select(func.count()).select_from(table).where(table.c.chain_id == self.chain_id)
                    ).scalar_one()
                )
        return result

    def last_batch_time(self) -> int | None:
        """Unix time of the last batch written."""
        with self.engine.connect() as connection:
            value = connection.execute(
                select(CHECKPOINTS.c.updated_at).where(and_(CHECKPOINTS.c.chain_id == self.chain_id))
            ).scalar()
        return int(value) if value is not None else None
