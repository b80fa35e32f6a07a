"""`make up`: anvil, the contracts, a seeded demo, the indexer and the API, until Ctrl-C.

See `cmir.apps.stack` (settings by environment: CMIR_ANVIL_PORT, CMIR_PORT, CMIR_METADATA_PORT,
CMIR_STATE_DIR, CMIR_DEPLOYMENT_FILE, CMIR_DEMO_ACCOUNTS, CMIR_DEMO=0). Every run starts from a
clean state: a fresh anvil chain and a wiped state folder (.build/stack).
"""

from __future__ import annotations

from cmir.apps.stack import main

if __name__ == "__main__":
    main()
