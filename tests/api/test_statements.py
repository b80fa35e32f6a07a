"""The statement timeout on SQLite, for reads through SQLAlchemy and for prepared reads on the
DBAPI cursor: a runaway statement is stopped, reported as a timeout, and the connection serves
the next request."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import BindParameter, bindparam, func, literal, select
from sqlalchemy.exc import OperationalError

from cmir.api.app import create_app
from cmir.api.db import Database, make_read_engine
from cmir.api.services import members
from cmir.api.statements import Prepared
from tests.api.helpers import World

# 1, 2, ... up to :n: a read as long as one likes
_numbers = select(literal(1).label("x")).cte("numbers", recursive=True)
_numbers = _numbers.union_all(select(_numbers.c.x + 1).where(_numbers.c.x < bindparam("n")))
COUNT_TO = select(func.count()).select_from(_numbers)


@pytest.mark.parametrize("prepared", [False, True], ids=["sqlalchemy", "prepared"])
def test_runaway_read_is_stopped_at_the_timeout(world: World, prepared: bool) -> None:
    database = Database(make_read_engine(world.db_url, statement_timeout_ms=200, pool_size=1), 0)
    statement = Prepared(COUNT_TO)

    def count(n: int, pause: float = 0.0) -> int:
        def read(connection: object) -> int:
            time.sleep(pause)  # after BEGIN: the timeout runs from each statement's start
            if prepared:
                return int(statement.scalar(connection, {"n": n}))  # type: ignore[arg-type]
            return int(connection.execute(COUNT_TO, {"n": n}).scalar_one())  # type: ignore[attr-defined]

        return database.call(read)

    try:
        assert count(1000) == 1000
        assert count(1000, pause=0.3) == 1000
        began = time.monotonic()
        with pytest.raises(OperationalError, match="interrupted"):
            count(10**12)
        assert time.monotonic() - began < 3.0
        assert count(2000) == 2000  # the same pooled connection, armed again
    finally:
        database.dispose()


def test_prepared_rows_equal_sqlalchemy_rows(world: World) -> None:
    """Every member read by the prepared statement and by SQLAlchemy: the same values, the
    same Python types (exact integers for uint256 columns)."""
    database = Database(make_read_engine(world.db_url, statement_timeout_ms=3000, pool_size=1), 0)
    try:

        def compare(connection: object) -> int:
            rows = connection.execute(select(members.M)).all()  # type: ignore[attr-defined]
            for row in rows:
                params = {"chain": row.chain_id, "member": row.address}
                prepared = members._MEMBER.first(connection, params)  # type: ignore[arg-type]
                assert tuple(prepared) == tuple(row)
                assert [type(v) for v in prepared] == [type(v) for v in row]
            return len(rows)

        assert database.call(compare) > 3
    finally:
        database.dispose()


def test_timeout_answers_503_with_a_message(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member page whose reads run past the timeout: 503, a JSON reason, Retry-After. (The
    member is found with the usual timeout: 50 ms is for the read that never ends, not for a
    short read on a busy machine.)"""
    member = client.get("/api/v1/members", params={"limit": 1}).json()["items"][0]["address"]
    app = create_app(world.settings(statement_timeout_ms=50))
    with TestClient(app) as timed:

        def slow(connection: object, *_args: object) -> object:
            return Prepared(COUNT_TO).scalar(connection, {"n": 10**12})  # type: ignore[arg-type]

        monkeypatch.setattr(members, "member_detail", slow)
        response = timed.get(f"/api/v1/members/{member}")
        assert response.status_code == 503
        assert response.json() == {"detail": "the query took too long and was stopped"}
        assert response.headers["retry-after"] == "5"


def test_prepared_refuses_an_in_list_when_built() -> None:
    """An expanding IN parameter cannot be compiled once for every length: refused at import
    time, not on the first request."""
    ids: BindParameter[str] = bindparam("ids", expanding=True)
    with pytest.raises(TypeError, match="no IN list"):
        Prepared(select(members.M.c.address).where(members.M.c.address.in_(ids)))
