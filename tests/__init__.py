"""The project's tests: one package per part (contracts, indexer, api, web, e2e), so that their helpers
import as ``tests.<part>.<module>``."""
