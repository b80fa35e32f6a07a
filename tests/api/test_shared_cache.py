"""The response cache shared by the server's processes (a SQLite file): what one process stores
the others read; entries of an old checkpoint go when it moves; the file stays bounded; a store
that cannot work turns itself off without failing a request."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cmir.api.app import create_app
from cmir.api.cache import SharedStore
from tests.api.helpers import World

HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"2")]


def test_what_one_process_stores_another_reads(tmp_path: Path) -> None:
    first, second = SharedStore(tmp_path / "c.sqlite3", 1 << 20), SharedStore(tmp_path / "c.sqlite3", 1 << 20)
    key = SharedStore.key("/api/v1/pool", b"", "7:0xabc")
    assert second.get(key) is None
    assert first.add(key, "7:0xabc", HEADERS, b"{}") is False  # kept for the next batch
    assert second.get(key) is None
    first.flush()
    assert second.get(key) == (HEADERS, b"{}")
    assert SharedStore.key("/api/v1/pool", b"", "8:0xdef") != key  # another checkpoint, another key


def test_entries_of_an_old_checkpoint_are_dropped(tmp_path: Path) -> None:
    store = SharedStore(tmp_path / "c.sqlite3", 1 << 20)
    old = SharedStore.key("/api/v1/pool", b"", "7:0xabc")
    store.add(old, "7:0xabc", HEADERS, b"{}")
    store.flush()
    other = SharedStore(tmp_path / "c.sqlite3", 1 << 20)
    new = SharedStore.key("/api/v1/pool", b"", "8:0xdef")
    other.add(new, "8:0xdef", HEADERS, b"[]")
    other.flush()
    assert store.get(old) is None
    assert store.get(new) == (HEADERS, b"[]")


def test_store_stays_bounded(tmp_path: Path) -> None:
    store = SharedStore(tmp_path / "c.sqlite3", 100_000)
    body = b"x" * 1000
    batches = 0
    for i in range(500):
        if store.add(SharedStore.key(f"/api/v1/p{i}", b"", "1:0x"), "1:0x", HEADERS, body):
            store.flush()
            batches += 1
    store.flush()
    assert batches == 500 // SharedStore.BATCH
    with sqlite3.connect(tmp_path / "c.sqlite3") as connection:
        (size,) = connection.execute("SELECT total(length(body)) FROM responses").fetchone()
        (counted,) = connection.execute("SELECT bytes FROM totals").fetchone()
    assert size <= 100_000
    assert counted == size  # the running total is exact without racing writers
    # the newest entries are the ones kept
    assert store.get(SharedStore.key("/api/v1/p499", b"", "1:0x")) is not None
    assert store.get(SharedStore.key("/api/v1/p0", b"", "1:0x")) is None


def test_unusable_file_turns_the_store_off(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A path that cannot be opened: one warning, and the API answers from its own cache."""
    missing = tmp_path / "no-such-folder" / "c.sqlite3"
    with caplog.at_level(logging.WARNING, logger="cmir.api.cache"):
        store = SharedStore(missing, 1 << 20)
        assert store.add(SharedStore.key("/x", b"", "1:0x"), "1:0x", HEADERS, b"{}") is False
        store.flush()
        assert store.get(SharedStore.key("/x", b"", "1:0x")) is None
    assert [r.getMessage() for r in caplog.records if "shared response cache" in r.getMessage()] == [
        f"shared response cache {missing} turned off in this process: unable to open database file"
    ]
    with TestClient(create_app(world.settings(shared_cache_file=missing))) as client:
        first, second = client.get("/api/v1/pool"), client.get("/api/v1/pool")
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert first.content == second.content
