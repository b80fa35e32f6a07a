"""The indexer's settings: its section of CMIR's settings (`cmir.chain.settings.IndexerSettings`),
read from the environment (prefix ``CMIR_``) and overridden by the ``cmir index`` options."""

from __future__ import annotations

from cmir.chain.settings import DEFAULT_CONTRACTS, IndexerSettings

#: The indexer's settings class (the name its modules and tests use).
Settings = IndexerSettings

__all__ = ["DEFAULT_CONTRACTS", "IndexerSettings", "Settings"]
