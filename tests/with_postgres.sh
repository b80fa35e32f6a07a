#!/usr/bin/env bash
# Run a command with CMIR_TEST_POSTGRES_URL set: when it is not set already, a throwaway
# PostgreSQL server is started on loopback (tests/indexer/pg.sh, which installs Debian's
# postgresql if needed) and stopped afterwards, whatever the command's outcome.
# Usage: tests/with_postgres.sh COMMAND [ARG...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${CMIR_TEST_POSTGRES_URL:-}" ]]; then
  eval "$("$root/tests/indexer/pg.sh" start)"
  trap '"$root/tests/indexer/pg.sh" stop "$CMIR_TEST_POSTGRES_DIR"' EXIT
fi
"$@"
