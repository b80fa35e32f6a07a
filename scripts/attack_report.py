"""Attack report: `ape run attack_report` (a local anvil chain unless `--network` says otherwise).

Deploys a fresh system with the `ethereum:local` settings, an honest network (six members paying
each other relations over a few epochs) and a colluding ring (a pair and their two sponsors),
then plays the ring's best-known attacks with `cmir.dev.attacks` and prints the ring's profit:
- for an announced contribution of 1x, 10x, 100x and 1,000x the matured points base, the ring
  buying points in the epoch before it with budgets from 1 % to 100x the base (the README's table);
- for an announced stream (the same contribution at the start of each of n epochs);
- for every inflow kind and sniper strategy, at 1,000x the base (the attack table).

Then the attacks on the vote (issue 11): each replayed with `cmir.dev.governance_attacks` on a fresh
deployment with the `ethereum:local` settings and a guardian, the attacker's profit as the issue
reported it and as measured now; and the capture race (`cmir.dev.capture`) on the `demo` and
`ethereum:sepolia` settings deployed on the same anvil: the days until one member's invitation
tree outvotes H honest members (H = 40 and 400 by default), the capture proposal at the first H
and the guardian's veto, and what that veto buys once the side keeps its majority.
`--skip-pool` prints only the attacks on the vote.
"""

from __future__ import annotations

from collections.abc import Sequence

import click
from ape import accounts
from ape.cli import ConnectedProviderCommand, network_option
from ape.logging import LogLevel, logger

from cmir.chain.deploy import NetworkSettings, deploy_on_test_accounts
from cmir.dev import attacks, capture, governance_attacks
from cmir.dev.attack_stage import Stage
from cmir.dev.attacks import Attack, Outcome, Relation

EUR = 10**6
DAY = 86_400
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


CAPTURE_NETWORKS = ("demo", "ethereum:sepolia")
CAPTURE_HONEST = (40, 400)
#: The guardian's reason, in French (the votes and days of the capture are filled in).
VETO_REASON = (
    "Capture : {votes} voix d'un même arbre d'invitations ouvert il y a {days:.0f} jours par un seul "
    "membre, pour un projet inconnu du réseau qui recevrait tout le fonds ESS."
)


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
@click.option("--skip-pool", is_flag=True, help="Print only the attacks on the vote (issue 11).")
@click.option(
    "--honest",
    "honest_counts",
    multiple=True,
    type=click.IntRange(min=1),
    default=CAPTURE_HONEST,
    show_default=True,
    help="Honest members to outvote in the capture race; repeatable.",
)
def cli(network: object, skip_pool: bool, honest_counts: Sequence[int]) -> None:
    """Play the insiders' attacks and print the attacker's profit."""
    logger.set_level(LogLevel.WARNING)  # the tables, not every transaction
    if not skip_pool:
        _pool_attacks()
    _governance_attacks()
    _capture(sorted(set(honest_counts)))


def _pool_attacks() -> None:
    """The ring's attacks on the pool (issues before 11)."""
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


def _governance_attacks() -> None:
    """Issue 11's attacks on the vote, replayed on the local settings with a guardian."""
    guardian = _guardian()
    deployment = deploy_on_test_accounts(
        NetworkSettings.for_network("ethereum:local"), accounts.test_accounts, guardian=guardian
    )
    replays = governance_attacks.play_all(Stage.on(deployment, accounts.test_accounts, guardian))
    click.echo(
        "\nAttacks on the vote (issue 11), ethereum:local settings with a guardian (tEUR to the attacker):"
    )
    click.echo(f"{'attack':<44} {'reported':>10} {'now':>10} {'bound':>10} {'unit':>16} {'refused':>7}")
    for replay in replays:
        reported, now, bound = (
            replay.amount(v) for v in (replay.reported_profit, replay.profit, replay.bound)
        )
        click.echo(
            f"{replay.title[:44]:<44} {reported:>10} {now:>10} {bound:>10} {replay.unit:>16} "
            f"{len(replay.blocked):>7}"
        )
    click.echo("")
    for replay in replays:
        click.echo(f"- {replay.title}. Reported: {replay.reported}.")
        click.echo(f"  Now: {replay.now}.")
        refused = ", ".join(sorted({step.error for step in replay.blocked}))
        click.echo(f"  Refused with: {refused}.")


def _capture(honest_counts: Sequence[int]) -> None:
    """The capture race on the demo and testnet settings, the capture vote and the guardian's veto."""
    if not honest_counts:
        return
    first = honest_counts[0]
    runs = [
        capture.play(
            NetworkSettings.for_network(name),
            name,
            honest_counts,
            accounts.test_accounts,
            _guardian(),
            VETO_REASON,
        )
        for name in CAPTURE_NETWORKS
    ]
    click.echo(
        "\nDays until one member's invitation tree outvotes H honest members all voting Against "
        "(H + 1 votes at a snapshot;\nthe attacker a founder: a full allowance at the start; "
        "every invitation sent and accepted at the first second allowed):"
    )
    header = f"{'settings':<18} {'probation':>10} {'refill':>8} {'cap':>4} "
    header += " ".join(f"{f'H = {h}':>9}" for h in honest_counts)
    header += " " + " ".join(f"{f'model {h}':>9}" for h in honest_counts)
    click.echo(header)
    for run in runs:
        cells = " ".join(f"{run.days[h]:>9.1f}" for h in honest_counts)
        model = " ".join(f"{capture.model_days(run.rules, h):>9.1f}" for h in honest_counts)
        probation, refill = run.rules.probation / DAY, run.rules.refill / DAY
        click.echo(f"{run.name:<18} {probation:>8.0f} d {refill:>6.0f} d {run.rules.cap:>4} {cells} {model}")
    for run in runs:
        against, for_, _ = run.vote.votes
        after_replacement = (run.takeover.replaced_at - run.vote.snapshot) / DAY
        after_second = (run.takeover.paid_at - run.vote.snapshot) / DAY
        click.echo(
            f"\n{run.name}, H = {first}: the capture proposal (register a project paid to the attacker and "
            f"fund it with the whole ESS\nbucket, {run.vote.claimed / EUR:,.2f} tEUR) passed {for_} to "
            f"{against} (quorum {run.vote.quorum}) at day {run.race.days(first):.1f}, was queued; "
            "the guardian cancelled it:"
        )
        click.echo(f"  « {run.reason} »")
        click.echo(f"  Paid to the attacker: {run.paid_after_veto / EUR:,.2f} tEUR.")
        click.echo(
            "  What the veto buys while the side keeps its majority: the side replaces the guardian "
            f"(its cancel is refused:\n  {run.takeover.refused[0]}), executed {after_replacement:.1f} days "
            f"after the capture's snapshot;\n  a second capture then executes {after_second:.1f} days after "
            f"it and pays {run.takeover.paid / EUR:,.2f} tEUR."
        )
    half = first // 2
    turnout = ", ".join(f"{run.name} {capture.model_days(run.rules, half):.0f} days" for run in runs)
    click.echo(
        f"\nThe honest side is the members who vote Against: with {half} of {first} turning out, "
        f"{turnout} (model)."
    )


def _guardian() -> object:
    """A new test account with ether, named guardian ("conseil de surveillance") at deployment."""
    account = accounts.test_accounts.generate_test_account()
    account.balance = 10**20
    return account
