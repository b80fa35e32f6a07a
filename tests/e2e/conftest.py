"""End-to-end fixtures: the stack started as `make up` starts it (scripts/local_chain.py, in the
background, on free ports, with its state in a temporary folder), the `cmir` command line run as
a user runs it (a subprocess), and raw JSON-RPC for what a test does behind the users' backs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.helpers import Stack, make_up


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`make up` in the background on free ports; stopped with SIGTERM at the end (and checked
    to stop cleanly)."""
    state = tmp_path_factory.mktemp("stack")
    with make_up(state) as running:
        yield running
    assert running.process.returncode == 0, "\n".join(running.output[-20:])
    assert running.output[-1] == "stopped"
