"""The ``cmir`` command line: one root for every user of CMIR DAO.

    member     cmir member invite | accept (join) | revoke | show | pay | claim | rewards
    voter      cmir dao propose-funding | propose-activate | propose-shares | propose-epoch-length
               | propose-reward-cap | propose-parties-min-share | propose-quorum-floor
               | propose-grace-period | propose-membership-rules | propose-collective-budget
               | propose-guardian | propose-attester | vote | queue | execute | proposals
    guardian   cmir dao guardian-cancel N° --reason "…"
    attester   cmir member attest ACCOUNT
    steward    cmir collective spend
    operator   cmir deploy | index | serve | relay   (and cmir faucet, cmir dev travel on test chains)
    auditor    cmir audit --rpc URL --deployment deployments/<network>.json [--api URL]

Console script: ``cmir = "cmir.apps.cli:main"``; ``python -m cmir.apps.cli`` runs the same.
"""

from __future__ import annotations

import sys

import typer

from cmir.apps.cli import collective, dao, dao_params, member, operator, relay
from cmir.apps.cli.errors import CliError
from cmir.apps.cli.parsing import AmountCommand

app = typer.Typer(
    name="cmir",
    help="CMIR DAO: pay for relations, fund the social and solidarity economy (ESS), vote, audit. "
    "Transactions say what they do and ask before sending (--yes skips the question); accounts come "
    "from Ape's keystore (--account) or a keyfile (--keyfile), never a key on the command line.",
    epilog="Member: cmir member invite|accept (join)|revoke|show|pay|claim|rewards. Voter: cmir dao "
    "propose-funding|propose-activate|propose-shares|propose-epoch-length|propose-reward-cap|"
    "propose-parties-min-share|propose-quorum-floor|propose-grace-period|propose-membership-rules|"
    "propose-collective-budget|propose-guardian|propose-attester|vote|queue|execute|proposals. "
    "Guardian: cmir dao guardian-cancel. Attester: cmir member attest. Steward: cmir collective spend. "
    "Operator: cmir deploy|index|serve|relay. Auditor: cmir audit. Network: --network (Ape choice, default "
    "ethereum:local:foundry = the anvil of `make up`); deployment record: --deployment (default "
    "deployments/<network>.json).",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(member.app, name="member")
dao.app.command("propose-epoch-length")(dao_params.propose_epoch_length)
dao.app.command("propose-reward-cap")(dao_params.propose_reward_cap)
dao.app.command("propose-parties-min-share")(dao_params.propose_parties_min_share)
dao.app.command("propose-quorum-floor")(dao_params.propose_quorum_floor)
dao.app.command("propose-grace-period")(dao_params.propose_grace_period)
dao.app.command("propose-membership-rules")(dao_params.propose_membership_rules)
dao.app.command("propose-collective-budget", cls=AmountCommand)(dao_params.propose_collective_budget)
dao.app.command("propose-guardian")(dao_params.propose_guardian)
dao.app.command("propose-attester")(dao_params.propose_attester)
# The proposals first, together, in `cmir dao --help`.
dao.app.registered_commands.sort(key=lambda info: not (info.name or "").startswith("propose-"))
app.add_typer(dao.app, name="dao")
app.add_typer(collective.app, name="collective")
app.command("deploy")(operator.deploy)
app.command("serve")(operator.serve)
app.command("relay")(relay.relay)
app.command("faucet", cls=AmountCommand)(operator.faucet)
app.add_typer(operator.dev, name="dev")


def _mount_optional() -> None:
    from cmir.audit.cli import audit

    app.command("audit")(audit)
    from cmir.indexer.cli import app as index_app

    app.add_typer(index_app, name="index")


_mount_optional()


def run(argv: list[str] | None = None, prog: str = "cmir") -> int:
    """Run the command line; every failure is one line on stderr and a non-zero exit code:
    1 a refused or failed operation (a revert, an unreachable chain, an audit difference),
    2 bad input, 130 interrupted."""
    from cmir.chain.errors import CmirError

    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name=prog, standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 130
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except typer.TyperException as exc:  # usage errors: a bad option or value
        if type(exc).__name__ == "NoArgsIsHelpError":  # a group without a command: its help
            typer.echo(exc.format_message(), err=True)
            return 2
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"error: {message} (see --help)", err=True)
        return int(getattr(exc, "exit_code", 2))
    except CliError as exc:
        typer.echo(f"error: {exc}", err=True)
        return exc.code
    except CmirError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 1
    return int(result) if isinstance(result, int) else 0


def main() -> None:
    """Entry point of the ``cmir`` console script."""
    sys.exit(run())
