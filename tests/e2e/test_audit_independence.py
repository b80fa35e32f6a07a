"""The auditor checks the indexer and the API: it must not share their code, or a bug in that
code would pass its own check. Every module `cmir.audit` imports, directly or not, is its own;
and nothing of the toolkit, the store, the indexer, the API or the development tools imports
the auditor (the import-linter contracts in
pyproject.toml say the same, and `make lint` runs them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def test_the_auditor_imports_only_its_own_modules() -> None:
    graph = grimp.build_graph("cmir")
    upstream = graph.find_upstream_modules("cmir.audit", as_package=True)
    foreign = sorted(m for m in upstream if m != "cmir" and not m.startswith("cmir.audit"))
    assert foreign == [], f"cmir.audit imports {foreign}"
    # The check can fail: the CLI does import the auditor, the indexer and the API.
    assert {"cmir.audit.cli", "cmir.indexer.cli"} <= graph.find_upstream_modules(
        "cmir.apps.cli", as_package=True
    )


def test_neither_the_indexer_nor_the_api_imports_the_auditor() -> None:
    graph = grimp.build_graph("cmir")
    for package in ("cmir.chain", "cmir.store", "cmir.indexer", "cmir.api", "cmir.dev"):
        shared = sorted(
            m for m in graph.find_upstream_modules(package, as_package=True) if m.startswith("cmir.audit")
        )
        assert shared == [], f"{package} imports {shared}"


def test_import_linter_contracts_hold() -> None:
    done = subprocess.run(  # noqa: S603 - the project's own linter
        [str(Path(sys.executable).with_name("lint-imports")), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The auditor is independent" in done.stdout
