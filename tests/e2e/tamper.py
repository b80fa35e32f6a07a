"""Doctoring the mirror as an attacker with write access to the API's database would: one row of
one table altered, a block mined so that the API serves a new block, then put back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from typing import Any

from cmir.dev.devchain import rpc
from tests.e2e.helpers import Result, Stack


def _mine(stack: Stack) -> None:
    rpc(stack.rpc_url, "evm_mine")
    stack.wait_mirrored()


@contextmanager
def tampered(
    stack: Stack, table: str, where: Mapping[str, Any], changes: Mapping[str, Any]
) -> Iterator[None]:
    """The one row of `table` matching `where` with `changes` written over it while the block
    goes on (mined and mirrored), then its old values back (mined and mirrored again)."""
    database = stack.state / "index.sqlite3"
    condition = " AND ".join(f"{column} = ?" for column in where)
    columns = ", ".join(changes)
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        query = f"SELECT {columns} FROM {table} WHERE {condition}"  # noqa: S608 (the test's own names)
        rows = connection.execute(query, list(where.values())).fetchall()
        assert len(rows) == 1, f"{len(rows)} rows of {table} match {dict(where)}"
        before = dict(zip(changes, rows[0], strict=True))
        _update(connection, table, condition, where, changes)
    _mine(stack)
    try:
        yield
    finally:
        with closing(sqlite3.connect(database, timeout=30)) as connection:
            _update(connection, table, condition, where, before)
        _mine(stack)


def _update(
    connection: sqlite3.Connection,
    table: str,
    condition: str,
    where: Mapping[str, Any],
    values: Mapping[str, Any],
) -> None:
    assignments = ", ".join(f"{column} = ?" for column in values)
    with connection:
        connection.execute(
            f"UPDATE {table} SET {assignments} WHERE {condition}",  # noqa: S608 (test names)
            [*values.values(), *where.values()],
        )


def row(stack: Stack, sql: str, *params: Any) -> dict[str, Any]:
    """One row of the mirror, by column name (to pick what to alter)."""
    with closing(sqlite3.connect(stack.state / "index.sqlite3", timeout=30)) as connection:
        connection.row_factory = sqlite3.Row
        found = connection.execute(sql, params).fetchone()
    assert found is not None, sql
    return dict(found)


def audit_api(stack: Stack, *args: str) -> Result:
    """`cmir audit --api` against the stack, as the README shows it."""
    return stack.cmir(
        "audit",
        "--rpc",
        stack.rpc_url,
        "--deployment",
        str(stack.deployment),
        "--api",
        stack.api_url,
        "--quiet",
        *args,
    )


def assert_caught(done: Result, *fragments: str) -> None:
    """The audit failed (exit 1) and one DIFF line names every fragment."""
    assert done.code == 1, done.text[-3000:]
    lines = [line for line in done.out.splitlines() if line.strip().startswith("DIFF")]
    assert any(all(f in line for f in fragments) for line in lines), (
        "\n".join(lines[:40]) or done.text[-3000:]
    )
