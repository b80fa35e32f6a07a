"""Projections: every table derived from the raw event log, built by replaying events in order.

`Projector.apply` runs a batch of events through their handlers inside the caller's
transaction; the same code serves live indexing and `rebuild`, so both give the same tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from cmir.chain.abi import ZERO_ADDRESS, AbiRegistry
from cmir.indexer.events import Event
from cmir.indexer.projections import governance, membership, pool, registry
from cmir.indexer.projections.context import Context
from cmir.indexer.projections.unit import AGGREGATE_TABLES, EVENT_TABLES, UnitOfWork, restore_images

Handler = Callable[[Context, Event], None]

__all__ = ["AGGREGATE_TABLES", "EVENT_TABLES", "Projector", "UnitOfWork", "restore_images"]

_MEMBER_CONTRACTS = {"membership", "pool"}


Path = tuple[str, ...]


def _address_paths(inputs: Iterable[Mapping[str, Any]], prefix: Path, default: str) -> list[Path]:
    """Where an event's decoded arguments hold addresses: keys down through structs (named as
    `cmir.chain.abi` names them). Arrays are left out."""
    paths: list[Path] = []
    for n, entry in enumerate(inputs):
        path = (*prefix, str(entry.get("name") or f"{default}{n}"))
        if entry["type"] == "address":
            paths.append(path)
        elif entry["type"] == "tuple":
            paths.extend(_address_paths(entry.get("components", []), path, "field"))
    return paths


def _addresses(args: dict[str, Any], paths: list[Path], found: set[str]) -> None:
    for path in paths:
        value: Any = args
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value != ZERO_ADDRESS:
            found.add(value)


class Projector:
    """Applies decoded events to the projections."""

    def __init__(self, abi: AbiRegistry) -> None:
        self.abi = abi
        self.handlers: dict[tuple[str, str], Handler] = {}
        for role, table in (
            ("membership", membership.HANDLERS),
            ("pool", pool.HANDLERS),
            ("registry", registry.HANDLERS),
            ("governor", governance.HANDLERS),
            ("timelock", governance.HANDLERS),
        ):
            for name, handler in table.items():
                self.handlers[(role, name)] = handler
        #: Address arguments of each event of the member-holding contracts, for the preload.
        self.address_paths: dict[tuple[str, str], list[Path]] = {}
        for role, contract in abi.deployment.contracts.items():
            if role not in _MEMBER_CONTRACTS:
                continue
            for entry in contract.abi:
                if entry.get("type") == "event":  # overloads of a name share its list
                    paths = self.address_paths.setdefault((role, str(entry["name"])), [])
                    paths.extend(
                        p for p in _address_paths(entry.get("inputs", []), (), "arg") if p not in paths
                    )

    def apply(
        self, connection: Connection, chain_id: int, events: Iterable[Event], undo_batch: int | None
    ) -> int:
        """Apply `events` (in chain order) and write the projections through `connection`.
        With `undo_batch`, keep undo images under that batch. Returns rows written."""
        events = list(events)
        uow = UnitOfWork(connection, chain_id)
        self._preload(uow, events)
        ctx = Context(uow, self.abi)
        for event in events:
            handler = self.handlers.get((event.contract, event.name))
            if handler is not None:
                handler(ctx, event)
        ctx.link_proposals()
        return uow.flush(undo_batch)

    def _preload(self, uow: UnitOfWork, events: list[Event]) -> None:
        """Read, in a few queries, every aggregate row the batch will touch."""
        members: set[str] = set()
        projects: set[int] = set()
        proposals: set[int] = set()
        invitees: list[str] = []
        for event in events:
            args = event.args
            paths = self.address_paths.get((event.contract, event.name))
            if paths:
                _addresses(args, paths, members)
            if "projectId" in args:
                projects.add(int(args["projectId"]))
            if event.contract == "governor" and "proposalId" in args:
                proposals.add(int(args["proposalId"]))
            if event.name in ("MemberInvited", "InvitationRevoked"):
                invitees.append(args["invitee"])
            elif event.name == "MemberJoined":
                invitees.append(args["member"])
        chain = uow.chain_id
        uow.members.load(uow.connection, [(chain, address) for address in sorted(members)])
        uow.projects.load(uow.connection, [(chain, project) for project in sorted(projects)])
        uow.proposals.load(uow.connection, [(chain, proposal) for proposal in sorted(proposals)])
        uow.load_pending_invitations(invitees)
