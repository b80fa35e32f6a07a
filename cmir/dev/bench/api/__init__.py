"""``python -m cmir.dev.bench.api``: fill a database, serve the API with its production settings on
loopback, load it with concurrent clients, and print ``rps= p50_ms= p99_ms= errors= max_response_kb=``."""
