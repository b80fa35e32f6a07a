"""The relayer's tables without a chain: revision 0005 downgrades and upgrades cleanly; one
pending request per signer and nonce (a confirmed one frees the nonce); a digest is never stored
twice; the day's usage counts mined gas, estimates of what is pending, nothing for what expired or
failed unsent;
the lease passes to another sender only once it has lapsed."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from cmir.store.relay import EXPIRED, insert_request, take_lease, update_request, usage
from cmir.store.session import alembic_config, current_revision, make_engine, normalize_url, upgrade

SIGNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


POSTGRES_URL = os.environ.get("CMIR_TEST_POSTGRES_URL")  # tests/indexer/pg.sh starts a server


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason="no CMIR_TEST_POSTGRES_URL")
        ),
    ]
)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'relay.sqlite3'}"
    else:
        name = f"cmir_relay_{uuid.uuid4().hex[:12]}"
        admin = create_engine(normalize_url(POSTGRES_URL or ""), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = (
            make_url(normalize_url(POSTGRES_URL or ""))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    if request.param != "sqlite":
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def request(nonce: int, digest: str, **values: Any) -> dict[str, Any]:
    return {
        "chain_id": 31337,
        "kind": "forward",
        "signer": SIGNER,
        "target": SIGNER,
        "target_role": "pool",
        "function": "claim",
        "request": {"nonce": str(nonce)},
        "signature": "0x" + digest[2:] * 2 + "1b",
        "digest": digest,
        "nonce": nonce,
        "deadline": 2_000_000_000,
        "gas_limit": 100_000,
        **values,
    }


def test_the_relay_revision_downgrades_and_upgrades(engine: Engine) -> None:
    assert current_revision(engine) == "0005"
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    with engine.connect() as connection:
        assert not inspect(connection).has_table("relay_requests")
        assert not inspect(connection).has_table("ess_metadata_documents")
    upgrade(engine)
    with engine.connect() as connection:
        assert inspect(connection).has_table("relay_leases")


def test_one_pending_request_per_nonce_and_no_digest_twice(engine: Engine) -> None:
    with engine.begin() as connection:
        first = insert_request(connection, request(0, "0x" + "11" * 32))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        insert_request(connection, request(0, "0x" + "22" * 32))  # same nonce, still pending
    with engine.begin() as connection:
        update_request(connection, first, status="failed")
        insert_request(connection, request(0, "0x" + "22" * 32))  # the nonce is free again
    with pytest.raises(IntegrityError), engine.begin() as connection:
        insert_request(connection, request(1, "0x" + "11" * 32, status="confirmed"))  # a replay


def test_the_days_usage(engine: Engine) -> None:
    with engine.begin() as connection:
        mined = insert_request(connection, request(0, "0x" + "11" * 32))
        update_request(connection, mined, status="confirmed", gas_used=60_000)
        insert_request(connection, request(1, "0x" + "22" * 32))  # not mined yet: its estimate
        gone = insert_request(connection, request(2, "0x" + "33" * 32))
        update_request(connection, gone, status=EXPIRED)
        refused = insert_request(connection, request(3, "0x" + "55" * 32))
        update_request(connection, refused, status="failed")  # by the last check: never sent
        insert_request(connection, request(4, "0x" + "44" * 32, created_at=int(time.time()) - 2 * 86_400))
        assert usage(connection, 31337, SIGNER, int(time.time()) - 3_600) == (3, 160_000)


def test_the_lease_passes_only_once_lapsed(engine: Engine) -> None:
    with engine.begin() as connection:
        assert take_lease(connection, "first", 30)
        assert not take_lease(connection, "second", 30)
        assert take_lease(connection, "first", -5)  # renewed, then lapsed
        assert take_lease(connection, "second", 30)
