"""``cmir collective``: the steward spends the collective fund (events, showcases, training)."""

from __future__ import annotations

from typing import Annotated

import typer

from cmir.cli.common import (
    BadInput,
    Signer,
    Target,
    address,
    connect,
    load_signer,
    shared_options,
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
@shared_options
def spend(
    recipient: Annotated[str, typer.Argument(help="Who is paid (a supplier, a venue, a trainer).")],
    amount: Annotated[str, typer.Argument(help="Amount in euros, e.g. 450 or 450.50.")],
    memo: Annotated[str, typer.Option("--memo", "-m", help="What it pays for (public, at most 280 bytes).")],
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Spend AMOUNT of the collective fund, paid to RECIPIENT, for MEMO (steward only)."""
    if len(memo.encode()) > 280:
        raise BadInput(f"the memo is {len(memo.encode())} bytes; at most 280")
    if not memo.strip():
        raise BadInput("a memo saying what the money pays for is required")
    chain = connect(target)
    to = address(recipient, "recipient")
    value = units(amount, chain.decimals)
    account = load_signer(signer)
    pool = chain.contract("pool")
    steward = pool.functions.steward().call()
    available = int(pool.functions.collectiveAvailable().call())
    if steward != account.address:
        typer.echo(f"note: the steward is {steward}, not {account.address}")
    if value > available:
        typer.echo(f"note: the collective fund holds {chain.amount(available)}")
    transact(
        chain,
        account,
        pool.functions.spendCollective(to, value, memo),
        f"spend {chain.amount(value)} of the collective fund, paid to {to}",
        yes,
        [f"memo: {memo}", f"collective fund available: {chain.amount(available)}"],
    )
