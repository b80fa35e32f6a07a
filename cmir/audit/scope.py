"""What each resource's check is given (`Scope`) and what it gives back (`ResourceResult`).

A resource (`cmir.audit.resources`) reads its records from the chain (the decoded events up to
the audited block, and views at that block through `Scope.views`, batched), checks that the
events' replay agrees with the views (a ``problem`` when not: an identity failure, API or not),
then, when an API is compared, reads the API's records and names each difference.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmir.audit.api import Api
from cmir.audit.chain import Contract, Event, Rpc
from cmir.audit.compare import Difference
from cmir.audit.ledger import Ledger

#: Starts a progress line: (description, total) -> advance(n).
Progress = Callable[[str, int], Callable[[int], None]]

#: eth_calls per JSON-RPC batch.
BATCH = 500


def no_progress(_description: str, _total: int) -> Callable[[int], None]:
    """A progress line that shows nothing."""
    return lambda _n: None


@dataclass
class ResourceResult:
    """One resource checked: how many records, the differences with the API, and what the
    chain's own events and views disagree on."""

    name: str
    checked: int = 0
    differences: list[Difference] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing differs and nothing disagrees."""
        return not self.differences and not self.problems


@dataclass
class Scope:
    """The audit at one block, as a resource's check sees it."""

    rpc: Rpc
    contracts: dict[str, Contract]
    ledger: Ledger
    api: Api | None = None
    #: The members checked, in checksum form (None: every member).
    sample: frozenset[str] | None = None
    progress: Progress = no_progress
    #: A folder whose ``file://`` metadata documents the auditor may read (a local chain's).
    metadata_dir: Path | None = None
    _by_name: dict[tuple[str, str], list[Event]] = field(default_factory=dict, repr=False)

    @property
    def block(self) -> int:
        """The audited block."""
        return self.ledger.block

    @property
    def events(self) -> list[Event]:
        """Every decoded event of the deployment's contracts up to the block, in chain order."""
        return self.ledger.events

    def of(self, contract: str, *names: str) -> list[Event]:
        """The events of `contract` named `names`, in chain order."""
        if not self._by_name:
            for event in self.events:
                self._by_name.setdefault((event.contract, event.name), []).append(event)
        if len(names) == 1:
            return self._by_name.get((contract, names[0]), [])
        return sorted(
            (e for name in names for e in self._by_name.get((contract, name), [])), key=lambda e: e.key
        )

    def checked(self, member: str) -> bool:
        """Whether `member` (checksum form) is among the members checked."""
        return self.sample is None or member in self.sample

    def views(self, calls: Sequence[tuple[str, str, tuple[Any, ...]]], label: str = "views") -> list[Any]:
        """Views at the audited block, batched: (contract role, function, args) -> decoded value
        (a dict for a struct, a list for several outputs), in order. Through Multicall3 when the
        chain or the node allows it, else JSON-RPC batches (`Rpc.eth_calls`)."""
        advance = self.progress(label, len(calls)) if len(calls) > BATCH else no_progress(label, 0)
        contracts = self.contracts
        requests: list[tuple[str, str]] = []
        for role, name, args in calls:
            contract = contracts[role]
            requests.append((contract.address, contract.encode_call(name, *args)))
        answers = self.rpc.eth_calls(requests, self.block, advance)
        return [
            contracts[role].decode_result(name, data)
            for (role, name, _), data in zip(calls, answers, strict=True)
        ]


def draw_sample(members: Iterable[str], size: int, seed: int) -> frozenset[str]:
    """`size` of `members` drawn at random with `seed` (printed, so that a run can be replayed)."""
    pool = sorted(set(members))
    return frozenset(random.Random(seed).sample(pool, min(size, len(pool))))  # noqa: S311 (a sample, not a secret)
