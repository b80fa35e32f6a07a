"""Deploy and wire the CMIR DAO contracts: `ape run deploy --network ethereum:local:foundry`.

The account is chosen with `--account ALIAS` (an Ape keystore account); on a local chain the
first test account is used. Founders default to the deployer (a Pilote); the steward defaults to
the deployer; there is no guardian unless `--guardian ADDRESS` names one (the "conseil de
surveillance", who may only cancel proposals). The record (addresses, deployment block, ABIs)
goes to deployments/<network>.json.
"""

from __future__ import annotations

import click
from ape import accounts, chain
from ape.cli import ConnectedProviderCommand, network_option

from cmir.chain.deploy import ZERO_ADDRESS, NetworkSettings, deploy, write_record
from cmir.chain.paths import project_root


def founder_entry(text: str) -> tuple[str, str]:
    """``--founder ADDRESS:KIND`` as (address, kind name)."""
    address, separator, kind = text.partition(":")
    if not separator:
        raise click.BadParameter(f"{text!r} is not ADDRESS:KIND", param_hint="--founder")
    return address, kind


@click.command(cls=ConnectedProviderCommand)
@network_option()
@click.option(
    "--account", "alias", default=None, help="Ape keystore account alias (default: first test account)."
)
@click.option(
    "--founder",
    "founders",
    multiple=True,
    help="ADDRESS:KIND of a founding member (KIND: Pilote, Abeille, EssStructure); repeatable.",
)
@click.option("--steward", default=None, help="Steward of the collective fund (default: the deployer).")
@click.option(
    "--guardian",
    default=None,
    help="Guardian (conseil de surveillance) who may only cancel proposals (default: none).",
)
def cli(
    network: object, alias: str | None, founders: tuple[str, ...], steward: str | None, guardian: str | None
) -> None:
    """Deploy, wire and record the contracts on the connected network."""
    ecosystem = chain.provider.network.ecosystem.name
    network_name = chain.provider.network.name
    key = f"{ecosystem}:{network_name}"
    settings = NetworkSettings.for_network(key)
    deployer = accounts.load(alias) if alias else accounts.test_accounts[0]
    founder_list = [founder_entry(f) for f in founders] or [(str(deployer.address), "Pilote")]
    deployment = deploy(
        deployer,
        settings,
        founder_list,
        steward or str(deployer.address),
        guardian or ZERO_ADDRESS,
    )
    root = project_root()
    path = root / "deployments" / f"{network_name}.json"
    write_record(deployment, key, path)
    for name, address in deployment.addresses().items():
        click.echo(f"{name:>10}: {address}")
    click.echo(f"record: {path.relative_to(root)}")
