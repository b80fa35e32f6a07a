"""Indexer tests: real anvil processes and real SQLite or PostgreSQL mirrors."""
