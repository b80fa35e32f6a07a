"""``cmir index``: mirror the CMIR DAO's events into SQL.

    cmir index              backfill from the checkpoint, then follow the chain head
    cmir index --once       index up to the (confirmed) head, then exit
    cmir index status       checkpoint, head, lag and row counts
    cmir index rebuild      recompute every projection from the raw event log

Settings come from the environment (``CMIR_DATABASE_URL``, ``CMIR_RPC_URL``,
``CMIR_DEPLOYMENT_FILE``, ``CMIR_CONFIRMATIONS``...; see `cmir.chain.settings.IndexerSettings`) and
the options below override them. Without ``CMIR_DATABASE_URL`` the database is the ``make up``
stack's when it has one (``CMIR_STATE_DIR``, default .build/stack). ``python -m cmir.indexer``
runs the same commands.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from cmir.chain.errors import CmirError
from cmir.indexer.errors import IndexerError
from cmir.indexer.settings import Settings

app = typer.Typer(
    name="index",
    help="Mirror the CMIR DAO's on-chain events into SQL (SQLite by default, PostgreSQL by URL).",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (env CMIR_DATABASE_URL).", show_default=False),
]
RpcOption = Annotated[
    str | None, typer.Option("--rpc-url", help="JSON-RPC endpoint (env CMIR_RPC_URL).", show_default=False)
]
DeploymentOption = Annotated[
    Path | None,
    typer.Option(
        "--deployment", help="deployments/<network>.json (env CMIR_DEPLOYMENT_FILE).", show_default=False
    ),
]
LogOption = Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")]


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with the given options (those not None) on top."""
    values = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        raise IndexerError(f"invalid settings: {problems}") from None


def existing_database(settings: Settings) -> None:
    """Refuse the default database when it does not exist yet (opening a SQLite file creates it
    empty), for the commands that only read or recompute what is there: neither the `make up`
    stack's database nor one of `cmir index` was found. A database named explicitly (option or
    environment) is opened as it is."""
    path = settings.sqlite_file()
    if "database_url" not in settings.model_fields_set and path is not None and not path.exists():
        raise IndexerError(
            f"no index database: neither the `make up` stack's ({settings.state_dir / 'index.sqlite3'})"
            f" nor {path}; start `make up` or run `cmir index`, or name one with --database-url"
            " (env CMIR_DATABASE_URL)"
        )


def _logging(level: str) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise IndexerError(f"unknown log level {level!r} (DEBUG, INFO, WARNING or ERROR)")
    logging.basicConfig(level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(max(numeric, logging.WARNING))


@app.callback(invoke_without_command=True)
def index(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Index up to the head, then exit.")] = False,
    database_url: DatabaseOption = None,
    rpc_url: RpcOption = None,
    deployment: DeploymentOption = None,
    confirmations: Annotated[
        int | None,
        typer.Option(
            help="Blocks behind the head left unindexed (env CMIR_CONFIRMATIONS).", show_default=False
        ),
    ] = None,
    poll_interval: Annotated[
        float | None,
        typer.Option(help="Seconds between head polls (env CMIR_POLL_INTERVAL).", show_default=False),
    ] = None,
    log_level: LogOption = "INFO",
) -> None:
    """Backfill from the checkpoint, then follow the chain head (Ctrl-C stops cleanly)."""
    if ctx.invoked_subcommand is not None:
        return
    _logging(log_level)
    settings = load_settings(
        database_url=database_url,
        rpc_url=rpc_url,
        deployment_file=deployment,
        confirmations=confirmations,
        poll_interval=poll_interval,
    )
    from cmir.indexer.progress import default_progress
    from cmir.indexer.sync import Indexer

    logging.getLogger("indexer").info(
        "database %s%s",
        settings.database_url,
        " (the `make up` stack's)" if settings.is_stack_database() else "",
    )
    indexer = Indexer(settings, progress=default_progress(settings.log_interval))

    def _stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("indexer").info("signal %d: stopping after the current batch", signum)
        indexer.stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    stats = indexer.run(follow=not once)
    typer.echo(
        f"checkpoint {stats.checkpoint} (head {stats.head}): {stats.events} events"
        f" in {stats.batches} batches, {stats.reorgs} reorgs"
    )


@app.command()
def status(
    database_url: DatabaseOption = None,
    rpc_url: RpcOption = None,
    deployment: DeploymentOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not ask the RPC endpoint for the head.")
    ] = False,
) -> None:
    """Show the checkpoint, the chain head and lag, and how many rows each table holds."""
    settings = load_settings(database_url=database_url, rpc_url=rpc_url, deployment_file=deployment)
    from cmir.chain.abi import AbiRegistry
    from cmir.chain.deployment import load_deployment
    from cmir.indexer.projections import Projector
    from cmir.indexer.store import Store
    from cmir.store.session import current_revision, make_engine

    deployment_ = load_deployment(settings.deployment_file).select(tuple(settings.contracts))
    existing_database(settings)
    engine = make_engine(settings.database_url)
    revision = current_revision(engine)
    report: dict[str, Any] = {
        "database": engine.url.render_as_string(hide_password=True),
        "schema_revision": revision,
        "chain_id": deployment_.chain_id,
        "deployment_block": deployment_.deployment_block,
    }
    if revision is None:
        report["checkpoint"] = None
    else:
        store = Store(engine, deployment_, Projector(AbiRegistry(deployment_)), settings.reorg_window)
        try:
            checkpoint = store.checkpoint()
        except Exception:  # no checkpoint row: never indexed
            checkpoint = None
        report["checkpoint"] = checkpoint.block_number if checkpoint else None
        report["checkpoint_hash"] = checkpoint.block_hash if checkpoint else None
        updated = store.last_batch_time()
        report["last_write_seconds_ago"] = int(time.time()) - updated if updated else None
        report["rows"] = store.counts()
    if not offline:
        from cmir.chain.rpc import RpcClient

        rpc = RpcClient(settings.rpc_url, timeout=10, max_retries=1, backoff_base=0.1)
        head = int(rpc.call("eth_blockNumber"), 16)
        report["head"] = head
        if report.get("checkpoint") is not None:
            report["lag_blocks"] = head - settings.confirmations - report["checkpoint"]
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        if key == "rows":
            typer.echo("rows:")
            for table, count in value.items():
                typer.echo(f"  {table:<22} {count}")
        else:
            typer.echo(f"{key}: {value}")


@app.command()
def rebuild(
    database_url: DatabaseOption = None,
    deployment: DeploymentOption = None,
    log_level: LogOption = "INFO",
) -> None:
    """Recompute every projection from the raw event log (one transaction; the raw log, the
    blocks and the checkpoint stay as they are)."""
    _logging(log_level)
    settings = load_settings(database_url=database_url, deployment_file=deployment)
    from cmir.chain.abi import AbiRegistry
    from cmir.chain.deployment import load_deployment
    from cmir.indexer.projections import Projector
    from cmir.indexer.store import Store
    from cmir.store.session import make_engine

    deployment_ = load_deployment(settings.deployment_file).select(tuple(settings.contracts))
    existing_database(settings)
    store = Store(
        make_engine(settings.database_url, writer=True),
        deployment_,
        Projector(AbiRegistry(deployment_)),
        settings.reorg_window,
    )
    store.prepare()
    started = time.monotonic()
    count = store.rebuild()
    typer.echo(f"rebuilt the projections from {count} raw events in {time.monotonic() - started:.1f}s")


def run(
    argv: list[str] | None = None, prog: str = "cmir index", application: typer.Typer | None = None
) -> int:
    """Run the index commands (or `application`, e.g. a root app mounting them); every failure
    is one line on stderr and a non-zero exit code."""
    command = typer.main.get_command(application or app)
    try:
        command.main(args=argv, prog_name=prog, standalone_mode=False)
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0))
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 130
    except typer.TyperException as exc:  # usage errors: bad option or value
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"error: {message} (see --help)", err=True)
        return int(getattr(exc, "exit_code", 2))
    except CmirError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 1
    return 0


def main() -> None:
    """Entry point of ``python -m cmir.indexer``: the index commands alone."""
    sys.exit(run(prog="python -m cmir.indexer"))


#: A root ``cmir`` app with ``index`` mounted, for a console script ``cmir = "cmir.indexer.cli:cmir_main"``
#: until the project has its own root command (which can mount `app` the same way).
cli = typer.Typer(name="cmir", help="CMIR DAO command line.", add_completion=False, rich_markup_mode=None)
cli.add_typer(app, name="index")


def cmir_main() -> None:
    """Entry point of a ``cmir`` console script: ``cmir index ...``."""
    sys.exit(run(prog="cmir", application=cli))
