"""One audit from start to end: the ledger at one block, then every resource (`resources.CHECKS`),
with the API's block held still while it is read. What `cmir audit` prints and `--report` keeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmir.audit.api import Api, snapshot
from cmir.audit.chain import AuditError, Rpc
from cmir.audit.compare import as_text
from cmir.audit.ledger import Ledger, build
from cmir.audit.resources import CHECKS
from cmir.audit.scope import Progress, ResourceResult, Scope, draw_sample, no_progress

#: Schema of the JSON report (bumped when its shape changes).
REPORT_VERSION = 1


@dataclass
class AuditRun:
    """An audit's findings at one block."""

    rpc_url: str
    deployment: Path
    ledger: Ledger
    results: list[ResourceResult] = field(default_factory=list)
    api: str | None = None
    sample: frozenset[str] | None = None
    seed: int | None = None
    started_at: float = 0.0
    seconds: float = 0.0
    #: Seconds spent on the ledger and on each group of resources.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        """Identities that do not hold and chain-side problems."""
        return sum(1 for c in self.ledger.checks if not c.ok) + sum(len(r.problems) for r in self.results)

    @property
    def differences(self) -> int:
        """Differences with the API."""
        return sum(len(r.differences) for r in self.results)

    @property
    def ok(self) -> bool:
        """Everything reconciles."""
        return self.failures == 0 and self.differences == 0

    def as_json(self) -> dict[str, Any]:
        """The report others can keep: block, identities, counts per resource, differences."""
        ledger = self.ledger
        return {
            "version": REPORT_VERSION,
            "result": "RECONCILED" if self.ok else "NOT RECONCILED",
            "full": self.sample is None,
            "sample": None if self.sample is None else {"members": len(self.sample), "seed": self.seed},
            "started_at": int(self.started_at),
            "seconds": round(self.seconds, 3),
            "timings": {name: round(t, 3) for name, t in self.timings.items()},
            "chain": {
                "rpc": self.rpc_url,
                "chain_id": ledger.chain_id,
                "block": ledger.block,
                "block_hash": ledger.block_hash,
                "block_time": ledger.block_time,
                "events": ledger.event_count,
                "contracts": {role: c.address for role, c in ledger.contracts.items()},
            },
            "deployment": self.deployment.name,
            "api": self.api,
            "identities": [
                {"name": c.name, "ok": c.ok, "expected": as_text(c.expected), "actual": as_text(c.actual)}
                for c in ledger.checks
            ],
            "resources": [
                {
                    "name": r.name,
                    "checked": r.checked,
                    "ok": r.ok,
                    "differences": [d.as_json() for d in r.differences],
                    "problems": r.problems,
                    "notes": r.notes,
                }
                for r in self.results
            ],
            "totals": {
                "checked": sum(r.checked for r in self.results),
                "differences": self.differences,
                "failures": self.failures,
            },
        }


def run_audit(
    rpc_url: str,
    deployment: Path,
    block: int | None = None,
    api_url: str | None = None,
    sample_size: int | None = None,
    seed: int | None = None,
    progress: Progress = no_progress,
    metadata_dir: Path | None = None,
) -> AuditRun:
    """Audit the deployment at `block` (or the API's block, or the head): the ledger, then every
    resource against the chain and, with `api_url`, against the API. Raises AuditError when the
    audit cannot run (the API's block moved while it was read: retry when the indexer is idle)."""
    started, clock = time.time(), time.monotonic()
    rpc = Rpc(rpc_url)
    api: Api | None = None
    if api_url:
        api = Api(api_url)
        api_block = snapshot(api)[0]
        if block is not None and block != api_block:
            raise AuditError(f"the API holds block {api_block}: audit that block (omit --block) to compare")
        block = api_block
        # The longest lists, read while the chain is (their blocks are bounded by the API's).
        api.prefetch("/flows", to_block=block)
        api.prefetch("/governance/votes")
    reading = progress("chain: events and views", 1)
    timings: dict[str, float] = {}
    lap = time.monotonic()
    ledger = build(rpc, deployment, block)
    timings["ledger"] = time.monotonic() - lap
    reading(1)
    sample = None
    if sample_size is not None:
        joined = {
            str(e.args["member"])
            for e in ledger.events
            if e.contract == "membership" and e.name == "MemberJoined"
        }
        sample = draw_sample(joined, sample_size, seed or 0)
    scope = Scope(rpc, ledger.contracts, ledger, api, sample, progress, metadata_dir)
    scope.of("membership", "MemberJoined")  # index the events before the threads share them

    def timed(name: str, check: Callable[[Scope], list[ResourceResult]]) -> list[ResourceResult]:
        lap = time.monotonic()
        found = check(scope)
        timings[name] = time.monotonic() - lap
        return found

    # The groups run side by side: while one waits for the API or the node, another compares
    # (each group's own requests are already several at once).
    with ThreadPoolExecutor(max_workers=len(CHECKS)) as pool:
        groups = list(pool.map(lambda entry: timed(*entry), CHECKS))
    results = [result for group in groups for result in group]
    if api is not None and snapshot(api)[0] != ledger.block:
        raise AuditError(
            f"the API moved past block {ledger.block} while it was read; retry when the indexer is idle"
        )
    return AuditRun(
        rpc_url,
        deployment,
        ledger,
        results,
        api.base if api else None,
        sample,
        seed,
        started,
        time.monotonic() - clock,
        timings,
    )
