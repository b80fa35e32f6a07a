"""Operator commands: ``cmir deploy`` (the contracts, through Ape, as `ape run deploy`),
``cmir serve`` (the API with its production server settings), ``cmir faucet`` (test euros on a
test network) and ``cmir dev travel`` (move a local chain's clock)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from web3.types import RPCEndpoint

from cmir.apps.cli.common import (
    DeploymentOpt,
    Signer,
    Target,
    ape_environment,
    confirm,
    connect,
    default_deployment,
    is_local,
    rpc_alive,
    settings_key,
    shared_options,
    split_choice,
    transact,
)
from cmir.apps.cli.errors import BadInput, CliError
from cmir.apps.cli.parsing import address, parse_duration, show_duration, show_units, units
from cmir.apps.cli.signing import ape_keyfile_or_refuse, ask_password, load_signer

#: What `token` in deployments/settings.yaml deploys, for the deployment's plan.
TOKENS = {
    "TestEuro": "a new TestEuro (test token whose open faucet mints anything; local chains only)",
    "TestnetEuro": "a new TestnetEuro (test token whose faucet gives 10,000 tEUR per account per day)",
}

dev = typer.Typer(
    name="dev",
    help="Local development chain helpers (anvil only).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _deployer(signer: Signer, provider: Any) -> Any:
    from ape import accounts
    from ape_accounts.accounts import KeyfileAccount

    if signer.account and signer.keyfile:
        raise BadInput("give --account or --keyfile, not both")
    if signer.keyfile is not None:
        account = KeyfileAccount(keyfile_path=signer.keyfile)
        account.set_autosign(True, passphrase=ask_password(signer, signer.keyfile.name))
        return account
    if signer.account:
        # where `ape accounts import` put it (APE_DATA_FOLDER, ~/.ape or .build/ape-data), not
        # only the data folder this process gave Ape
        account = KeyfileAccount(keyfile_path=ape_keyfile_or_refuse(signer.account))
        account.set_autosign(True, passphrase=ask_password(signer, f"Ape account {signer.account!r}"))
        return account
    if provider.network.is_dev or provider.network.name == "local":
        return accounts.test_accounts[0]
    raise BadInput("choose the deployer: --account ALIAS (Ape keystore) or --keyfile PATH")


def live_record(path: Path, chain_id: int, code_at: Callable[[str], bytes]) -> bool:
    """`path` is a deployment record of this chain (`chain_id`) whose contracts all have code
    (`code_at(address)`): a live deployment, the running `make up`'s say, that a new record
    there would hide from every tool reading it."""
    try:
        record = json.loads(path.read_text())
        recorded = int(record["chain_id"])
        addresses = [str(entry["address"]) for entry in record["contracts"].values()]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return recorded == chain_id and bool(addresses) and all(len(code_at(a)) > 0 for a in addresses)


@shared_options
def deploy(
    *,
    target: Target,
    signer: Signer,
    founders: Annotated[
        list[str] | None,
        typer.Option(
            "--founder",
            help="ADDRESS:KIND of a founding member (KIND: Pilote, Abeille, EssStructure); repeatable. "
            "Default: the deployer, as a Pilote.",
        ),
    ] = None,
    steward: Annotated[
        str | None, typer.Option("--steward", help="Steward of the collective fund (default: the deployer).")
    ] = None,
    guardian: Annotated[
        str | None,
        typer.Option(
            "--guardian",
            help='The guardian ("conseil de surveillance": a Safe multisig in production), who may only '
            "cancel proposals before execution, giving a reason. Default: none (governance may name one).",
        ),
    ] = None,
    settings: Annotated[
        str | None,
        typer.Option(
            "--settings",
            help="Entry of deployments/settings.yaml to deploy with "
            "(default: the network's, e.g. ethereum:sepolia).",
        ),
    ] = None,
    verify: Annotated[
        bool | None,
        typer.Option(
            "--verify/--no-verify",
            help="Publish the sources on the network's explorer (ape-etherscan). "
            "Default: when ETHERSCAN_API_KEY is set.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the deployment record (default: --deployment, else "
            "deployments/<network>.json).",
            show_default=False,
            dir_okay=False,
            resolve_path=True,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace a record whose contracts are live on this chain (e.g. `make up`'s)."
        ),
    ] = False,
    yes: bool,
) -> None:
    """Deploy and wire the contracts, write the deployment record, publish the sources.

    Settings come from deployments/settings.yaml (the network's entry, or --settings); the record
    goes to deployments/<network>.json (or --out, or --deployment). A record whose contracts are
    live on the chain (the running `make up`'s deployments/local.json, say) is not replaced
    without --force. On Sepolia: the RPC URL from WEB3_PROVIDER_URI (or --rpc-url), the deployer
    from --account or --keyfile, and the sources published on Etherscan when ETHERSCAN_API_KEY
    is set.
    """
    from cmir.chain.deploy import MEMBER_KINDS, ZERO_ADDRESS, DeploymentError, NetworkSettings, write_record
    from cmir.chain.deploy import deploy as deploy_contracts

    network, rpc_url = target.network, target.rpc_url
    key = settings_key(network)
    try:
        chosen = NetworkSettings.for_network(settings or key)
    except DeploymentError as exc:
        raise BadInput(str(exc)) from None
    founder_list: list[tuple[str, str]] = []
    for item in founders or []:
        who, _, kind = item.partition(":")
        if kind not in MEMBER_KINDS:
            raise BadInput(f"--founder {item!r}: KIND must be one of {', '.join(MEMBER_KINDS)}")
        founder_list.append((address(who, "founder"), kind))
    steward_address = address(steward, "steward") if steward else None
    guardian_address = address(guardian, "guardian") if guardian else ZERO_ADDRESS
    out = out or target.deployment or default_deployment(network)
    provider_settings: dict[str, Any] = {}
    if is_local(network):
        url = rpc_url or os.environ.get("APE_FOUNDRY_HOST") or "http://127.0.0.1:8545"
        if rpc_alive(url) is None:
            raise CliError(f"no chain answers at {url}: start anvil (or `make up`) first")
        os.environ["APE_FOUNDRY_HOST"] = url
    elif rpc_url:
        if rpc_alive(rpc_url) is None:
            raise CliError(f"no chain answers at {rpc_url}")
        provider_settings["uri"] = rpc_url
    ape_environment()
    from ape import chain, networks
    from ape.exceptions import ApeException
    from ape.logging import logger

    logger.set_level("ERROR")
    try:
        context = networks.parse_network_choice(network, provider_settings=provider_settings or None)
        with context as provider:
            if not force and live_record(out, int(chain.chain_id), provider.get_code):
                raise CliError(
                    f"{out} records a live deployment on {network} (its contracts have code there: the"
                    " running `make up`'s?), which a new deployment would replace: write the new record"
                    " elsewhere with --out PATH, or replace it with --force"
                )
            deployer = _deployer(signer, provider)
            founder_list = founder_list or [(str(deployer.address), "Pilote")]
            balance = int(provider.get_balance(deployer.address))
            if balance == 0:
                raise CliError(
                    f"the deployer {deployer.address} has no ether on {network} to pay for gas (faucet?)"
                )
            token = TOKENS.get(chosen.token, chosen.token)
            d = show_duration
            governance = (
                f"voting delay {d(chosen.voting_delay)}, period {d(chosen.voting_period)}, timelock "
                f"{d(chosen.timelock_delay)}, quorum {chosen.quorum_percent} % (at least "
                f"{chosen.quorum_floor} votes), approvals expire after {d(chosen.approval_grace_period)}"
            )
            probation = show_duration(chosen.probation) if chosen.probation else "none"
            admission = (
                f"probation {probation}, one invitation per {show_duration(chosen.invitation_refill_period)} "
                f"(at most {chosen.invitation_cap}), valid {show_duration(chosen.invitation_ttl)}"
            )
            spendable = (
                show_units(chosen.collective_budget, 6, "tEUR")
                if chosen.token in TOKENS
                else f"{chosen.collective_budget} token units"
            )
            budget = f"budget {spendable} per {show_duration(chosen.collective_budget_period)}"
            plan = [
                f"About to deploy CMIR DAO on {network} (chain id {chain.chain_id}) from {deployer.address}.",
                f"  settings: {settings or key}; token: {token}",
                f"  governance: {governance}",
                f"  admission: {admission}",
                f"  shares: members {chosen.shares.members_bps}, ESS {chosen.shares.ess_bps} (floor "
                f"{chosen.ess_floor_bps}), collective {chosen.shares.collective_bps} bps",
                f"  points: epochs of {show_duration(chosen.epoch_length)}, reward cap "
                f"{chosen.epoch_reward_cap_bps} bps per epoch, the parties keep at least "
                f"{chosen.parties_min_share_bps} bps of a relation's points",
                f"  founders: {', '.join(f'{a} ({k})' for a, k in founder_list)}",
                f"  steward: {steward_address or deployer.address}, {budget}",
                f"  guardian: {guardian_address if guardian else 'none'}",
                f"  record: {out}",
                "  about 12 transactions",
            ]
            confirm(plan, yes)
            made = deploy_contracts(
                deployer, chosen, founder_list, steward_address or str(deployer.address), guardian_address
            )
            write_record(made, key, out)
            for name, where in made.addresses().items():
                typer.echo(f"{name:>10}: {where}")
            typer.echo(f"deployment block {made.deployment_block}; record: {out}")
            _verify(provider, made, verify)
    except ApeException as exc:
        raise CliError(f"deployment failed: {exc}") from None


def _verify(provider: Any, made: Any, verify: bool | None) -> None:
    wanted = bool(os.environ.get("ETHERSCAN_API_KEY")) if verify is None else verify
    if not wanted:
        typer.echo("sources not published (set ETHERSCAN_API_KEY or pass --verify to publish them)")
        return
    explorer = provider.network.explorer
    if explorer is None:
        typer.echo(f"no explorer plugin for {provider.network.choice}: sources not published")
        return
    for name, contract in vars(made).items():
        if name == "deployment_block":
            continue
        try:
            explorer.publish_contract(contract.address)
            typer.echo(f"published {name} ({contract.address}) on {explorer.name}")
        except Exception as exc:  # one failure must not hide the others
            typer.echo(f"could not publish {name} ({contract.address}): {exc}")


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (env CMIR_HOST, default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (env CMIR_PORT, default 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Server processes (env CMIR_WORKERS, default one per core, at most 8).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Indexer database (env CMIR_DATABASE_URL).")
    ] = None,
    rpc_url: Annotated[str | None, typer.Option("--rpc-url", help="Chain RPC (env CMIR_RPC_URL).")] = None,
    deployment: DeploymentOpt = None,
) -> None:
    """Run the transparency API and its page with the production server settings.

    This is `python -m cmir.api` (uvicorn with uvloop and httptools, no access log). Host, port
    and workers come from the API's settings (CMIR_HOST, CMIR_PORT, CMIR_WORKERS, or the
    options); the database, RPC and deployment from CMIR_DATABASE_URL, CMIR_RPC_URL and
    CMIR_DEPLOYMENT_FILE (or the options). Without CMIR_DATABASE_URL the database is the `make
    up` stack's when it has one.
    """
    from pydantic import ValidationError

    from cmir.api.settings import Settings

    given: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": workers,
        "database_url": database_url,
        "rpc_url": rpc_url,
        "deployment_file": deployment,
    }
    try:
        # the environment's settings, the options on top; handed to the server (and its workers)
        settings = Settings(**{name: value for name, value in given.items() if value is not None})
    except ValidationError as exc:
        raise BadInput(f"invalid API settings: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None
    if not Path(settings.deployment_file).exists():
        raise BadInput(f"no deployment record at {settings.deployment_file} (CMIR_DEPLOYMENT_FILE)")
    from cmir.api.errors import ConfigurationError
    from cmir.api.server import serve as production_server

    typer.echo(f"serving http://{settings.host}:{settings.port}/ ({settings.workers} worker(s))", err=True)
    try:
        production_server(settings)
    except ConfigurationError as exc:
        raise CliError(str(exc)) from None


@shared_options
def faucet(
    amount: Annotated[str, typer.Argument(help="Euros of the test token to take, e.g. 500.")] = "1000",
    to: Annotated[
        str | None,
        typer.Option("--to", help="Recipient (default: the signer; TestEuro on a local chain only)."),
    ] = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Get test euros from the test token's faucet (test networks only).

    On a public test network the token is TestnetEuro: its faucet pays whoever calls it, at most
    10,000 tEUR per account per day (UTC). On a local chain it is TestEuro, whose open faucet
    mints any amount to anyone (--to).
    """
    chain = connect(target)
    token = chain.contract("token")
    kind = chain.record["contracts"]["token"].get("contract")
    if kind not in ("TestEuro", "TestnetEuro"):
        raise CliError(f"this deployment's token is {kind or 'not a test euro'}: there is no faucet")
    account = load_signer(signer)
    recipient = address(to, "recipient") if to else account.address
    value = units(amount, chain.decimals)
    if kind == "TestEuro":
        call, what = token.functions.mint(recipient, value), f"mint {chain.amount(value)} to {recipient}"
        transact(chain, account, call, what, yes)
        return
    if recipient != account.address:
        raise BadInput(
            "TestnetEuro's faucet pays the account that calls it: sign with the recipient's own "
            f"account (--account/--keyfile of {recipient}), then send it tEUR from your wallet if needed"
        )
    left = int(token.functions.faucetLeft(account.address).call())
    daily = int(token.functions.DAILY_ALLOWANCE().call())
    if value > left:
        raise CliError(
            f"the faucet gives at most {chain.amount(daily)} per account per day: {account.address} "
            f"may take {chain.amount(left)} more today; the allowance renews at 00:00 UTC"
        )
    transact(
        chain,
        account,
        token.functions.faucet(value),
        f"take {chain.amount(value)} from the TestnetEuro faucet",
        yes,
        [f"left today after this: {chain.amount(left - value)} of {chain.amount(daily)} (renews 00:00 UTC)"],
    )


@dev.command()
@shared_options
def travel(
    duration: Annotated[str, typer.Argument(help="How far to move the clock: 90s, 15m, 2h, 1d.")],
    *,
    target: Target,
) -> None:
    """Move a local anvil chain's clock forward and mine a block.

    To open or close a vote or pass the timelock's delay on the demo chain. Refused on any chain
    that is not anvil.
    """
    seconds = parse_duration(duration)
    chain = connect(target)
    if not chain.is_dev():
        raise CliError(f"{target.network} is not a local anvil chain: its clock cannot be moved")
    chain.w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [seconds])
    chain.w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    block = chain.w3.eth.get_block("latest")
    import time as _time

    typer.echo(
        f"block {block['number']} at "
        f"{_time.strftime('%Y-%m-%d %H:%M:%S UTC', _time.gmtime(block['timestamp']))}"
    )


__all__ = ["deploy", "dev", "faucet", "serve", "split_choice"]
