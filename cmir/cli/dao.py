"""``cmir dao``: governance as a member does it — propose an ESS funding or new shares, vote
with a reason, queue and execute what passed, and list the proposals. One member, one vote."""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Annotated, Any

import typer
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table
from web3.exceptions import ContractLogicError, Web3Exception

from cmir.cli.common import (
    BadInput,
    Chain,
    CliError,
    Signer,
    Target,
    connect,
    load_signer,
    revert_data,
    shared_options,
    show_duration,
    transact,
    units,
)
from cmir.cli.reverts import explain
from cmir.governance import Call, Proposal, ProposalState, Support, make_proposal

app = typer.Typer(
    name="dao",
    help="Governance: propose ESS fundings, shares and how points mature and earn, vote (For / Against / "
    "Abstain with a reason), queue and execute, list proposals.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

STATE_FR = {
    ProposalState.PENDING: "en attente",
    ProposalState.ACTIVE: "vote ouvert",
    ProposalState.CANCELED: "annulée",
    ProposalState.DEFEATED: "rejetée",
    ProposalState.SUCCEEDED: "adoptée",
    ProposalState.QUEUED: "en file (timelock)",
    ProposalState.EXPIRED: "expirée",
    ProposalState.EXECUTED: "exécutée",
}


class Choice(StrEnum):
    """How to vote."""

    for_ = "for"
    against = "against"
    abstain = "abstain"


DescriptionOpt = Annotated[
    str | None, typer.Option("--description", "-d", help="Why (the proposal's text; must be new).")
]

SUPPORT = {Choice.for_: Support.FOR, Choice.against: Support.AGAINST, Choice.abstain: Support.ABSTAIN}


def encode_call(contract: Any, function: str, *args: Any) -> Call:
    """The call `contract.function(*args)` for a proposal."""
    return Call(
        target=contract.address, calldata=bytes.fromhex(contract.encode_abi(function, args=list(args))[2:])
    )


def check_as_governance(chain: Chain, proposal: Proposal) -> None:
    """Run each of `proposal`'s calls as the timelock would now (an `eth_call` from its address):
    a call that would revert makes a proposal that could never execute as things stand, refused
    here with the contract's reason. Only a revert refuses: a node that cannot simulate a call
    from a contract's address lets the proposal through."""
    timelock = chain.contract("timelock").address
    for call in proposal.calls:
        try:
            chain.w3.eth.call({"from": timelock, "to": call.target, "data": call.calldata})
        except ContractLogicError as exc:
            data = revert_data(exc)
            reason = explain(data, chain.abis) if data else str(exc)
            raise BadInput(f"this proposal would fail when executed: {reason}") from None
        except (ValueError, Web3Exception):  # the node refuses the simulation itself
            return


def get_logs(chain: Chain, event: Any, start: int, end: int | None = None, **filters: Any) -> list[Any]:
    """Logs of `event` from block `start`, in ranges a public RPC accepts."""
    head = chain.w3.eth.block_number if end is None else end
    found: list[Any] = []
    step, block = 50_000, start
    while block <= head:
        last = min(head, block + step - 1)
        try:
            found += event.get_logs(from_block=block, to_block=last, argument_filters=filters or None)
        except Exception:
            if step <= 100:
                raise
            step //= 5
            continue
        block = last + 1
    return found


def proposals(chain: Chain) -> dict[int, dict[str, Any]]:
    """Every proposal from the Governor's ProposalCreated events, by id."""
    governor = chain.contract("governor")
    start = int(chain.record.get("deployment_block", 0))
    found: dict[int, dict[str, Any]] = {}
    for log in get_logs(chain, governor.events.ProposalCreated(), start):
        args = log["args"]
        found[int(args["proposalId"])] = {
            "proposer": args["proposer"],
            "targets": list(args["targets"]),
            "values": [int(v) for v in args["values"]],
            "calldatas": [bytes(c) for c in args["calldatas"]],
            "description": args["description"],
            "vote_start": int(args["voteStart"]),
            "vote_end": int(args["voteEnd"]),
            "block": int(log["blockNumber"]),
        }
    return found


def _proposal(chain: Chain, proposal_id: str) -> tuple[int, Proposal, str]:
    try:
        pid = int(proposal_id.lstrip("#"), 0)
    except ValueError:
        raise BadInput(f"proposal {proposal_id!r} is neither a number n° nor an id") from None
    known = proposals(chain)
    if 0 < pid <= len(known) and pid < 1_000_000:  # a number n°, as `cmir dao proposals` shows
        pid = list(known)[pid - 1]
    label = f"n°{list(known).index(pid) + 1}" if pid in known else str(pid)
    if pid not in known:
        raise CliError(f"no proposal {proposal_id} on this deployment (see `cmir dao proposals`)")
    p = known[pid]
    calls = tuple(Call(t, c, v) for t, c, v in zip(p["targets"], p["calldatas"], p["values"], strict=True))
    return pid, Proposal(calls, p["description"]), label


def _signed_proposal(
    target: Target, signer: Signer, proposal_id: str
) -> tuple[Chain, LocalAccount, int, Proposal, str]:
    """The chain, the proposal PROPOSAL_ID (id, calls and description, label) and the signer."""
    chain = connect(target)
    pid, proposal, label = _proposal(chain, proposal_id)
    return chain, load_signer(signer), pid, proposal, label


def _timelock_step(
    chain: Chain,
    account: LocalAccount,
    step: str,
    proposal: Proposal,
    what: str,
    yes: bool,
    details: list[str],
) -> None:
    """Send the Governor's `queue` or `execute` (they take the same arguments) for `proposal`."""
    call = getattr(chain.contract("governor").functions, step)(
        proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash
    )
    transact(chain, account, call, what, yes, details)


def _state(chain: Chain, pid: int) -> ProposalState:
    return ProposalState(int(chain.contract("governor").functions.state(pid).call()))


def submit(
    chain: Chain, signer: Any, proposal: Proposal, what: str, yes: bool, details: list[str] | None = None
) -> None:
    """Send `proposal` to the Governor (after the plan and the question) and print its n° and id."""
    governor = chain.contract("governor")
    pid = int(
        governor.functions.hashProposal(
            proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash
        ).call()
    )
    delay = int(governor.functions.votingDelay().call())
    period = int(governor.functions.votingPeriod().call())
    transact(
        chain,
        signer,
        governor.functions.propose(
            proposal.targets, proposal.values, proposal.calldatas, proposal.description
        ),
        what,
        yes,
        [
            f"description: {proposal.description.splitlines()[0][:100]}",
            *(details or []),
            f"voting opens in {show_duration(delay)} and lasts {show_duration(period)}",
        ],
    )
    number = len(proposals(chain))
    typer.echo(f"proposal n°{number}, id {pid}")


Common = dict[str, Any]


@app.command("propose-funding")
@shared_options
def propose_funding(
    project_id: Annotated[int, typer.Argument(help="Id of a registered, active ESS project.", min=1)],
    amount: Annotated[str, typer.Argument(help="Amount in euros from the ESS bucket, e.g. 1500.")],
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose to pay AMOUNT of the ESS bucket to project PROJECT_ID.

    If the vote passes, the timelock pays the project's payout wallet when the proposal executes.
    """
    chain = connect(target)
    account = load_signer(signer)
    value = units(amount, chain.decimals)
    wallet, active = chain.contract("registry").functions.payoutOf(project_id).call()
    if int(wallet, 16) == 0:
        raise CliError(f"no ESS project {project_id} in the registry")
    if not active:
        raise CliError(f"ESS project {project_id} is not active: it cannot be funded")
    available = int(chain.contract("pool").functions.essAvailable().call())
    if value > available:
        typer.echo(
            f"note: the ESS bucket holds {chain.amount(available)} now; execution needs {chain.amount(value)}"
        )
    text = description or f"Financer le projet ESS n°{project_id} à hauteur de {chain.amount(value)}"
    proposal = make_proposal([encode_call(chain.contract("pool"), "fundEssProject", project_id, value)], text)
    submit(
        chain,
        account,
        proposal,
        f"propose funding ESS project {project_id} ({wallet}) with {chain.amount(value)}",
        yes,
    )


@app.command("propose-shares")
@shared_options
def propose_shares(
    members_bps: Annotated[
        int, typer.Argument(help="Members' share in basis points (5000 = 50 %).", min=0, max=10000)
    ],
    ess_bps: Annotated[
        int, typer.Argument(help="ESS share in basis points (at least the floor).", min=0, max=10000)
    ],
    collective_bps: Annotated[
        int, typer.Argument(help="Collective fund's share in basis points.", min=0, max=10000)
    ],
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose new shares of future inflows: MEMBERS_BPS + ESS_BPS + COLLECTIVE_BPS = 10000."""
    if members_bps + ess_bps + collective_bps != 10_000:
        raise BadInput(f"shares must sum to 10000 basis points, got {members_bps + ess_bps + collective_bps}")
    chain = connect(target)
    floor = int(chain.contract("pool").functions.essFloorBps().call())
    if ess_bps < floor:
        raise BadInput(f"the ESS share {ess_bps} bps is below the floor {floor} bps fixed at deployment")
    account = load_signer(signer)
    text = description or (
        f"Nouvelle répartition : membres {members_bps / 100:g} %, ESS {ess_bps / 100:g} %,"
        f" fonds collectif {collective_bps / 100:g} %"
    )
    proposal = make_proposal(
        [encode_call(chain.contract("pool"), "setShares", (members_bps, ess_bps, collective_bps))], text
    )
    check_as_governance(chain, proposal)
    submit(chain, account, proposal, f"propose shares {members_bps}/{ess_bps}/{collective_bps} bps", yes)


@app.command()
@shared_options
def vote(
    proposal_id: Annotated[str, typer.Argument(help="The proposal's n° or id (see `cmir dao proposals`).")],
    choice: Annotated[Choice, typer.Argument(help="for, against or abstain.", case_sensitive=False)],
    reason: Annotated[
        str, typer.Option("--reason", "-r", help="Why (public, stored in the vote's event).")
    ] = "",
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Vote on an active proposal: one member, one vote, counted at the proposal's snapshot."""
    chain, account, pid, proposal, label = _signed_proposal(target, signer, proposal_id)
    governor = chain.contract("governor")
    support = int(SUPPORT[choice])
    call = (
        governor.functions.castVoteWithReason(pid, support, reason)
        if reason
        else governor.functions.castVote(pid, support)
    )
    transact(
        chain,
        account,
        call,
        f"vote {choice.value.upper()} on proposal {label}",
        yes,
        [f"proposal {pid}: {proposal.description.splitlines()[0][:100]}"]
        + ([f"reason: {reason}"] if reason else []),
    )


@app.command()
@shared_options
def queue(
    proposal_id: Annotated[str, typer.Argument(help="A succeeded proposal's n° or id.")],
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Queue a succeeded proposal in the timelock (anyone may); it executes after the delay."""
    chain, account, pid, proposal, label = _signed_proposal(target, signer, proposal_id)
    delay = int(chain.contract("timelock").functions.getMinDelay().call())
    _timelock_step(
        chain,
        account,
        "queue",
        proposal,
        f"queue proposal {label} in the timelock",
        yes,
        [
            f"proposal {pid}",
            f"state now: {_state(chain, pid).name.lower()}; executable {show_duration(delay)} after queuing",
        ],
    )


@app.command()
@shared_options
def execute(
    proposal_id: Annotated[str, typer.Argument(help="A queued proposal's n° or id whose delay has passed.")],
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Execute a queued proposal once the timelock's delay has passed (anyone may)."""
    chain, account, pid, proposal, label = _signed_proposal(target, signer, proposal_id)
    eta = int(chain.contract("governor").functions.proposalEta(pid).call())
    details = [f"proposal {pid}", f"state now: {_state(chain, pid).name.lower()}"]
    if eta:
        details.append(f"executable from {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(eta))}")
    _timelock_step(chain, account, "execute", proposal, f"execute proposal {label}", yes, details)


@app.command("proposals")
@shared_options
def list_proposals(
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            help="Only this state: pending, active, canceled, defeated, succeeded, queued, expired, "
            "executed.",
        ),
    ] = None,
    *,
    target: Target,
) -> None:
    """List proposals with their state, votes For / Against / Abstain, quorum and deadline."""
    wanted = None
    if state is not None:
        try:
            wanted = ProposalState[state.upper()]
        except KeyError:
            raise BadInput(
                f"unknown state {state!r} (pending, active, canceled, defeated, succeeded, queued, executed)"
            ) from None
    chain = connect(target)
    governor = chain.contract("governor")
    table = Table(title="Propositions / proposals", show_lines=False)
    for column in (
        "n°",
        "id",
        "état / state",
        "pour",
        "contre",
        "abst.",
        "quorum",
        "fin du vote (UTC)",
        "description",
    ):
        table.add_column(column, overflow="fold")
    shown = 0
    for number, (pid, p) in enumerate(proposals(chain).items(), start=1):
        current = ProposalState(int(governor.functions.state(pid).call()))
        if wanted is not None and current != wanted:
            continue
        against, for_, abstain = (int(x) for x in governor.functions.proposalVotes(pid).call())
        try:
            quorum = str(governor.functions.quorum(p["vote_start"]).call())
        except Exception:  # snapshot in the future: quorum unknown yet
            quorum = "-"
        table.add_row(
            str(number),
            f"{str(pid)[:6]}…{str(pid)[-4:]}",
            f"{current.name.lower()} ({STATE_FR[current]})",
            str(for_),
            str(against),
            str(abstain),
            quorum,
            time.strftime("%Y-%m-%d %H:%M", time.gmtime(p["vote_end"])),
            p["description"].splitlines()[0][:70],
        )
        shown += 1
    Console(width=200).print(table)
    typer.echo(f"{shown} proposal(s); `cmir dao vote N° for|against|abstain` takes the n° or the full id")
