"""API tests: the application over a mirror the real indexer filled."""
