"""`make up`: the whole platform on this machine, from a clean state, until Ctrl-C.

1. anvil on 127.0.0.1:8545 (102 funded test accounts; its clock starts 181 days ago);
2. `cmir deploy --settings demo --guardian ...` (the contracts, wired, recorded in
   deployments/local.json; the demo's "conseil de surveillance" is the guardian);
3. the demo (`cmir.dev.demo.seed`): six months of a network's life, with time travel (the story
   always spans the same 181 days after its start, so it is the same on every run); ESS project
   metadata served over HTTP from the state folder on 127.0.0.1:8001;
4. the indexer in follow mode (`cmir index`) into a fresh SQLite file;
5. the API and its page (`cmir serve`) on 127.0.0.1:8000, and the relayer's sender (`cmir relay`,
   its own funded key), which sends the members' signed requests the API accepts;
then it prints where everything is and waits. Ctrl-C (or SIGTERM) stops the API, the indexer and
anvil in that order, each given time to finish, and returns. A child that dies stops the rest.

Every run starts again from a clean state: a new anvil chain and a wiped state folder
(CMIR_STATE_DIR, default .build/stack: database, logs, metadata, demo keyfiles). Nothing resumes.

Environment (all optional): CMIR_ANVIL_PORT (8545), CMIR_PORT (8000, the API), CMIR_METADATA_PORT
(8001), CMIR_STATE_DIR, CMIR_DEPLOYMENT_FILE (deployments/local.json), CMIR_DEMO_ACCOUNTS
(deployments/demo-accounts.json), CMIR_DEMO=0 to deploy without the demo.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import IO, Any

import requests

from cmir.chain.errors import RpcError
from cmir.chain.paths import project_root
from cmir.chain.rpc import request
from cmir.chain.settings import StackSettings, default_state_dir

ROOT = project_root()
DAY = 86_400
#: The relayer's account among anvil's (the demo uses 0 to 101).
RELAYER_INDEX = 102


class Stop(Exception):  # noqa: N818 - a request, not an error
    """Asked to stop (a signal) or a child died."""


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def rpc(url: str, method: str, params: list[Any] | None = None) -> Any:
    """One JSON-RPC call (`cmir.chain.rpc.request`, not retried: `wait_until` polls)."""
    return request(url, method, params or [], timeout=10)


class Stack:
    """The processes of `make up` and how to stop them."""

    def __init__(self, settings: StackSettings | None = None) -> None:
        settings = settings or StackSettings()  # CMIR_ANVIL_PORT, CMIR_PORT, CMIR_STATE_DIR...
        self.anvil_port = settings.anvil_port
        self.api_port = settings.port
        self.metadata_port = settings.metadata_port
        self.state = settings.state_dir.resolve()
        self.deployment = settings.deployment_file.resolve()
        self.accounts_file = settings.demo_accounts.resolve()
        self.demo = settings.demo
        self.rpc_url = f"http://127.0.0.1:{self.anvil_port}"
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.metadata_url = f"http://127.0.0.1:{self.metadata_port}"
        self.database_url = f"sqlite:///{settings.database_file().resolve()}"
        #: The latest full audit, shown by the page (`cmir audit --report` writes it).
        self.audit_report = self.state / "audit" / "latest.json"
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.logs: list[IO[bytes]] = []
        self.metadata_server: http.server.ThreadingHTTPServer | None = None
        self.stopping = False

    # -- helpers

    def env(self) -> dict[str, str]:
        """The environment of the children: every CMIR_* setting pointing at this stack."""
        bin_dirs = [str(ROOT / "node_modules" / ".bin"), str(Path(sys.executable).parent)]
        return {
            **os.environ,
            "PATH": os.pathsep.join([*bin_dirs, os.environ.get("PATH", "")]),
            "APE_DATA_FOLDER": os.environ.get("APE_DATA_FOLDER", str(ROOT / ".build" / "ape-data")),
            "SOLCX_BINARY_PATH": os.environ.get("SOLCX_BINARY_PATH", str(ROOT / ".solcx")),
            "APE_FOUNDRY_HOST": self.rpc_url,
            "CMIR_RPC_URL": self.rpc_url,
            "CMIR_DEPLOYMENT_FILE": str(self.deployment),
            "CMIR_DATABASE_URL": self.database_url,
            "CMIR_METADATA_ALLOW_PRIVATE_HOSTS": "true",
            "CMIR_POLL_INTERVAL": os.environ.get("CMIR_POLL_INTERVAL", "1"),
            "CMIR_HOST": "127.0.0.1",
            "CMIR_PORT": str(self.api_port),
            "CMIR_AUDIT_REPORT": str(self.audit_report),
            "CMIR_DEMO_ACCOUNTS": str(self.accounts_file),
            "CMIR_APP_DEMO_WALLET": "true" if self.demo else "false",  # local chain only (the API checks)
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, name: str, command: list[str], log: Path | None = None) -> subprocess.Popen[bytes]:
        """Start a child in its own session (Ctrl-C reaches only this process, which stops the
        children in order)."""
        output: Any = subprocess.DEVNULL
        if log is not None:
            handle = log.open("ab")
            self.logs.append(handle)
            output = handle
        process = subprocess.Popen(  # noqa: S603 - our own fixed commands
            command, cwd=ROOT, env=self.env(), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.children.append((name, process))
        return process

    def check_children(self) -> None:
        for name, process in self.children:
            if process.poll() is not None:
                raise Stop(f"{name} exited with code {process.returncode} (see {self.state})")

    def wait_until(self, what: str, predicate: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_children()
            try:
                if predicate():
                    return
            except (RpcError, requests.RequestException, ValueError, KeyError, TypeError):
                pass
            time.sleep(0.3)
        raise Stop(f"{what} not ready after {timeout:.0f} s (logs in {self.state})")

    def stop(self) -> None:
        """Stop the children, last started first, each given time to finish."""
        self.stopping = True
        for name, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    print(f"{name} did not stop in 15 s: killing it", file=sys.stderr)
                    process.kill()
                    process.wait()
        if self.metadata_server is not None:
            self.metadata_server.shutdown()
            self.metadata_server.server_close()
        for handle in self.logs:
            handle.close()

    # -- steps

    def preflight(self) -> None:
        for name, port in (
            ("anvil", self.anvil_port),
            ("API", self.api_port),
            ("metadata", self.metadata_port),
        ):
            if not port_free(port):
                raise SystemExit(
                    f"port {port} ({name}) is in use: stop what runs there, or set CMIR_"
                    f"{'ANVIL_PORT' if name == 'anvil' else 'PORT' if name == 'API' else 'METADATA_PORT'}"
                )
        if shutil.which("anvil", path=self.env()["PATH"]) is None:
            raise SystemExit("anvil not found: run `make setup` (it comes from npm)")
        if self.state.exists():
            shutil.rmtree(self.state)
        self.state.mkdir(parents=True)

    def anvil(self) -> None:
        genesis = int(time.time()) - 181 * DAY if self.demo else int(time.time())
        self.start(
            "anvil",
            [
                "anvil",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.anvil_port),
                "--accounts",
                "102",
                "--timestamp",
                str(genesis),
                "--gas-limit",
                "300000000",
                "--silent",
            ],
            self.state / "anvil.log",
        )
        self.wait_until("anvil", lambda: int(rpc(self.rpc_url, "eth_chainId"), 16) == 31337, 30)

    def deploy(self) -> None:
        from cmir.dev.demo.seed import cast, demo_founders, demo_guardian

        people = cast()
        command = [
            sys.executable,
            "-m",
            "cmir.apps.cli",
            "deploy",
            "--network",
            "ethereum:local:foundry",
            "--settings",
            "demo" if self.demo else "ethereum:local",
            "--steward",
            people[0].address,
            "--deployment",
            str(self.deployment),
            "--yes",
        ]
        for address, kind in demo_founders(people):
            command += ["--founder", f"{address}:{kind}"]
        if self.demo:
            command += ["--guardian", demo_guardian(people)]
        with (self.state / "deploy.log").open("wb") as log:
            done = subprocess.run(  # noqa: S603 - our own fixed command
                command, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, check=False
            )
        if done.returncode != 0:
            raise Stop(f"deployment failed (see {self.state / 'deploy.log'})")

    def serve_metadata(self) -> None:
        folder = self.state / "metadata"
        folder.mkdir(parents=True, exist_ok=True)

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

        handler = functools.partial(Quiet, directory=str(folder))
        self.metadata_server = http.server.ThreadingHTTPServer(("127.0.0.1", self.metadata_port), handler)
        threading.Thread(target=self.metadata_server.serve_forever, daemon=True).start()

    def seed(self) -> dict[str, Any]:
        from cmir.dev.demo.seed import seed

        return seed(
            self.rpc_url,
            self.deployment,
            self.state / "metadata",
            self.metadata_url,
            self.accounts_file,
            self.state / "keyfiles",
        )

    def services(self) -> None:
        self.start(
            "indexer", [sys.executable, "-m", "cmir.apps.cli", "index"], self.state / "cmir.indexer.log"
        )
        self.start("API", [sys.executable, "-m", "cmir.apps.cli", "serve"], self.state / "api.log")

        def healthy() -> bool:
            health = requests.get(f"{self.api_url}/api/v1/health", timeout=5).json()
            head = int(rpc(self.rpc_url, "eth_blockNumber"), 16)
            checkpoint = (health.get("indexer") or {}).get("checkpoint_block")
            return checkpoint is not None and checkpoint >= head - 1

        self.wait_until("the indexer and the API", healthy, 300)
        self.relayer()  # after the indexer's start: it migrated the relayer's tables

    def relayer(self) -> None:
        """`cmir relay`, sending the members' signed requests with a key of its own (anvil's
        mnemonic, index 102: no demo account uses it, so nobody else spends its nonces), from a
        keyfile the stack writes: the operator's key never appears on a command line."""
        from eth_account import Account

        from cmir.dev.demo.seed import DEMO_PASSWORD, MNEMONIC

        Account.enable_unaudited_hdwallet_features()
        key = Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{RELAYER_INDEX}")
        rpc(self.rpc_url, "anvil_setBalance", [key.address, hex(10_000 * 10**18)])
        folder = self.state / "relayer"
        folder.mkdir(parents=True, exist_ok=True)
        keyfile, password = folder / "operator.json", folder / "password.txt"
        keyfile.write_text(json.dumps(Account.encrypt(key.key, DEMO_PASSWORD, kdf="pbkdf2", iterations=2048)))
        password.write_text(DEMO_PASSWORD + "\n")
        command = ["relay", "--keyfile", str(keyfile), "--password-file", str(password)]
        self.start("relayer", [sys.executable, "-m", "cmir.apps.cli", *command], self.state / "relayer.log")

    def audit(self) -> str:
        """A full `cmir audit --api` of what the stack serves, its report published for the page;
        returns its verdict line."""
        command = [
            sys.executable,
            "-m",
            "cmir.apps.cli",
            "audit",
            "--rpc",
            self.rpc_url,
            "--deployment",
            str(self.deployment),
            "--api",
            self.api_url,
            "--quiet",
            "--report",
            str(self.audit_report),
        ]
        with (self.state / "audit.log").open("wb") as log:
            subprocess.run(  # noqa: S603 - our own fixed command
                command, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, check=False
            )
        text = (self.state / "audit.log").read_text(errors="replace")
        verdict = re.search(r"^(NOT )?RECONCILED at block \d+", text, re.MULTILINE)
        counted = re.search(r"^Checked ([\d,]+) records in ([\d.]+) s", text, re.MULTILINE)
        if verdict is None or counted is None:
            return f"the audit did not run (see {self.state / 'audit.log'})"
        report = _relative(self.audit_report.with_suffix(".html"))
        return f"{verdict.group(0)}: {counted.group(1)} records checked in {counted.group(2)} s ({report})"


def _euros(units: int) -> str:
    """Token units (6 decimals) as tEUR, to the cent (half up), as people read a summary."""
    cents = (units + 5_000) // 10_000
    return f"{cents // 100}.{cents % 100:02d} tEUR"


def _command_line() -> str:
    """How to run `cmir`: the virtualenv's script, or its activation first."""
    scripts = Path(sys.executable).parent
    if not (scripts / "activate").exists():  # not a virtualenv: installed where the shell finds it
        return "cmir (`cmir --help`)"
    script, activate = _relative(scripts / "cmir"), _relative(scripts / "activate")
    return f"{script}, or `. {activate}` first, then `cmir --help`"


def _relative(path: Path) -> str:
    """A path relative to the repository when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main() -> None:
    """Run the stack until interrupted."""
    stack = Stack()

    def interrupted(signum: int, _frame: FrameType | None) -> None:
        if not stack.stopping:
            raise Stop(f"signal {signal.Signals(signum).name}")

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    started = time.monotonic()
    code = 0
    try:
        stack.preflight()
        print(f"[1/6] anvil on {stack.rpc_url}", flush=True)
        stack.anvil()
        print("[2/6] deploying the contracts (cmir deploy)", flush=True)
        stack.deploy()
        summary: dict[str, Any] = {}
        stack.serve_metadata()
        if stack.demo:
            print("[3/6] seeding the demo: six months of a network's life (time travel)", flush=True)
            summary = stack.seed()
            print(
                f"      {summary['transactions']} transactions in {summary['blocks']} blocks, "
                f"{summary['members']} members ({summary['in_probation']} still in probation), "
                f"{summary['projects']} ESS projects ({summary['projects_awaiting_activation']} awaiting "
                f"activation), in {summary['seconds']} s\n"
                f"      {summary['relations']} relations, {summary['contributions']} contributions, "
                f"{summary['claims']} claims paying {_euros(summary['claimed'])}; "
                f"{_euros(summary['members_to_ess'])} of the members' shares went to ESS "
                "(no matured points yet, above an epoch's reward cap)",
                flush=True,
            )
        else:
            print("[3/6] no demo (CMIR_DEMO=0)", flush=True)
        print("[4/6] indexer (follow mode) and [5/6] API", flush=True)
        stack.services()
        print("[6/6] independent audit of everything the API serves (cmir audit --api --report)", flush=True)
        print(f"      {stack.audit()}", flush=True)
        show = _relative
        accounts = ""
        if stack.demo:
            data = json.loads(stack.accounts_file.read_text())
            accounts = (
                f"  demo accounts  {show(stack.accounts_file)} (keyfiles in {show(stack.state / 'keyfiles')},"
                f" password file {show(Path(data['password_file']))})\n"
            )
        # `cmir index status` finds the stack's database in the default state folder
        finds = (
            "`cmir index status` finds it"
            if stack.state == default_state_dir().resolve()
            else f"for `cmir index status`: CMIR_STATE_DIR={show(stack.state)}"
        )
        print(
            f"\nCMIR DAO is up in {time.monotonic() - started:.0f} s.\n"
            f"  page           {stack.api_url}/\n"
            f"  members' app   {stack.api_url}/app/"
            f"{'   (demo wallet: act as any demo account)' if stack.demo else ''}\n"
            f"  API health     {stack.api_url}/api/v1/health   (API docs: {stack.api_url}/docs)\n"
            f"  chain          {stack.rpc_url} (anvil, chain id 31337)\n"
            f"  deployment     {show(stack.deployment)}\n"
            f"  cmir           {_command_line()}\n"
            f"  database       sqlite:///{show(stack.state / 'index.sqlite3')} ({finds})\n"
            f"{accounts}"
            f"  logs           {show(stack.state)}/{{anvil,deploy,indexer,api,relayer,audit}}.log\n"
            f"  audit          cmir audit --rpc {stack.rpc_url} --deployment {show(stack.deployment)}"
            f" --api {stack.api_url}\n"
            f"                 (add --report {show(stack.audit_report)} to refresh the page's latest audit)\n"
            "Ctrl-C stops everything; the next `make up` starts again from a clean state.",
            flush=True,
        )
        while True:
            stack.check_children()
            time.sleep(0.5)
    except Stop as exc:
        reason = str(exc)
        if not reason.startswith("signal"):
            print(f"error: {reason}", file=sys.stderr, flush=True)
            code = 1
    except Exception as exc:
        import traceback

        traceback.print_exc()
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("stopping: relayer, API, indexer, anvil", flush=True)
        stack.stop()
        print("stopped", flush=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
