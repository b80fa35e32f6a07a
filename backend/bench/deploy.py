"""Deploy the contracts on a running anvil through Ape (as ``ape run deploy`` does) and write the
deployment record: ``python -m backend.bench.deploy RPC_URL OUT_JSON``."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Connect Ape to `argv[0]`, deploy with the first test account, write the record to `argv[1]`."""
    rpc_url, out = argv[0], Path(argv[1])
    os.environ["APE_FOUNDRY_HOST"] = rpc_url
    from ape import accounts, networks

    from cmir.deployment import NetworkSettings, deploy, write_record

    with networks.parse_network_choice("ethereum:local:foundry"):
        deployer = accounts.test_accounts[0]
        settings = NetworkSettings.for_network("ethereum:local")
        founders = [(str(deployer.address), "Pilote")]
        deployment = deploy(deployer, settings, founders, str(deployer.address))
        write_record(deployment, "ethereum:local", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
