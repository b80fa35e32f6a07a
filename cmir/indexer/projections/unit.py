"""A batch's unit of work: aggregate rows loaded once, changed in memory, written once, with
their images before the batch kept as undo records; event rows collected for bulk inserts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, delete, insert, select, tuple_, update

from cmir.store import (
    Attestation,
    Attester,
    BucketSnapshot,
    Claim,
    CollectiveSpend,
    DaoState,
    EssFunding,
    EssProject,
    EssProjectChange,
    Inflow,
    Invitation,
    Member,
    ParameterChange,
    Proposal,
    ProposalChange,
    ProposalPayout,
    Relation,
    RewardFreeze,
    UndoImage,
    Vote,
)
from cmir.store.bulk import insert_rows, insert_values

Key = tuple[Any, ...]
Row = dict[str, Any]

#: Tables whose rows are made by one event each (deleted above a block on rollback).
EVENT_TABLES: tuple[Table, ...] = tuple(
    model.__table__
    for model in (
        Relation,
        Inflow,
        BucketSnapshot,
        Claim,
        RewardFreeze,
        EssFunding,
        CollectiveSpend,
        EssProjectChange,
        ParameterChange,
        ProposalChange,
        Vote,
        Invitation,
        Attestation,
        ProposalPayout,
    )
)

#: Tables updated in place (restored from undo images on rollback).
AGGREGATE_TABLES: dict[str, Table] = {
    model.__tablename__: model.__table__
    for model in (Member, Invitation, EssProject, Proposal, DaoState, Attester)
}

_CHUNK = 400


class Aggregate:
    """The rows of one aggregate table touched by a batch, keyed by primary key."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.pk = tuple(column.name for column in table.primary_key.columns)
        self.rows: dict[Key, Row] = {}
        self.before: dict[Key, Row | None] = {}
        self._update = (
            update(table)
            .where(and_(*(table.c[name] == bindparam(f"pk_{name}") for name in self.pk)))
            .values({c.name: bindparam(c.name) for c in table.columns if c.name not in self.pk})
        )

    def key_of(self, row: Row) -> Key:
        """The primary key of `row`."""
        return tuple(row[name] for name in self.pk)

    def load(self, connection: Connection, keys: Iterable[Key]) -> None:
        """Read the rows of `keys` not read yet (one query per few hundred keys)."""
        wanted = [key for key in dict.fromkeys(keys) if key not in self.before]
        columns = [self.table.c[name] for name in self.pk]
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for key in chunk:
                self.before[key] = None
            if len(columns) == 1:
                condition = columns[0].in_([key[0] for key in chunk])
            else:
                condition = tuple_(*columns).in_(chunk)
            for found in connection.execute(select(self.table).where(condition)).mappings():
                row = dict(found)
                key = self.key_of(row)
                self.before[key] = row
                self.rows[key] = dict(row)

    def adopt(self, row: Row) -> Row:
        """Take a row read by another query (if not already held) and return the held copy."""
        key = self.key_of(row)
        if key not in self.before:
            self.before[key] = dict(row)
            self.rows[key] = dict(row)
        return self.rows[key]

    def get(self, connection: Connection, key: Key) -> Row | None:
        """The current row of `key` (None if it does not exist); its changes are written at flush."""
        if key not in self.before:
            self.load(connection, [key])
        return self.rows.get(key)

    def create(self, row: Row) -> Row:
        """Add a new row (its key must not exist yet)."""
        key = self.key_of(row)
        if self.rows.get(key) is not None:
            raise KeyError(f"{self.table.name} row {key} exists already")
        self.before.setdefault(key, None)
        self.rows[key] = row
        return row

    def changes(self) -> list[tuple[Key, Row | None, Row]]:
        """(key, image before the batch, row now) of every row the batch inserted or changed."""
        return [(k, self.before.get(k), row) for k, row in self.rows.items() if self.before.get(k) != row]

    def flush(self, connection: Connection) -> list[tuple[Key, Row | None]]:
        """Write inserted and changed rows; returns (key, image before) of each, for undo."""
        changes = self.changes()
        inserts = [row for _, before, row in changes if before is None]
        updates = [
            {**{c: v for c, v in row.items() if c not in self.pk}, **{f"pk_{c}": row[c] for c in self.pk}}
            for _, before, row in changes
            if before is not None
        ]
        if inserts:
            insert_rows(connection, self.table, inserts)
        if updates:
            connection.execute(self._update, updates)
        return [(key, before) for key, before, _ in changes]


class UnitOfWork:
    """Everything one batch writes, besides the raw log and the checkpoint."""

    def __init__(self, connection: Connection, chain_id: int) -> None:
        self.connection = connection
        self.chain_id = chain_id
        self.aggregates = {name: Aggregate(table) for name, table in AGGREGATE_TABLES.items()}
        self.event_rows: dict[str, list[Row]] = defaultdict(list)
        self.event_values: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = {}
        #: (invitee, sponsor) -> the key of their pending invitation (the chain keeps one per pair)
        self.pending_invitations: dict[tuple[str, str], Key] = {}
        self._invitees_loaded: set[str] = set()
        self._proposals_from: int | None = None

    @property
    def members(self) -> Aggregate:
        """Members by (chain_id, address)."""
        return self.aggregates["members"]

    @property
    def projects(self) -> Aggregate:
        """ESS projects by (chain_id, project_id)."""
        return self.aggregates["ess_projects"]

    @property
    def proposals(self) -> Aggregate:
        """Proposals by (chain_id, proposal_id)."""
        return self.aggregates["proposals"]

    @property
    def invitations(self) -> Aggregate:
        """Invitations by their MemberInvited event key."""
        return self.aggregates["invitations"]

    @property
    def attesters(self) -> Aggregate:
        """Attesters by (chain_id, address)."""
        return self.aggregates["attesters"]

    def add(self, table: str, row: Row) -> None:
        """Queue an event row for insertion."""
        self.event_rows[table].append(row)

    def add_values(self, table: str, columns: tuple[str, ...], values: tuple[Any, ...]) -> None:
        """Queue an event row given as values of `columns` (cheaper than a dict for the tables
        written once per event; such rows cannot be changed afterwards)."""
        queued = self.event_values.get((table, columns))
        if queued is None:
            queued = self.event_values[(table, columns)] = []
        queued.append(values)

    def load_pending_invitations(self, invitees: Iterable[str]) -> None:
        """Read the pending invitations of `invitees` (at most one per sponsor each)."""
        wanted = [i for i in dict.fromkeys(invitees) if i not in self._invitees_loaded]
        table = self.invitations.table
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            self._invitees_loaded.update(chunk)
            query = select(table).where(
                table.c.chain_id == self.chain_id, table.c.status == "pending", table.c.invitee.in_(chunk)
            )
            for found in self.connection.execute(query).mappings():
                row = self.invitations.adopt(dict(found))
                self.pending_invitations[(row["invitee"], row["sponsor"])] = self.invitations.key_of(row)

    def pending_invitation(self, invitee: str, sponsor: str) -> Row | None:
        """The pending invitation from `sponsor` to `invitee`, if any."""
        self.load_pending_invitations([invitee])
        key = self.pending_invitations.get((invitee, sponsor))
        if key is None:
            return None
        row = self.invitations.rows[key]
        return row if row["status"] == "pending" else None

    def proposals_from(self, timepoint: int) -> list[Row]:
        """Every proposal whose snapshot is at or after `timepoint` (read from the database once
        per batch for the earliest timepoint asked; those created in the batch are held)."""
        if self._proposals_from is None or timepoint < self._proposals_from:
            table = self.proposals.table
            query = select(table).where(table.c.chain_id == self.chain_id, table.c.vote_start >= timepoint)
            for found in self.connection.execute(query).mappings():
                self.proposals.adopt(dict(found))
            self._proposals_from = timepoint
        held = self.proposals.rows.values()
        return [row for row in held if row is not None and int(row["vote_start"]) >= timepoint]

    def proposal_by_operation(self, operation: str) -> Row | None:
        """The proposal queued as timelock operation `operation`, if any."""
        for row in self.proposals.rows.values():
            if row is not None and row.get("timelock_operation") == operation:
                return row
        table = self.proposals.table
        query = select(table).where(
            table.c.chain_id == self.chain_id, table.c.timelock_operation == operation
        )
        found = self.connection.execute(query).mappings().first()
        return self.proposals.adopt(dict(found)) if found is not None else None

    def flush(self, undo_batch: int | None) -> int:
        """Write every queued event row and changed aggregate; with `undo_batch` (the batch's
        first block), record each changed row's previous image. Returns rows written."""
        written = 0
        for name, rows in self.event_rows.items():
            if rows:
                insert_rows(self.connection, _table(name), rows)
                written += len(rows)
        for (name, columns), values in self.event_values.items():
            insert_values(self.connection, _table(name), columns, values)
            written += len(values)
        undo: list[Row] = []
        for name, aggregate in self.aggregates.items():
            for key, before in aggregate.flush(self.connection):
                written += 1
                if undo_batch is not None:
                    undo.append(
                        {
                            "chain_id": self.chain_id,
                            "batch_first_block": undo_batch,
                            "table_name": name,
                            "row_key": list(key),
                            "image": before,
                        }
                    )
        if undo:
            insert_rows(self.connection, UndoImage.__table__, undo)
        return written


def _table(name: str) -> Table:
    for table in EVENT_TABLES:
        if table.name == name:
            return table
    raise KeyError(name)


def restore_images(connection: Connection, images: Iterable[tuple[str, list[Any], Row | None]]) -> int:
    """Put aggregate rows back as `images` say: (table, key, row or None for "did not exist").
    Callers pass the images of later batches first, so the earliest image wins."""
    count = 0
    for table_name, key, image in images:
        table = AGGREGATE_TABLES[table_name]
        names = [c.name for c in table.primary_key.columns]
        condition = and_(*(table.c[name] == value for name, value in zip(names, key, strict=True)))
        connection.execute(delete(table).where(condition))
        if image is not None:
            connection.execute(insert(table), [image])
        count += 1
    return count
