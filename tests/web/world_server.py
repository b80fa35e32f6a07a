"""The API as a real server process (uvicorn on a free loopback port) over an indexed world.

`ApiServer` is what the browser tests use. Run this file to preview the page by hand over the
same anvil scenario the API tests index (it prints the URL, Ctrl-C stops everything), from the
repository's root:
    .venv/bin/python -m tests.web.world_server
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from tests.indexer.indexer_chain import free_port

ROOT = Path(__file__).resolve().parents[2]


class ApiServer:
    """`uvicorn cmir.api.app:create_app --factory` with the world's settings in ``CMIR_*``."""

    def __init__(
        self,
        database_url: str,
        rpc_url: str,
        deployment_file: Path,
        log: Path,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            CMIR_DATABASE_URL=database_url,
            CMIR_RPC_URL=rpc_url,
            CMIR_DEPLOYMENT_FILE=str(deployment_file),
            CMIR_THREADS="2",
            CMIR_DB_POOL_SIZE="2",
        )
        env.update(extra_env or {})
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (this interpreter, our own app)
            [
                sys.executable,
                "-m",
                "uvicorn",
                "cmir.api.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=2).status_code in (200, 503):
                    return
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"the API did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)

    def get(self, path: str, **params: Any) -> Any:
        """GET `path` under /api/v1 from the running server; asserts 200, returns the JSON."""
        response = requests.get(f"{self.url}/api/v1{path}", params=params, timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response.json()

    def stop(self) -> None:
        """Terminate the server (by its own pid)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()


def main() -> None:
    """Deploy, play the scenario, index, serve until interrupted."""
    import signal
    import tempfile

    from web3 import Web3

    from tests.indexer.indexer_chain import Anvil, Dao, deploy, rpc
    from tests.indexer.indexer_mirror import dispose_engine, run_indexer
    from tests.indexer.indexer_scenario import run

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # stop anvil and the server on `kill` too
    tmp = Path(tempfile.mkdtemp(prefix="cmir-web-"))
    anvil = Anvil()
    server = None
    try:
        accounts = [Web3.to_checksum_address(a) for a in rpc(anvil.url, "eth_accounts")]
        record = tmp / "deployment.json"
        deploy(
            anvil.url,
            record,
            [f"{accounts[1]}:Pilote", f"{accounts[2]}:Abeille", f"{accounts[3]}:EssStructure"],
            accounts[4],
        )
        dao = Dao.connect(anvil.url, record)
        (tmp / "metadata").mkdir()
        run(dao, tmp / "metadata")
        db_url = f"sqlite:///{tmp / 'mirror.sqlite3'}"
        run_indexer(anvil.url, record, db_url, metadata_file_root=tmp / "metadata")
        dispose_engine(db_url)
        server = ApiServer(db_url, anvil.url, record, tmp / "api.log")
        print(f"serving {server.url}/  (anvil {anvil.url}, files in {tmp})", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.stop()
        anvil.stop()


if __name__ == "__main__":
    main()
