"""The indexer's own exceptions (`IndexerError`); the configuration, database and JSON-RPC errors
it shares with the other layers live in `cmir.chain.errors`."""

from __future__ import annotations

from cmir.chain.errors import CmirError


class IndexerError(CmirError):
    """Base class of the errors only the indexer raises."""


class ChainMovedError(IndexerError):
    """The chain changed while a batch was being fetched; the batch is discarded and fetched again."""


class ReorgTooDeepError(IndexerError):
    """A reorganisation reaches below the kept window of block hashes and undo images."""


class ProjectionError(IndexerError):
    """An event cannot be applied to the projections (the mirror would diverge from the chain)."""
