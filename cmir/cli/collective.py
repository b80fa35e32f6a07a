"""``cmir collective``: the steward spends the collective fund (events, showcases, training)."""

from __future__ import annotations

from typing import Annotated

import typer

from cmir.cli.common import (
    AccountOpt,
    BadInput,
    DeploymentOpt,
    KeyfileOpt,
    NetworkOpt,
    PasswordFileOpt,
    RpcOpt,
    Signer,
    Target,
    YesOpt,
    address,
    connect,
    load_signer,
    transact,
    units,
)

app = typer.Typer(
    name="collective",
    help="The collective fund (events, showcases of skills, training), spent by the steward.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command()
def spend(
    recipient: Annotated[str, typer.Argument(help="Who is paid (a supplier, a venue, a trainer).")],
    amount: Annotated[str, typer.Argument(help="Amount in euros, e.g. 450 or 450.50.")],
    memo: Annotated[str, typer.Option("--memo", "-m", help="What it pays for (public, at most 280 bytes).")],
    network: NetworkOpt = "ethereum:local:foundry",
    rpc_url: RpcOpt = None,
    deployment: DeploymentOpt = None,
    account: AccountOpt = None,
    keyfile: KeyfileOpt = None,
    password_file: PasswordFileOpt = None,
    yes: YesOpt = False,
) -> None:
    """Spend AMOUNT of the collective fund, paid to RECIPIENT, for MEMO (steward only)."""
    if len(memo.encode()) > 280:
        raise BadInput(f"the memo is {len(memo.encode())} bytes; at most 280")
    if not memo.strip():
        raise BadInput("a memo saying what the money pays for is required")
    chain = connect(Target(network, rpc_url, deployment))
    to = address(recipient, "recipient")
    value = units(amount, chain.decimals)
    signer = load_signer(Signer(account, keyfile, password_file))
    pool = chain.contract("pool")
    steward = pool.functions.steward().call()
    available = int(pool.functions.collectiveAvailable().call())
    if steward != signer.address:
        typer.echo(f"note: the steward is {steward}, not {signer.address}")
    if value > available:
        typer.echo(f"note: the collective fund holds {chain.amount(available)}")
    transact(
        chain,
        signer,
        pool.functions.spendCollective(to, value, memo),
        f"spend {chain.amount(value)} of the collective fund, paid to {to}",
        yes,
        [f"memo: {memo}", f"collective fund available: {chain.amount(available)}"],
    )
