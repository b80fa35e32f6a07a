"""Alembic environment of the CMIR mirror: the target metadata is the models' one base."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

import cmir.store  # noqa: F401  (registers every table on the metadata)
from cmir.store.base import Base

config = context.config
if config.config_file_name is not None and config.get_section("loggers"):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without a database."""
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from cmir.indexer.settings import Settings
        from cmir.store.session import normalize_url

        url = normalize_url(Settings().database_url)
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the caller's connection if it gave one, else a new engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    if not config.get_main_option("sqlalchemy.url"):
        from cmir.indexer.settings import Settings
        from cmir.store.session import normalize_url

        config.set_main_option("sqlalchemy.url", normalize_url(Settings().database_url).replace("%", "%%"))
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
