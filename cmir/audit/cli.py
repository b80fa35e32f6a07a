"""``cmir audit``: the public auditor's independent check of CMIR DAO's books."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar
from rich.table import Table

from cmir.audit import report
from cmir.audit.chain import AuditError
from cmir.audit.ledger import Ledger
from cmir.audit.run import AuditRun, run_audit
from cmir.audit.scope import Progress, no_progress

REASON_LABELS = {
    "no_matured_points": "aucun point mûr / no matured points",
    "cap": "plafond d'époque / epoch reward cap",
    "rounding": "arrondi / rounding",
    "surplus": "excédents (tout à l'ESS) / surplus (all to ESS)",
}
KIND_LABELS = {
    "relation": "relations payées / paid relations",
    "contribution": "contributions",
    "membership_fee": "droits d'adhésion / membership fees",
    "surplus": "excédents / surplus",
}


def _money(units: int, decimals: int) -> str:
    return f"{Decimal(units).scaleb(-decimals):,.{decimals}f}"


def _ratio(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.2f} %" if denominator else "-"


def _utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def print_epochs(console: Console, ledger: Ledger, decimals: int) -> None:
    """The epoch clock, the points matured and pending, and where the members' share went."""
    s, v = ledger.sums, ledger.views
    clock = ledger.clock
    if clock is not None:
        console.print(
            f"Epoch {s['epoch']} (ends {_utc(clock.epoch_end(s['epoch']))}); epochs of {clock.length} s "
            f"from epoch {clock.origin_epoch} at {_utc(clock.origin)}; reward cap "
            f"{v['epoch_reward_cap_bps']} bps of a token unit per point per epoch"
        )
    pending = f"{s['pending_points']} pending"
    if s["pending_points"] and clock is not None:
        pending += f" (earned in epoch {s['epoch']}, mature at {_utc(clock.epoch_end(s['epoch']))})"
    console.print(
        f"Points: {s['matured_points']} matured, {pending}; "
        f"reward per point {s['reward_per_point']} (x 1e-27)"
    )
    share = s["members_received"] + s["members_to_ess"]
    table = Table(title="Members' share: distributed, or to ESS (and why)")
    for column in ("", "amount", "of the members' share"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row(
        "distributed to matured points",
        _money(s["members_received"], decimals),
        _ratio(s["members_received"], share),
    )
    for reason, amount in ledger.members_to_ess.items():
        table.add_row(
            f"→ ESS: {REASON_LABELS.get(reason, reason)}",
            _money(amount, decimals),
            _ratio(amount, share) if reason != "surplus" else "-",
        )
    console.print(table)


def print_ledger(console: Console, ledger: Ledger, decimals: int, flows_shown: int) -> None:
    """The ledger as tables."""
    s, v = ledger.sums, ledger.views
    when = _utc(ledger.block_time)
    console.print(f"[bold]CMIR DAO ledger[/bold] — chain {ledger.chain_id}, block {ledger.block} ({when})")
    console.print(
        f"block hash {ledger.block_hash}; {ledger.event_count} events read from the deployment block on"
    )
    inflows = Table(title="Inflows by kind")
    for column in (
        "kind",
        "count",
        "amount",
        "→ members",
        "→ ESS",
        "of which members' share",
        "→ collective",
    ):
        inflows.add_column(column, justify="right" if column != "kind" else "left")
    for kind, t in ledger.inflows_by_kind.items():
        inflows.add_row(
            KIND_LABELS.get(kind, kind),
            str(t["count"]),
            _money(t["amount"], decimals),
            _money(t["members"], decimals),
            _money(t["ess"], decimals),
            _money(t["members_to_ess"], decimals),
            _money(t["collective"], decimals),
        )
    inflows.add_row(
        "total",
        str(s["inflow_count"]),
        _money(s["total_received"], decimals),
        _money(s["members_received"], decimals),
        _money(s["ess_received"], decimals),
        _money(s["members_to_ess"], decimals),
        _money(s["collective_received"], decimals),
    )
    console.print(inflows)
    print_epochs(console, ledger, decimals)
    buckets = Table(title="Buckets")
    for column in ("bucket", "received", "out", "available (events)", "available (contract)"):
        buckets.add_column(column, justify="right" if column != "bucket" else "left")
    for name, received, out, label in (
        ("members", "members_received", "rewards_claimed", "claimed"),
        ("ess", "ess_received", "ess_disbursed", "disbursed"),
        ("collective", "collective_received", "collective_spent", "spent"),
    ):
        buckets.add_row(
            name,
            _money(s[received], decimals),
            f"{_money(s[out], decimals)} {label}",
            _money(s[f"{name}_available"], decimals),
            _money(v[f"{name}_available"], decimals),
        )
    buckets.add_row(
        "pool",
        _money(s["total_received"], decimals),
        _money(s["total_out"], decimals),
        _money(s["balance"], decimals),
        f"{_money(v['token_balance'], decimals)} token balance",
    )
    console.print(buckets)
    claims = [f for f in ledger.flows if f.kind == "claim"]
    spends = [f for f in ledger.flows if f.kind == "collective_spend"]
    console.print(
        f"Claims: {len(claims)} by {len({f.recipient for f in claims})} members, "
        f"{_money(s['rewards_claimed'], decimals)}; {ledger.members_replayed} members' rewards and points "
        f"replayed; {len(ledger.freezes)} excluded members' rewards frozen"
    )
    fundings = Table(title="ESS fundings by project")
    for column in ("project", "fundings", "amount"):
        fundings.add_column(column, justify="right")
    for project, t in ledger.fundings_by_project.items():
        fundings.add_row(str(project), str(t["count"]), _money(t["amount"], decimals))
    console.print(fundings)
    spent = Table(title=f"Collective spends ({len(spends)}; last {min(flows_shown, len(spends))} shown)")
    for column in ("block", "recipient", "amount", "memo"):
        spent.add_column(column, overflow="fold")
    for flow in spends[-flows_shown:]:
        spent.add_row(str(flow.block), str(flow.recipient), _money(flow.amount, decimals), str(flow.memo))
    console.print(spent)
    guards = ledger.guards
    if guards is not None and guards.budgeted:
        amount, period, start, used = guards.budget.view(ledger.block_time)
        running = (
            f"{_money(used, decimals)} spent in the period since "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(start))}"
            if start
            else "no period running"
        )
        console.print(
            f"Steward's budget: {_money(amount, decimals)} per {period / 86400:g} d; {running}; "
            f"{_money(max(0, amount - used), decimals)} left"
        )
    console.print(
        f"Social utility: ESS disbursed ÷ received {_ratio(s['ess_disbursed'], s['total_received'])}; "
        f"ESS allocated ÷ received {_ratio(s['ess_received'], s['total_received'])} "
        f"(floor {v['ess_floor_bps'] / 100:g} %)"
    )


@contextmanager
def progress_bar(shown: bool) -> Iterator[Progress]:
    """A progress bar on stderr (a line per long step; nothing when `shown` is false)."""
    if not shown:
        yield no_progress
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Bar(*columns, console=Console(stderr=True), transient=True) as bar:

        def start(description: str, total: int) -> Callable[[int], None]:
            task = bar.add_task(description, total=total)
            return lambda n: bar.advance(task, n)

        yield start


def print_identities(console: Console, ledger: Ledger) -> None:
    """The conservation identities, each ok or FAIL with what differs."""
    console.print("[bold]Identities[/bold]")
    for check in ledger.checks:
        mark = "ok  " if check.ok else "FAIL"
        line = f"  {mark} {check.name}"
        listed = not check.ok and check.expected == [] and isinstance(check.actual, list)
        if listed:
            line += f": {len(check.actual)} problem(s)"
        elif not check.ok:
            line += f": expected {check.expected}, found {check.actual}"
        if check.note:
            line += f" ({check.note})"
        console.print(line, markup=False, soft_wrap=True)
        for problem in check.actual if listed else []:
            console.print(f"       - {problem}", markup=False, soft_wrap=True)


def print_resources(console: Console, run: AuditRun) -> None:
    """Each resource: how many records were checked, the differences with the API (one `DIFF`
    line each) and what the chain's own events and views disagree on (`FAIL`)."""
    table = Table(
        title=f"Resources checked at block {run.ledger.block}" + (f" against {run.api}" if run.api else "")
    )
    for column in ("resource", "checked", "API differences", "chain problems"):
        table.add_column(column, justify="left" if column == "resource" else "right")
    for result in run.results:
        table.add_row(
            result.name, f"{result.checked:,}", str(len(result.differences)), str(len(result.problems))
        )
    console.print(table)
    for result in run.results:
        for problem in result.problems:
            console.print(f"  FAIL {result.name}: {problem}", markup=False, soft_wrap=True)
        for difference in result.differences:
            console.print(f"  DIFF {difference}", markup=False, soft_wrap=True)
        for note in result.notes:
            console.print(f"  note {result.name}: {note}", markup=False, soft_wrap=True)


def audit(
    rpc: Annotated[
        str, typer.Option("--rpc", help="JSON-RPC URL of the chain (any node: not this project's).")
    ],
    deployment: Annotated[
        Path,
        typer.Option(
            "--deployment",
            help="deployments/<network>.json: chain id, addresses, ABIs, deployment block.",
            exists=True,
            dir_okay=False,
            resolve_path=True,
        ),
    ],
    block: Annotated[
        int | None,
        typer.Option("--block", help="Block to audit at (default: the head, or the API's block).", min=0),
    ] = None,
    api: Annotated[
        str | None,
        typer.Option("--api", help="Base URL of a CMIR API to compare with (e.g. http://127.0.0.1:8000)."),
    ] = None,
    sample: Annotated[
        int | None,
        typer.Option(
            "--sample", min=1, help="Check N members drawn at random (a quick check) instead of every member."
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of --sample's draw (printed; to replay a draw).")
    ] = None,
    report_file: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write the audit to FILE.json and FILE.html (block, identities, counts, differences).",
            dir_okay=False,
        ),
    ] = None,
    metadata_dir: Annotated[
        Path | None,
        typer.Option(
            "--metadata-dir",
            help="Folder whose file:// metadata documents may be read (a local chain's; other URIs "
            "are fetched over http(s)).",
            file_okay=False,
            exists=True,
        ),
    ] = None,
    decimals: Annotated[int, typer.Option(help="Decimals of the payment token, for display.")] = 6,
    flows_shown: Annotated[int, typer.Option("--show", help="Collective spends listed.")] = 10,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the checks and differences.")] = False,
) -> None:
    """Recompute every flow and every record from raw chain logs and contract views alone, and
    check the books; with --api, check everything the API serves.

    No database and no API are read to build the ledger: eth_getLogs over the deployment's
    contracts from its deployment block and eth_call at one block (in JSON-RPC batches). The
    pool's rules are replayed (epochs, points maturing, the per-epoch reward cap, what members
    cannot receive going to ESS) and the conservation identities checked; then every resource
    (members, invitations, attesters, the network graph, relations, proposals, votes, ESS projects
    and their metadata documents, fundings, the pool's history) is read from the chain and, with
    --api, compared record by record with the API at the block it holds, each difference named.
    Exit code 0 only if everything reconciles (1 when something does not, 2 when the audit
    cannot run).
    """
    console = Console(width=160, highlight=False)
    if sample is not None and seed is None:
        seed = int.from_bytes(os.urandom(4), "big")
    try:
        with progress_bar(not quiet) as progress:
            run = run_audit(rpc, deployment, block, api, sample, seed, progress, metadata_dir)
    except AuditError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    ledger = run.ledger
    if not quiet:
        print_ledger(console, ledger, decimals, flows_shown)
    print_identities(console, ledger)
    if run.sample is not None:
        console.print(f"Sample: {len(run.sample)} members drawn with --seed {run.seed}", markup=False)
    print_resources(console, run)
    checked = sum(r.checked for r in run.results)
    spent = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in run.timings.items())
    console.print(f"Checked {checked:,} records in {run.seconds:.1f} s ({spent})", markup=False)
    if report_file is not None:
        json_path, html_path = report.write(run, report_file)
        console.print(f"Report: {json_path} and {html_path}", markup=False, soft_wrap=True)
    if run.ok:
        console.print(
            f"RECONCILED at block {ledger.block}: every identity holds"
            + (" and the API agrees on every record checked" if api else ""),
            markup=False,
        )
        return
    console.print(
        f"NOT RECONCILED at block {ledger.block}: {run.failures} identity failure(s), "
        f"{run.differences} API difference(s)",
        markup=False,
    )
    raise typer.Exit(1)
