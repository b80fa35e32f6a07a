"""CMIR DAO transparency API: FastAPI over the indexer's database (read-only).

`backend.app.create_app` builds the application; ``python -m backend`` serves it with the
production server settings; ``python -m backend.bench`` measures it under load.
"""

__version__ = "0.1.0"
