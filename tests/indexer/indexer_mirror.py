"""Test helpers around the indexer: run it, and dump a database for comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from cmir.indexer.settings import Settings
from cmir.indexer.sync import Indexer, RunStats
from cmir.store import Base
from cmir.store.session import make_engine

#: Bookkeeping that legitimately differs between two runs over the same chain: batch boundaries,
#: kept headers and undo images depend on how the indexer advanced, and times of writing vary.
VOLATILE_TABLES = {"index_batches", "undo_images", "indexed_blocks", "alembic_version"}
VOLATILE_COLUMNS = {
    "raw_events": {"id"},
    "checkpoints": {"updated_at"},
    "ess_projects": {"metadata_checked_at"},
}

_ENGINES: dict[str, Engine] = {}


def engine_for(url: str) -> Engine:
    """One engine per URL for the whole test session."""
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


def dispose_engine(url: str) -> None:
    """Close the pooled connections of `url` (before dropping a database)."""
    engine = _ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


def settings_for(rpc_url: str, record: Path, db_url: str, **overrides: Any) -> Settings:
    """Indexer settings for a test."""
    values: dict[str, Any] = {
        "database_url": db_url,
        "rpc_url": rpc_url,
        "deployment_file": record,
        "initial_block_range": 7,
        "max_block_range": 64,
        "rpc_backoff_base": 0.01,
        "rpc_backoff_max": 0.05,
    }
    values.update(overrides)
    return Settings(**values)


def run_indexer(rpc_url: str, record: Path, db_url: str, **overrides: Any) -> RunStats:
    """Index once up to the head."""
    indexer = Indexer(settings_for(rpc_url, record, db_url, **overrides), engine=engine_for(db_url))
    try:
        return indexer.run(follow=False)
    finally:
        indexer.rpc.close()


def dump(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (bookkeeping excluded), sorted, as comparable tuples."""
    engine = engine_for(db_url)
    result: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for name, table in Base.metadata.tables.items():
            if name in VOLATILE_TABLES:
                continue
            skip = VOLATILE_COLUMNS.get(name, set())
            columns = [c for c in table.columns if c.name not in skip]
            rows = connection.execute(select(*columns)).all()
            result[name] = sorted(
                (tuple((c.name, _plain(v)) for c, v in zip(columns, row, strict=True)) for row in rows),
                key=repr,
            )
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    return value


def diff(left: dict[str, list[tuple[Any, ...]]], right: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """Human-readable differences between two dumps (empty when equal)."""
    problems = []
    for name in sorted(set(left) | set(right)):
        a, b = left.get(name, []), right.get(name, [])
        if a == b:
            continue
        only_a = [r for r in a if r not in b]
        only_b = [r for r in b if r not in a]
        if len(only_a) == len(only_b):
            for ra, rb in list(zip(only_a, only_b, strict=True))[:3]:
                changed = [(ca, cb) for ca, cb in zip(ra, rb, strict=True) if ca != cb]
                problems.append(f"{name}: row differs in {changed}")
        else:
            problems.append(
                f"{name}: {len(a)} vs {len(b)} rows; only left {only_a[:3]}; only right {only_b[:3]}"
            )
    return problems
