"""`pip install .` outside the checkout: the package built as a wheel, installed into a fresh
virtualenv, and its `cmir` run from a folder far from the repository. `cmir --help`, `cmir index
--once` (the `make up` stack's chain into a SQLite file of its own) and `cmir serve` (the API, the
page and ECharts, shipped as package data) work with only the settings given in the environment.

The dependencies are not downloaded again: the fresh virtualenv sees the project's `.venv`
site-packages through a ``.pth`` file (a plain path: the `.pth` files in there, the editable
install's among them, are not run), after the wheel is installed with ``--no-deps``. Building the
wheel needs the build backend pinned in pyproject.toml, which pip fetches in its isolated build
environment (from the package index, as ``pip install .`` does)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from cmir.dev.devchain import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHARTS = ROOT / "cmir" / "api" / "web" / "dist" / "page-charts.js"
#: What the wheel is built from: the package and the project's metadata (not the checkout itself,
#: where setuptools would leave build/ behind and could reuse a stale build/lib).
SOURCES = ("pyproject.toml", "README.md", "cmir")


@dataclass(frozen=True)
class Installed:
    """The fresh virtualenv holding the installed wheel, and a work folder outside the checkout."""

    venv: Path
    workdir: Path

    @property
    def cmir(self) -> str:
        return str(self.venv / "bin" / "cmir")

    def env(self, **settings: str) -> dict[str, str]:
        """A user's environment: the virtualenv's bin first, no checkout, no project variables."""
        kept = {name: value for name, value in os.environ.items() if name in ("HOME", "LANG", "TMPDIR")}
        path = os.pathsep.join([str(self.venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"])
        return {**kept, "PATH": path, "PYTHONUNBUFFERED": "1", **settings}

    def run(
        self, *command: str, settings: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run `command` in the work folder with `settings` (CMIR_* variables) in the environment."""
        return subprocess.run(  # noqa: S603 - the installed console script or interpreter
            list(command),
            cwd=self.workdir,
            env=self.env(**(settings or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )


def build_wheel(out: Path) -> Path:
    """The wheel of a copy of the package's sources (ECharts included, as `make setup` left it)."""
    source = out / "source"
    source.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(  # noqa: S603 - this interpreter's pip
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = out.glob("cmir_dao-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel installed into a fresh virtualenv; its dependencies are `.venv`'s."""
    assert CHARTS.is_file(), f"{CHARTS} is missing: run `make setup` (it builds the page's charts)"
    base = tmp_path_factory.mktemp("install")
    wheel = build_wheel(base / "dist")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)  # noqa: S603
    python = venv / "bin" / "python"
    # Installed before the dependencies are made visible, so that pip never sees (nor offers to
    # replace) the checkout's editable install.
    pip = [sys.executable, "-m", "pip", "--python", str(python)]  # this pip, for the new virtualenv
    done = subprocess.run(  # noqa: S603
        [*pip, "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    target = subprocess.run(  # noqa: S603 - the new interpreter
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(target) / "cmir_dependencies.pth").write_text("".join(f"{path}\n" for path in sorted(dependencies)))
    workdir = base / "elsewhere"
    workdir.mkdir()
    assert not workdir.resolve().is_relative_to(ROOT)
    return Installed(venv, workdir)


def test_the_installed_package_is_the_one_imported_with_its_data(installed: Installed) -> None:
    shown = installed.run(
        str(installed.venv / "bin" / "python"),
        "-c",
        "import cmir, cmir.api.webpage as page, cmir.chain.paths as paths, cmir.chain.reverts as reverts; "
        "print(cmir.__file__); print(page.WEB); print(paths.checkout()); print(len(reverts.error_docs()))",
    )
    assert shown.returncode == 0, shown.stderr
    package, web, checkout, meanings = shown.stdout.splitlines()
    assert Path(package).is_relative_to(installed.venv), package
    assert checkout == "None"  # run from outside the checkout, nothing finds it
    # The page, the revert meanings (the shipped table: there is no build to read them from) and
    # Alembic's files are the package's data.
    assert Path(web).is_relative_to(installed.venv) and (Path(web) / "dist" / "page-charts.js").is_file()
    assert int(meanings) > 50
    store = Path(package).parent / "store"
    migrations = sorted(path.name for path in (store / "migrations" / "versions").glob("*.py"))
    assert migrations == sorted(path.name for path in (ROOT / "cmir/store/migrations/versions").glob("*.py"))
    assert (store / "alembic.ini").is_file() and (store / "migrations" / "script.py.mako").is_file()


def test_help_runs_from_anywhere(installed: Installed) -> None:
    shown = installed.run(installed.cmir, "--help")
    assert shown.returncode == 0, shown.stderr
    for command in ("deploy", "serve", "index", "audit", "member", "dao"):
        assert command in shown.stdout


@pytest.fixture(scope="module")
def mirrored(installed: Installed, stack: Any) -> dict[str, str]:
    """`cmir index --once` of the stack's chain into a SQLite file of the work folder; returns
    the settings it ran with."""
    settings = {
        "CMIR_DATABASE_URL": f"sqlite:///{installed.workdir / 'mirror.sqlite3'}",
        "CMIR_RPC_URL": stack.rpc_url,
        "CMIR_DEPLOYMENT_FILE": str(stack.deployment),
    }
    indexed = installed.run(installed.cmir, "index", "--once", settings=settings, timeout=300)
    assert indexed.returncode == 0, indexed.stdout + indexed.stderr
    return settings


def test_index_mirrors_the_chain_from_anywhere(installed: Installed, mirrored: dict[str, str]) -> None:
    with sqlite3.connect(installed.workdir / "mirror.sqlite3") as connection:
        members = connection.execute("SELECT count(*) FROM members").fetchone()[0]
        migrated = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert members >= 80 and migrated  # the demo's members, through the shipped migrations
    status = installed.run(installed.cmir, "index", "status", settings=mirrored)
    assert status.returncode == 0, status.stdout + status.stderr


@pytest.fixture
def served(installed: Installed, mirrored: dict[str, str]) -> Iterator[str]:
    """`cmir serve` (one worker) on a free port over the mirror; its base URL."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - the installed console script
        [installed.cmir, "serve", "--port", str(port), "--workers", "1"],
        cwd=installed.workdir,
        env=installed.env(**mirrored),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                requests.get(f"{url}/api/v1/health", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "cmir serve did not answer within 60 s"
                time.sleep(0.2)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_serve_answers_the_api_the_page_and_its_charts_from_anywhere(served: str) -> None:
    health = requests.get(f"{served}/api/v1/health", timeout=10)
    assert health.status_code == 200, health.text
    assert health.json()["status"] == "ok", health.json()
    page = requests.get(f"{served}/", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'data-charts="/web/dist/page-charts.js?v=' in page.text
    script = requests.get(f"{served}/web/app.js", timeout=10)
    assert script.status_code == 200 and script.content == (ROOT / "cmir/api/web/app.js").read_bytes()
    charts = requests.get(f"{served}/web/dist/page-charts.js", timeout=10)
    assert charts.status_code == 200 and charts.content == CHARTS.read_bytes()
    pool = requests.get(f"{served}/api/v1/pool", timeout=10)
    assert pool.status_code == 200 and pool.json()["active_members"] >= 80, pool.text
