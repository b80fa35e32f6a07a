"""Provision the pinned Solidity compiler for py-solc-x, ape-solidity and forge.

A native solc from py-solc-x is used when one is installed or can be installed; otherwise the
npm ``solc`` package (solcjs) is wrapped as an executable named ``solc-v<version>`` in the
py-solc-x install folder, which is what ape-solidity looks for.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def pinned_version() -> str:
    """The compiler version pinned in ape-config.yaml."""
    config = yaml.safe_load((ROOT / "ape-config.yaml").read_text())
    return str(config["solidity"]["version"])


def install_folder() -> Path:
    """Where py-solc-x looks for compilers (``SOLCX_BINARY_PATH`` or ``~/.solcx``)."""
    folder = Path(os.environ.get("SOLCX_BINARY_PATH", Path.home() / ".solcx"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def answers_version(executable: Path, version: str) -> bool:
    """True when ``executable --version`` reports ``version``."""
    try:
        out = subprocess.run(  # noqa: S603 - the compiler binary this script provisioned
            [str(executable), "--version"], capture_output=True, text=True, timeout=60
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return f"Version: {version}+" in out


def try_native(version: str, folder: Path) -> bool:
    """Install a native solc through py-solc-x; False when that is impossible here."""
    import solcx

    try:
        solcx.install_solc(version, solcx_binary_path=folder, show_progress=False)
    except Exception as exc:
        print(f"native solc {version} unavailable ({type(exc).__name__}); using npm solcjs")
        return False
    return True


def write_solcjs_wrapper(version: str, target: Path) -> None:
    """Write an executable that runs the npm solcjs build as a solc command line."""
    node_solc = ROOT / "node_modules" / "solc" / "package.json"
    if not node_solc.exists():
        sys.exit("npm solc package missing: run `npm ci` first")
    script = ROOT / "toolchain" / "solcjs-cli.js"
    target.write_text(f'#!/bin/sh\nexec node "{script}" "$@"\n')
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def main() -> None:
    """Make ``solc-v<pinned>`` available and print its path."""
    version = pinned_version()
    folder = install_folder()
    target = folder / f"solc-v{version}"
    if target.exists() and answers_version(target, version):
        print(target)
        return
    if os.environ.get("CMIR_TRY_NATIVE_SOLC", "1") == "1" and try_native(version, folder):
        if answers_version(target, version):
            print(target)
            return
    write_solcjs_wrapper(version, target)
    if not answers_version(target, version):
        sys.exit(f"{target} does not answer --version with {version}")
    print(target)


if __name__ == "__main__":
    main()
