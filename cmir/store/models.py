"""Tables the sync itself keeps: the raw event log, block headers, the checkpoint, and the undo
images that let a reorganisation be rolled back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cmir.store.base import Base
from cmir.store.types import BigId, Json


class RawEvent(Base):
    """Every event of the indexed contracts, decoded with the deployment's ABIs."""

    __tablename__ = "raw_events"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index"),
        Index("ix_raw_events_chain_block", "chain_id", "block_number", "log_index"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    block_time: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))
    tx_index: Mapped[int] = mapped_column(Integer)
    log_index: Mapped[int] = mapped_column(Integer)
    contract: Mapped[str] = mapped_column(String(32), doc="role in the deployment: pool, membership...")
    address: Mapped[str] = mapped_column(String(42))
    event: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(Json, doc="decoded arguments; integers exact")


class IndexedBlock(Base):
    """A block header the indexer relies on: every block holding an event, the end of every
    batch (the checkpoint's parent link) and, near the head, the blocks used to find a fork."""

    __tablename__ = "indexed_blocks"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(66))
    parent_hash: Mapped[str] = mapped_column(String(66))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    has_events: Mapped[bool] = mapped_column(Boolean, default=False)


class Checkpoint(Base):
    """The last block whose events, projections and header are all written (one row per chain)."""

    __tablename__ = "checkpoints"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    network: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(32), doc="digest of the deployment's addresses")
    deployment_block: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(String(66))
    updated_at: Mapped[int] = mapped_column(BigInteger, doc="unix seconds of the last write")


class IndexBatch(Base):
    """A block range written in one transaction. Batches near the head keep undo images."""

    __tablename__ = "index_batches"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    first_block: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    last_block: Mapped[int] = mapped_column(BigInteger, index=True)
    events: Mapped[int] = mapped_column(Integer)
    with_undo: Mapped[bool] = mapped_column(Boolean)
    indexed_at: Mapped[int] = mapped_column(BigInteger)


class UndoImage(Base):
    """The state of one aggregate row before a batch changed it (``image`` null: it did not exist)."""

    __tablename__ = "undo_images"
    __table_args__ = (Index("ix_undo_images_batch", "chain_id", "batch_first_block"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    batch_first_block: Mapped[int] = mapped_column(BigInteger)
    table_name: Mapped[str] = mapped_column(String(64))
    row_key: Mapped[list[Any]] = mapped_column(Json)
    image: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
