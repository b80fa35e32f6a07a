"""Attack report: `ape run attack_report` (a local anvil chain unless `--network` says otherwise).

Deploys a fresh system with the `ethereum:local` settings, an honest network (six members paying
each other relations over a few epochs) and a colluding ring (a pair and their two sponsors),
then plays the ring's best-known attacks with `cmir.attacks` and prints the ring's profit:
- for an announced contribution of 1x, 10x, 100x and 1,000x the matured points base, the ring
  buying points in the epoch before it with budgets from 1 % to 100x the base (the README's table);
- for an announced stream (the same contribution at the start of each of n epochs);
- for every inflow kind and sniper strategy, at 1,000x the base (the attack table).
"""

from __future__ import annotations

import click
from ape import accounts
from ape.cli import ConnectedProviderCommand, network_option

from cmir import attacks
from cmir.attacks import Attack, Outcome, Relation
from cmir.deployment import NetworkSettings, deploy_on_test_accounts

EUR = 10**6
SIZES = (1.0, 10.0, 100.0, 1000.0)
BUDGETS = (0.01, 0.1, 1.0, 10.0, 100.0)
STREAM_EPOCHS = (1, 5, 10, 20)
HISTORY = [
    Relation(0, 1, 500 * EUR),
    Relation(2, 3, 1_200 * EUR),
    Relation(4, 5, 800 * EUR, epochs_before=1),
    Relation(1, 4, 300 * EUR),
    Relation(3, 0, 2_000 * EUR, epochs_before=2),
]


def _euros(units: int) -> str:
    """Token units as euros with two decimals and a sign."""
    return f"{units / EUR:+,.2f}"


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
def cli(network: object) -> None:
    """Play the insiders' attacks and print the ring's profit."""
    settings = NetworkSettings.for_network("ethereum:local")
    deployment = deploy_on_test_accounts(settings, accounts.test_accounts)
    network_ = attacks.build(deployment)
    launch_outcomes = [
        attacks.play(network_, Attack("launch", 1000.0, strategy, 1.0), 0) for strategy in attacks.STRATEGIES
    ]
    base = attacks.play_history(network_, HISTORY)
    click.echo(f"matured points base: {base / EUR:,.2f} (tEUR of weighted relations)")
    click.echo(
        f"settings: members {settings.shares.members_bps} bps, weights sum "
        f"{sum(settings.weights.as_tuple())} bps, epoch reward cap {settings.epoch_reward_cap_bps} bps, "
        f"epoch {settings.epoch_length} s\n"
    )
    click.echo("Announced contribution, ring buying points the epoch before (profit in tEUR):")
    header = f"{'inflow':>10} {'to members':>14} {'to ESS':>14} " + " ".join(
        f"{f'budget {b:g}x':>14}" for b in BUDGETS
    )
    click.echo(header + f" {'best':>14}")
    for size in SIZES:
        outcomes = [
            attacks.play(network_, Attack("contribution", size, "epoch_ahead", b), base) for b in BUDGETS
        ]
        first = outcomes[0]
        best = max(o.profit for o in outcomes)
        row = f"{size:>9g}x {first.to_members / EUR:>14,.2f} {first.to_ess / EUR:>14,.2f} "
        click.echo(row + " ".join(f"{_euros(o.profit):>14}" for o in outcomes) + f" {_euros(best):>14}")
    click.echo(
        "\nAnnounced stream: 1,000x the base at the start of each of n epochs, ring buying the epoch before:"
    )
    click.echo(f"{'epochs':>10} " + " ".join(f"{f'budget {b:g}x':>14}" for b in BUDGETS) + f" {'best':>14}")
    for epochs in STREAM_EPOCHS:
        outcomes = [
            attacks.play(network_, Attack("contribution", 1000.0, "epoch_ahead", b, epochs), base)
            for b in BUDGETS
        ]
        best = max(o.profit for o in outcomes)
        click.echo(
            f"{epochs:>10} " + " ".join(f"{_euros(o.profit):>14}" for o in outcomes) + f" {_euros(best):>14}"
        )
    click.echo("\nEvery inflow kind and strategy at 1,000x the base, budget 1x (profit in tEUR):")
    click.echo(f"{'inflow':>14} " + " ".join(f"{s:>14}" for s in attacks.STRATEGIES))
    for kind in attacks.INFLOW_KINDS:
        played: list[Outcome | None]
        if kind == "launch":
            played = list(launch_outcomes)
        else:
            played = [
                attacks.play(network_, Attack(kind, 1000.0, strategy, 1.0), base)
                if not (kind == "fee" and strategy == "same_block")
                else None
                for strategy in attacks.STRATEGIES
            ]
        cells = [f"{_euros(o.profit):>14}" if o else f"{'n/a':>14}" for o in played]
        click.echo(f"{kind:>14} " + " ".join(cells))
