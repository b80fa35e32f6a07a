"""Gas report: `ape run gas_report` (a local anvil chain unless `--network` says otherwise).

Deploys a fresh system as the tests do (three founders: a Pilote, an Abeille, an ESS structure),
measures what members pay for each operation with `cmir.dev.gas.measure` (receipts' `gasUsed`, the
21,000 base cost included; pay_relation and claim at 10, 100 and 1,000 members, each after 1, 10
and 100 epochs without a booking), writes gas-report.json at the repository root and prints a
table.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from ape import accounts, chain
from ape.cli import ConnectedProviderCommand, network_option

from cmir.chain.deploy import NetworkSettings, deploy_on_test_accounts
from cmir.chain.paths import project_root
from cmir.dev.gas import EPOCHS_ELAPSED, MEMBER_COUNTS, measure, summary


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
@click.option(
    "--members",
    "member_counts",
    multiple=True,
    type=int,
    default=MEMBER_COUNTS,
    show_default=True,
    help="Active member counts at which pay_relation and claim are measured; repeatable.",
)
@click.option(
    "--epochs",
    "epochs_elapsed",
    multiple=True,
    type=click.IntRange(min=1),
    default=EPOCHS_ELAPSED,
    show_default=True,
    help="Epochs without a booking before pay_relation and claim are measured; repeatable.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=project_root() / "gas-report.json",
    show_default=True,
    help="Where the JSON report goes.",
)
def cli(
    network: object, member_counts: tuple[int, ...], epochs_elapsed: tuple[int, ...], output: Path
) -> None:
    """Measure the gas members pay and write the report."""
    ecosystem = chain.provider.network.ecosystem.name
    network_name = chain.provider.network.name
    settings = NetworkSettings.for_network(f"{ecosystem}:{network_name}")
    deployment = deploy_on_test_accounts(settings, accounts.test_accounts)
    measurements = measure(deployment, member_counts, progress=click.echo, epochs_elapsed=epochs_elapsed)
    output.write_text(json.dumps([m.as_dict() for m in measurements], indent=2) + "\n")
    click.echo()
    click.echo(summary(measurements))
    click.echo(f"\nreport: {output}")
