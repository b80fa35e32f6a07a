"""``python -m cmir.api``: serve the API with the production server settings (``CMIR_*`` env)."""

import sys

from cmir.api.errors import ConfigurationError
from cmir.api.server import serve

if __name__ == "__main__":
    try:
        serve()
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
