"""``python -m backend``: serve the API with the production server settings (``CMIR_*`` env)."""

import sys

from backend.errors import ConfigurationError
from backend.server import serve

if __name__ == "__main__":
    try:
        serve()
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
