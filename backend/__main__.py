"""``python -m backend``: serve the API with the production server settings (``CMIR_*`` env)."""

from backend.server import serve

if __name__ == "__main__":
    serve()
