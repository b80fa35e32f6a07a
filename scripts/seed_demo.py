"""Seed the CMIR demo: `ape run seed_demo --network ethereum:local:foundry`.

Expects a fresh anvil started 181 days in the past with 102 accounts
(`anvil --accounts 102 --timestamp $(( $(date +%s) - 181*86400 ))`) and the contracts deployed
with the demo's founders and guardian (`cmir deploy --settings demo --founder ... --guardian ...`):
`make up` does all of this. The seeding itself is `cmir.dev.demo.seed` (raw JSON-RPC with anvil's
unlocked accounts).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from ape import chain
from ape.cli import ConnectedProviderCommand, network_option

from cmir.dev.demo.seed import seed

ROOT = Path(__file__).resolve().parent.parent


@click.command(cls=ConnectedProviderCommand)
@network_option()
@click.option("--deployment", type=click.Path(path_type=Path), default=ROOT / "deployments" / "local.json")
@click.option(
    "--metadata-dir", type=click.Path(path_type=Path), default=ROOT / ".build" / "stack" / "metadata"
)
@click.option("--metadata-url", default="http://127.0.0.1:8001", help="Where the metadata folder is served.")
def cli(network: object, deployment: Path, metadata_dir: Path, metadata_url: str) -> None:
    """Seed the demo on the connected local chain."""
    summary = seed(
        chain.provider.uri,
        deployment,
        metadata_dir,
        metadata_url,
        ROOT / "deployments" / "demo-accounts.json",
        ROOT / ".build" / "stack" / "keyfiles",
    )
    click.echo(json.dumps(summary, indent=2))
