"""``cmir collective``: the steward spends the collective fund (events, showcases, training),
within the budget per period set by governance."""

from __future__ import annotations

from typing import Annotated

import typer

from cmir.apps.cli.common import Chain, Signer, Target, connect, now, shared_options, transact
from cmir.apps.cli.errors import BadInput
from cmir.apps.cli.parsing import AmountCommand, address, show_duration, show_time, units
from cmir.apps.cli.signing import load_signer

app = typer.Typer(
    name="collective",
    help="The collective fund (events, showcases of skills, training), spent by the steward.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command(cls=AmountCommand)
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
    """Spend AMOUNT of the collective fund, paid to RECIPIENT, for MEMO (steward only).

    The steward spends at most the governed budget per period (a period starts with the first
    spending after the previous one ended); the plan shows what is left of it."""
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
    budget, left, ends = budget_left(chain)
    if value > left:
        typer.echo(f"note: {chain.amount(left)} of the budget is left until {show_time(ends)}")
    transact(
        chain,
        account,
        pool.functions.spendCollective(to, value, memo),
        f"spend {chain.amount(value)} of the collective fund, paid to {to}",
        yes,
        [f"memo: {memo}", f"collective fund available: {chain.amount(available)}", budget],
    )


def budget_left(chain: Chain) -> tuple[str, int, int]:
    """The steward's budget as a line, what is left of it now, and when the running period ends
    (a spending now opens a new period when none is running)."""
    amount, period, period_start, spent = (
        int(x) for x in chain.contract("pool").functions.collectiveBudget().call()
    )
    moment = now(chain)
    if period_start and moment < period_start + period:
        left, ends = max(0, amount - spent), period_start + period
        running = f"{chain.amount(spent)} spent in the period since {show_time(period_start)}"
    else:
        left, ends = amount, moment + period
        running = "no period running: this spending starts one"
    line = (
        f"budget: {chain.amount(amount)} per {show_duration(period)}; {running}; "
        f"{chain.amount(left)} left until {show_time(ends)}"
    )
    return line, left, ends
