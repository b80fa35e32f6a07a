"""CMIR DAO transparency API: FastAPI over the indexer's database (read-only).

`cmir.api.app.create_app` builds the application; ``python -m cmir.api`` serves it with the
production server settings; ``python -m cmir.dev.bench.api`` measures it under load.
"""

__version__ = "0.1.0"
