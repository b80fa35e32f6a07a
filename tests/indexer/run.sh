#!/usr/bin/env bash
# Run the indexer tests on SQLite and PostgreSQL: when CMIR_TEST_POSTGRES_URL is not set, a
# throwaway PostgreSQL server is started on loopback (pg.sh) and stopped afterwards.
# Usage, from anywhere: tests/indexer/run.sh [pytest arguments]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PATH="$root/node_modules/.bin:$root/.venv/bin:$PATH"
export SOLCX_BINARY_PATH="${SOLCX_BINARY_PATH:-$root/.solcx}"
export APE_DATA_FOLDER="${APE_DATA_FOLDER:-$root/.build/ape-data}"
if [[ -z "${CMIR_TEST_POSTGRES_URL:-}" ]]; then
  eval "$(tests/indexer/pg.sh start)"
  trap 'tests/indexer/pg.sh stop "$CMIR_TEST_POSTGRES_DIR"' EXIT
fi
python -m pytest tests/indexer "$@"
