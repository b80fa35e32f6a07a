"""`make up` (until the indexer and API exist): start anvil, deploy and wire the contracts, write
deployments/local.json, and keep the chain running until Ctrl-C.

anvil listens on 127.0.0.1:8545 (CMIR_ANVIL_PORT to change it); its state starts clean each time.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Block until something listens on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    sys.exit(f"anvil did not start on port {port} within {timeout:.0f} s")


def main() -> None:
    """Run the local chain with the contracts deployed, until interrupted."""
    port = int(os.environ.get("CMIR_ANVIL_PORT", "8545"))
    anvil = shutil.which("anvil")
    if anvil is None:
        sys.exit("anvil not found: run `make setup` (it comes from npm)")
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            sys.exit(f"port {port} is already in use: stop what runs there or set CMIR_ANVIL_PORT")
    chain = subprocess.Popen(  # noqa: S603 - fixed argument list
        [anvil, "--host", "127.0.0.1", "--port", str(port), "--silent"],
    )
    try:
        wait_for_port(port)
        # ape-foundry attaches to the anvil already running at APE_FOUNDRY_HOST.
        env = {**os.environ, "APE_FOUNDRY_HOST": f"http://127.0.0.1:{port}"}
        deploy = subprocess.run(  # noqa: S603 - fixed argument list
            [sys.executable, "-m", "ape", "run", "deploy", "--network", "ethereum:local:foundry"],
            cwd=ROOT,
            env=env,
            check=False,
        )
        if deploy.returncode != 0:
            sys.exit("deployment failed (see above)")
        print(f"\nanvil: http://127.0.0.1:{port} (chain id 31337); Ctrl-C stops it.")
        print("Test accounts: anvil's default mnemonic 'test test ... junk' (see `anvil --help`).")
        chain.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if chain.poll() is None:
            chain.send_signal(signal.SIGTERM)
            chain.wait(timeout=10)


if __name__ == "__main__":
    main()
