"""``cmir relay``: the relayer's sender, which sends the members' signed requests the API accepted
(``/api/v1/relay``) with the operator's key and pays their gas (`cmir.relayer.sender`)."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from cmir.apps.cli.common import DeploymentOpt, Signer, shared_options
from cmir.apps.cli.errors import BadInput, CliError
from cmir.apps.cli.signing import load_signer


@shared_options
def relay(
    signer: Signer,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="The API's database (env CMIR_DATABASE_URL).")
    ] = None,
    rpc_url: Annotated[str | None, typer.Option("--rpc-url", help="Chain RPC (env CMIR_RPC_URL).")] = None,
    deployment: DeploymentOpt = None,
    once: Annotated[bool, typer.Option("--once", help="Send what is pending now, then stop.")] = False,
) -> None:
    """Send the requests members signed and the API accepted, paying their gas with the
    operator's account (--keyfile with --password-file, or --account; never a key on the
    command line). One sender at a time holds the database's lease; a restart resumes what was
    accepted or sent. Settings: CMIR_RELAY_POLL_INTERVAL, CMIR_RELAY_RECEIPT_TIMEOUT,
    CMIR_RELAY_MAX_ATTEMPTS, CMIR_RELAY_BACKOFF_BASE, CMIR_RELAY_BACKOFF_MAX,
    CMIR_RELAY_LEASE_SECONDS."""
    from pydantic import ValidationError

    from cmir.chain.deployment import load_deployment
    from cmir.chain.errors import CmirError
    from cmir.chain.settings import RelayerSettings
    from cmir.relayer.sender import Sender
    from cmir.store.session import make_engine

    given: dict[str, Any] = {"database_url": database_url, "rpc_url": rpc_url, "deployment_file": deployment}
    try:
        settings = RelayerSettings(**{name: value for name, value in given.items() if value is not None})
    except ValidationError as exc:
        raise BadInput(f"invalid settings: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None
    if not Path(settings.deployment_file).exists():
        raise BadInput(f"no deployment record at {settings.deployment_file} (CMIR_DEPLOYMENT_FILE)")
    account = load_signer(signer)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()

    def interrupted(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        engine = make_engine(settings.database_url, writer=True)
        sender = Sender(settings, load_deployment(settings.deployment_file), account, engine)
        typer.echo(f"relaying as {account.address} ({settings.database_url})", err=True)
        sender.run(stop, once=once)
    except CmirError as exc:
        raise CliError(str(exc)) from None
