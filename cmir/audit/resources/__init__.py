"""The resources the audit checks, each against the chain and, with --api, against what the API
serves for it. Each module's ``check(scope)`` gives one `ResourceResult` per resource it covers;
`CHECKS` runs them in this order (the report lists them so)."""

from __future__ import annotations

from collections.abc import Callable

from cmir.audit.resources import governance, membership, pool, projects
from cmir.audit.scope import ResourceResult, Scope

CHECKS: tuple[tuple[str, Callable[[Scope], list[ResourceResult]]], ...] = (
    ("pool", pool.check),
    ("membership", membership.check),
    ("governance", governance.check),
    ("projects", projects.check),
)
