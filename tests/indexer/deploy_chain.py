"""Deploy the CMIR DAO contracts on a running anvil and write the deployment record.

Usage (from the repository root): python tests/indexer/deploy_chain.py RPC_URL OUT_JSON
[FOUNDER:KIND ...]. Runs inside Ape (it compiles nothing new: the project's build is reused)
and calls `cmir.deployment.deploy` / `write_record` exactly as `ape run deploy` does, with the
first test account as deployer and steward unless `--steward ADDRESS` is given.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Connect Ape to `argv[0]`, deploy, write the record to `argv[1]`."""
    rpc_url, out = argv[0], Path(argv[1])
    rest = argv[2:]
    steward: str | None = None
    if "--steward" in rest:
        index = rest.index("--steward")
        steward = rest[index + 1]
        rest = rest[:index] + rest[index + 2 :]
    os.environ["APE_FOUNDRY_HOST"] = rpc_url
    from ape import accounts, networks

    from cmir.deployment import NetworkSettings, deploy, write_record

    with networks.parse_network_choice("ethereum:local:foundry"):
        deployer = accounts.test_accounts[0]
        founders = [tuple(item.split(":", 1)) for item in rest] or [(str(deployer.address), "Pilote")]
        settings = NetworkSettings.for_network("ethereum:local")
        deployment = deploy(deployer, settings, founders, steward or str(deployer.address))  # type: ignore[arg-type]
        write_record(deployment, "ethereum:local", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
