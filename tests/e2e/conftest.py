"""End-to-end fixtures: the stack started as `make up` starts it (scripts/local_chain.py, in the
background, on free ports, with its state in a temporary folder), the `cmir` command line run as
a user runs it (a subprocess), and raw JSON-RPC for what a test does behind the users' backs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from cmir.dev.devchain import free_port
from tests.e2e.helpers import ROOT, Stack, base_env, pump, read_until


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`make up` in the background on free ports; stopped with SIGTERM at the end (and checked
    to stop cleanly)."""
    state = tmp_path_factory.mktemp("stack")
    anvil, api, metadata = free_port(), free_port(), free_port()
    env = {
        **base_env(),
        "CMIR_ANVIL_PORT": str(anvil),
        "CMIR_PORT": str(api),
        "CMIR_METADATA_PORT": str(metadata),
        "CMIR_STATE_DIR": str(state / "state"),
        "CMIR_DEPLOYMENT_FILE": str(state / "local.json"),
        "CMIR_DEMO_ACCOUNTS": str(state / "demo-accounts.json"),
    }
    process = subprocess.Popen(  # noqa: S603 - the `make up` script
        [sys.executable, str(ROOT / "scripts" / "local_chain.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    pumping = pump(process, lines)
    try:
        read_until(process, "Ctrl-C stops everything", 300, lines, pumping)
        accounts = json.loads((state / "demo-accounts.json").read_text())
        yield Stack(
            process,
            f"http://127.0.0.1:{anvil}",
            f"http://127.0.0.1:{api}",
            state / "state",
            state / "local.json",
            accounts,
            lines,
        )
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise AssertionError("the stack did not stop within 60 s of Ctrl-C") from None
        pumping.join(30)  # the last lines, to the end of the output
        print("\n".join(lines[-12:]))
    assert process.returncode == 0, "\n".join(lines[-20:])
    assert lines[-1] == "stopped"
