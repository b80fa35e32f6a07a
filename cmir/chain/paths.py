"""Where the project's checkout is, found from the working directory (or ``CMIR_PROJECT_DIR``),
never from where this package is installed: ``pip install .`` puts the package in a
virtualenv's site-packages, far from the contracts, the deployment records and the build.

Commands that need the checkout (deploying, the development chain, the benchmarks) call
`project_root`, which says what to do when there is none; the services (``cmir serve``, ``cmir
index``) only use `checkout` for their defaults and run anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Files that mark the project's checkout.
MARKERS = ("ape-config.yaml", "contracts")


class ProjectNotFoundError(RuntimeError):
    """No checkout of the project around the working directory."""


def checkout(start: Path | None = None) -> Path | None:
    """The checkout holding `start` (the working directory by default), or ``CMIR_PROJECT_DIR``
    when set; None outside of one."""
    explicit = os.environ.get("CMIR_PROJECT_DIR")
    if explicit:
        return Path(explicit).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if all((folder / marker).exists() for marker in MARKERS):
            return folder
    return None


def project_root() -> Path:
    """The checkout (`checkout`), or a `ProjectNotFoundError` that says how to point at one."""
    found = checkout()
    if found is None:
        raise ProjectNotFoundError(
            f"no CMIR checkout around {Path.cwd()}: run this from the repository (where"
            " ape-config.yaml is) or set CMIR_PROJECT_DIR"
        )
    return found
