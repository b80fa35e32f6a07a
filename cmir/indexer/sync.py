"""The indexer: backfill from the checkpoint to the head, then follow it; detect reorgs by block
hash and roll back to the common ancestor.

Each loop: read the head; check the checkpoint's block hash is still canonical (a reorg at or
below it shows here, even when the chain did not grow); index batches up to ``head -
confirmations``, each checked against the stored parent hash; fetch ESS metadata; sleep.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from cmir.chain.abi import AbiRegistry
from cmir.chain.deployment import Deployment, load_deployment
from cmir.chain.errors import DeploymentMismatchError
from cmir.chain.rpc import RpcClient
from cmir.indexer.errors import ChainMovedError, IndexerError, ReorgTooDeepError
from cmir.indexer.fetch import ChainSource, RangeSizer
from cmir.indexer.metadata import MetadataPolicy, refresh_metadata
from cmir.indexer.prefetch import open_prefetcher
from cmir.indexer.progress import NoProgress, Progress
from cmir.indexer.projections import Projector
from cmir.indexer.settings import Settings
from cmir.indexer.store import CheckpointState, Store
from cmir.store.session import WalCheckpointer, make_engine, sqlite_file

log = logging.getLogger(__name__)

MAX_CHAIN_MOVES = 20
BACKFILL_BLOCKS = 1_000
HEADER_CHUNK = 32


@dataclass
class RunStats:
    """What a run did."""

    batches: int = 0
    events: int = 0
    reorgs: int = 0
    rolled_back_blocks: int = 0
    checkpoint: int = 0
    head: int = 0
    unknown_logs: int = 0
    reorg_log: list[tuple[int, int]] = field(default_factory=list)


class Indexer:
    """One writer mirroring one deployment into one database."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        rpc: RpcClient | None = None,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.deployment: Deployment = load_deployment(settings.deployment_file).select(
            tuple(settings.contracts)
        )
        self.abi = AbiRegistry(self.deployment)
        # Its commits never checkpoint SQLite's WAL (but past 1 GiB): `run` does it beside them.
        self.engine = engine or make_engine(settings.database_url, wal_autocheckpoint=262_144, writer=True)
        self.store = Store(self.engine, self.deployment, Projector(self.abi), settings.reorg_window)
        self.rpc = rpc or RpcClient(
            settings.rpc_url,
            timeout=settings.rpc_timeout,
            max_retries=settings.rpc_max_retries,
            backoff_base=settings.rpc_backoff_base,
            backoff_max=settings.rpc_backoff_max,
            batch_size=settings.rpc_batch_size,
        )
        sizer = RangeSizer(
            settings.initial_block_range, settings.max_block_range, settings.target_batch_events
        )
        self.source = ChainSource(
            self.rpc,
            self.abi.addresses,
            sizer,
            max_failures=settings.rpc_max_retries,
            sleep=sleep,
            max_response_bytes=settings.max_response_bytes,
        )
        self.progress: Progress = progress or NoProgress()
        self.metadata_policy = MetadataPolicy(
            timeout=settings.metadata_timeout,
            max_bytes=settings.metadata_max_bytes,
            file_root=settings.metadata_file_root,
            allow_private_hosts=settings.metadata_allow_private_hosts,
        )
        self._sleep = sleep
        self.stop = stop or threading.Event()
        self.stats = RunStats()

    def prepare(self) -> CheckpointState:
        """Migrate the database and check it and the RPC endpoint serve this deployment."""
        chain_id = self.source.chain_id()
        if chain_id != self.deployment.chain_id:
            raise DeploymentMismatchError(
                f"the RPC endpoint serves chain {chain_id},"
                f" the deployment file is for chain {self.deployment.chain_id}"
            )
        return self.store.prepare()

    def run(self, follow: bool = False) -> RunStats:
        """Index to the head (minus the confirmations); with `follow`, keep polling until stopped."""
        self.prepare()
        thresholds = gc.get_threshold()
        gc.set_threshold(100_000, 50, 100)  # batches allocate many small objects, none cyclic
        path = sqlite_file(self.engine)
        checkpoints = WalCheckpointer(path) if path is not None else contextlib.nullcontext()
        try:
            with checkpoints:
                while not self.stop.is_set():
                    self.poll()
                    if not follow:
                        break
                    self.stop.wait(self.settings.poll_interval)
        finally:
            gc.set_threshold(*thresholds)
        return self.stats

    def poll(self) -> None:
        """One round: check for a reorg, index up to the confirmed head, fetch metadata."""
        head = self.source.head()
        self.stats.head = head
        target = head - self.settings.confirmations
        self.check_checkpoint(head)
        checkpoint = self.store.checkpoint()
        if checkpoint.block_number < target:
            self.sync_to(target)
        refresh_metadata(
            self.engine, self.deployment.chain_id, self.metadata_policy, self.settings.metadata_retry_seconds
        )
        self.stats.checkpoint = self.store.checkpoint().block_number

    def check_checkpoint(self, head: int) -> None:
        """Roll back if the checkpoint's block is no longer canonical."""
        checkpoint = self.store.checkpoint()
        if checkpoint.block_hash is None:
            return
        canonical = self.source.header(checkpoint.block_number) if checkpoint.block_number <= head else None
        if canonical is None or canonical.hash != checkpoint.block_hash:
            self.handle_reorg(checkpoint)

    def sync_to(self, target: int) -> None:
        """Index batches until the checkpoint reaches `target`. A background thread fetches and
        decodes the next batches while the current one is written."""
        checkpoint = self.store.checkpoint()
        # The bar (or periodic lines) is for backfills; following the head logs each batch.
        backfill = target - checkpoint.block_number >= BACKFILL_BLOCKS or self.stats.batches == 0
        progress = self.progress if backfill else NoProgress()
        progress.start(checkpoint.block_number + 1, target)
        moves = 0
        # Batches that end within the reorg window below the target keep undo images.
        window_start = target - self.settings.reorg_window
        while checkpoint.block_number < target and not self.stop.is_set():
            prefetcher = open_prefetcher(
                self.settings.prefetch,
                self.source,
                self.abi,
                checkpoint.block_number + 1,
                target,
                window_start,
            )
            try:
                while not self.stop.is_set():
                    item = prefetcher.get()
                    if item is None:
                        break
                    batch, events = item
                    self.stats.unknown_logs += batch.unknown
                    start = batch.headers.get(batch.first)
                    if checkpoint.block_hash is not None and (
                        start is None or start.parent_hash != checkpoint.block_hash
                    ):
                        raise ChainMovedError(
                            f"block {batch.first} does not follow the stored block {batch.first - 1}"
                        )
                    written = self.store.write_batch(
                        batch.first, batch.last, batch.headers, events, keep_undo=batch.last > window_start
                    )
                    self.stats.batches += 1
                    self.stats.events += written
                    progress.advance(batch.last, written)
                    if not backfill:
                        log.log(
                            logging.INFO if written else logging.DEBUG,
                            "blocks %d..%d: %d events",
                            batch.first,
                            batch.last,
                            written,
                        )
                    checkpoint = self.store.checkpoint()
            except ChainMovedError as exc:
                prefetcher.close()
                moves += 1
                if moves > MAX_CHAIN_MOVES:
                    raise IndexerError(f"the chain keeps changing under the indexer: {exc}") from None
                log.info("%s; checking for a reorg", exc)
                self.check_checkpoint(self.source.head())
                checkpoint = self.store.checkpoint()
            finally:
                prefetcher.close()
        progress.finish()

    def handle_reorg(self, checkpoint: CheckpointState) -> None:
        """Find the highest kept block still canonical and roll back to it."""
        floor = checkpoint.block_number - self.settings.reorg_window
        stored = self.store.stored_blocks(max(floor, 0), checkpoint.block_number)
        ancestor: int | None = None
        for start in range(0, len(stored), HEADER_CHUNK):
            chunk = stored[start : start + HEADER_CHUNK]
            canonical = self.source.headers([number for number, _ in chunk])
            for number, stored_hash in chunk:
                header = canonical.get(number)
                if header is not None and header.hash == stored_hash:
                    ancestor = number
                    break
            if ancestor is not None:
                break
        if ancestor is None:
            if floor < self.deployment.deployment_block:
                ancestor = self.deployment.deployment_block - 1
            else:
                raise ReorgTooDeepError(
                    f"no block kept in {floor}..{checkpoint.block_number} is still on the chain: the reorg"
                    f" is deeper than the window of {self.settings.reorg_window} blocks;"
                    " rebuild the mirror from scratch"
                )
        restored = self.store.rollback(ancestor)
        depth = checkpoint.block_number - restored.block_number
        self.stats.reorgs += 1
        self.stats.rolled_back_blocks += depth
        self.stats.reorg_log.append((ancestor, restored.block_number))
        log.warning(
            "reorg: block %d is no longer canonical; common ancestor %d, rolled back to %d (%d blocks)",
            checkpoint.block_number,
            ancestor,
            restored.block_number,
            depth,
        )
