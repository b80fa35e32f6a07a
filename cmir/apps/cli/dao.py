"""``cmir dao``: governance as a member does it — propose an ESS funding, a project's activation
or new shares, vote with a reason, queue and execute what passed, list the proposals — and what
the guardian does (cancel a proposal, giving a reason). One member, one vote.

Every proposal names its proposer (the Governor requires the `#proposer=0x…` suffix): the CLI
binds it to the signer, worded anew ("révision N") when the same text was proposed before, so
the user never types it. An approval expires when it is not queued, or not executed, within the
grace period; the listing shows when, and the guardian's cancellations with their reasons.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Annotated, Any

import typer
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table
from web3.exceptions import ContractLogicError, Web3Exception

from cmir.apps.cli.common import (
    ApeStyle,
    Chain,
    Signer,
    Target,
    connect,
    get_logs,
    now,
    revert_data,
    shared_options,
    transact,
)
from cmir.apps.cli.errors import BadInput, CliError
from cmir.apps.cli.parsing import AmountCommand, show_duration, show_time, show_wait, units
from cmir.apps.cli.signing import load_signer
from cmir.chain import governance as gov
from cmir.chain.governance import Call, Proposal, ProposalState, Support, make_proposal

app = typer.Typer(
    name="dao",
    help="Governance: propose ESS fundings, project activations, shares, how points mature and earn and "
    "the admission and approval rules, vote (For / Against / Abstain with a reason), queue and execute, "
    "list proposals; the guardian cancels a proposal with a reason.",
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
    governor = chain.contract("governor").address
    for call in proposal.calls:
        if call.target == governor:  # the Governor's own settings run only inside its execute
            continue
        try:
            chain.w3.eth.call({"from": timelock, "to": call.target, "data": call.calldata})
        except ContractLogicError as exc:
            data = revert_data(exc)
            reason = chain.explain(data) if data else str(exc)
            raise BadInput(f"this proposal would fail when executed: {reason}") from None
        except (ValueError, Web3Exception):  # the node refuses the simulation itself
            return


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


def why_defeated(chain: Chain, pid: int) -> str:
    """Why a defeated proposal lost, read from the Governor: too few votes (For and Abstain
    count toward the quorum at the proposal's snapshot), or not more For than Against."""
    governor = chain.contract("governor").functions
    against, for_, abstain = (int(x) for x in governor.proposalVotes(pid).call())
    quorum = int(governor.quorum(int(governor.proposalSnapshot(pid).call())).call())
    if for_ + abstain < quorum:
        return (
            f"quorum not reached: {for_ + abstain} of {quorum} (For and Abstain count toward it;"
            f" {for_} for, {against} against, {abstain} abstain)"
        )
    if against > for_:
        return f"more votes against: {against} against, {for_} for"
    return f"no more votes for than against: {for_} each"


def refuse_defeated(chain: Chain, pid: int, label: str, step: str) -> None:
    """A one-line refusal to `step` (queue, execute) a defeated proposal, saying why it lost."""
    if _state(chain, pid) == ProposalState.DEFEATED:
        raise CliError(f"proposal {label} was defeated, it cannot be {step}: {why_defeated(chain, pid)}")


def guardian_cancellations(chain: Chain) -> dict[int, tuple[str, str]]:
    """The guardian's cancellations: proposal id -> (guardian, reason)."""
    governor = chain.contract("governor")
    start = int(chain.record.get("deployment_block", 0))
    return {
        int(log["args"]["proposalId"]): (str(log["args"]["guardian"]), str(log["args"]["reason"]))
        for log in get_logs(chain, governor.events.ProposalCanceledByGuardian(), start)
    }


def check_proposer(chain: Chain, who: str) -> None:
    """A one-line refusal when `who` cannot propose now: a member proposes once its probation
    is over (the Governor reads its vote at the previous second)."""
    _, joined_at, _, _, excluded_at, votes_from = chain.contract("membership").functions.memberOf(who).call()
    if joined_at == 0 or excluded_at != 0:
        raise CliError(f"{who} is not an active member: only members propose")
    moment = now(chain)
    if int(votes_from) > moment:
        raise CliError(
            f"{who} is in probation until {show_time(int(votes_from))} "
            f"(in {show_wait(int(votes_from) - moment)}): a member proposes, and its vote counts, only once "
            "its probation is over"
        )


def submit(
    chain: Chain, signer: Any, proposal: Proposal, what: str, yes: bool, details: list[str] | None = None
) -> None:
    """Bind `proposal` to the signer (worded anew if that text was proposed before), send it to
    the Governor after the plan and the question, and print its n° and id."""
    governor = chain.contract("governor")
    check_proposer(chain, signer.address)
    bound = gov.bind_unused(ApeStyle(governor), proposal, signer.address)
    pid = bound.proposal_id(ApeStyle(governor))
    delay = int(governor.functions.votingDelay().call())
    period = int(governor.functions.votingPeriod().call())
    grace = int(governor.functions.approvalGracePeriod().call())
    revision = bound.text.rsplit("(révision ", 1)[-1].rstrip(")") if bound.text.endswith(")") else ""
    transact(
        chain,
        signer,
        governor.functions.propose(bound.targets, bound.values, bound.calldatas, bound.description),
        what,
        yes,
        [
            f"description: {bound.text.splitlines()[0][:100]}",
            *(details or []),
            f"bound to its proposer {signer.address} (the description ends with #proposer=…)"
            + (
                f"; worded as révision {revision}: the same text was proposed before"
                if revision.isdigit()
                else ""
            ),
            f"voting opens in {show_duration(delay)} and lasts {show_duration(period)}; once adopted it must "
            f"be queued, then executed, each within {show_duration(grace)} or the approval expires",
        ],
    )
    number = len(proposals(chain))
    typer.echo(f"proposal n°{number}, id {pid}")


Common = dict[str, Any]


@app.command("propose-funding", cls=AmountCommand)
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
    wallet, active, version = chain.contract("registry").functions.payoutOf(project_id).call()
    if int(wallet, 16) == 0:
        raise CliError(f"no ESS project {project_id} in the registry")
    if not active:
        raise CliError(
            f"ESS project {project_id} is not active: it cannot be funded until governance activates it "
            f"(`cmir dao propose-activate {project_id}`)"
        )
    available = int(chain.contract("pool").functions.essAvailable().call())
    if value > available:
        typer.echo(
            f"note: the ESS bucket holds {chain.amount(available)} now; execution needs {chain.amount(value)}"
        )
    text = description or f"Financer le projet ESS n°{project_id} à hauteur de {chain.amount(value)}"
    proposal = gov.fund_ess_project(
        ApeStyle(chain.contract("pool")), ApeStyle(chain.contract("registry")), project_id, value, text
    )
    submit(
        chain,
        account,
        proposal,
        f"propose funding ESS project {project_id} ({wallet}) with {chain.amount(value)}",
        yes,
        [
            f"pays wallet {wallet} (wallet version {version}, on record now): a change of the project's "
            "wallet before execution voids this funding"
        ],
    )


@app.command("propose-activate")
@shared_options
def propose_activate(
    project_id: Annotated[
        int, typer.Argument(help="Id of a registered ESS project awaiting activation.", min=1)
    ],
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose to activate ESS project PROJECT_ID, for the payout wallet on record now.

    A project an ESS structure registers cannot be funded until governance activates it; a change
    of its wallet switches it off again and voids a pending activation.
    """
    chain = connect(target)
    account = load_signer(signer)
    registry = chain.contract("registry")
    wallet, active, version = registry.functions.payoutOf(project_id).call()
    if int(wallet, 16) == 0:
        raise CliError(f"no ESS project {project_id} in the registry")
    if active:
        raise BadInput(f"ESS project {project_id} is already active")
    owner, _, _, _, _, uri = registry.functions.projectOf(project_id).call()
    text = description or f"Activer le projet ESS n°{project_id} (versements au portefeuille {wallet})"
    proposal = gov.activate_project(ApeStyle(registry), project_id, text)
    check_as_governance(chain, proposal)
    submit(
        chain,
        account,
        proposal,
        f"propose activating ESS project {project_id}",
        yes,
        [
            f"owner {owner}; metadata {uri}",
            f"payout wallet {wallet} (version {version}): a change of wallet before execution voids this "
            "activation",
        ],
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
    pool = chain.contract("pool")
    floor = int(pool.functions.essFloorBps().call())
    if ess_bps < floor:
        raise BadInput(f"the ESS share {ess_bps} bps is below the floor {floor} bps fixed at deployment")
    account = load_signer(signer)
    check_proposer(chain, account.address)
    wanted = (members_bps, ess_bps, collective_bps)
    current = tuple(int(x) for x in pool.functions.shares().call())
    if current == wanted:
        # a proposal that changes nothing: most likely the shares a past vote already set
        raise BadInput(
            f"the shares are already {members_bps}/{ess_bps}/{collective_bps} bps (members/ESS/collective):"
            " propose different ones"
        )
    text = description or (
        f"Nouvelle répartition : membres {members_bps / 100:g} %, ESS {ess_bps / 100:g} %,"
        f" fonds collectif {collective_bps / 100:g} %"
    )
    proposal = make_proposal([encode_call(pool, "setShares", wanted)], text)
    check_as_governance(chain, proposal)
    submit(
        chain,
        account,
        proposal,
        f"propose shares {members_bps}/{ess_bps}/{collective_bps} bps",
        yes,
        [f"shares now: members {current[0]}, ESS {current[1]}, collective {current[2]} bps"],
    )


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
    details = [f"proposal {pid}: {proposal.text.splitlines()[0][:100]}"] + (
        [f"reason: {reason}"] if reason else []
    )
    snapshot = int(governor.functions.proposalSnapshot(pid).call())
    _, joined_at, _, _, excluded_at, votes_from = (
        chain.contract("membership").functions.memberOf(account.address).call()
    )
    if joined_at == 0 or (excluded_at and excluded_at <= snapshot):
        details.append(f"note: {account.address} was not a member at the snapshot: this vote counts 0")
    elif int(votes_from) > snapshot:
        details.append(
            f"note: this vote counts 0: at the proposal's snapshot ({show_time(snapshot)}) {account.address} "
            f"was in probation (until {show_time(int(votes_from))})"
        )
    transact(chain, account, call, f"vote {choice.value.upper()} on proposal {label}", yes, details)


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
    refuse_defeated(chain, pid, label, "queued")
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
    refuse_defeated(chain, pid, label, "executed")
    eta = int(chain.contract("governor").functions.proposalEta(pid).call())
    details = [f"proposal {pid}", f"state now: {_state(chain, pid).name.lower()}"]
    if eta:
        details.append(f"executable from {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(eta))}")
    _timelock_step(chain, account, "execute", proposal, f"execute proposal {label}", yes, details)


@app.command("guardian-cancel")
@shared_options
def guardian_cancel(
    proposal_id: Annotated[str, typer.Argument(help="The proposal's n° or id (see `cmir dao proposals`).")],
    reason: Annotated[
        str, typer.Option("--reason", "-r", help="Why (public, stored in the cancellation's event).")
    ],
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """The guardian ("conseil de surveillance") cancels a proposal not yet executed, giving a
    public reason.

    The guardian, named by governance, may only cancel: it cannot propose, vote, execute or move
    money, and cannot cancel the proposal that replaces it.
    """
    if not reason.strip():
        raise BadInput("a guardian's cancellation needs a reason (--reason), made public in its event")
    chain, account, pid, proposal, label = _signed_proposal(target, signer, proposal_id)
    governor = chain.contract("governor")
    guardian = governor.functions.guardian().call()
    details = [
        f"proposal {pid}: {proposal.description.splitlines()[0][:100]}",
        f"state now: {_state(chain, pid).name.lower()}",
        f"reason: {reason}",
    ]
    if int(guardian, 16) == 0:
        details.append("note: this deployment has no guardian")
    elif guardian != account.address:
        details.append(f"note: the guardian is {guardian}, not {account.address}")
    transact(
        chain,
        account,
        governor.functions.guardianCancel(
            proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash, reason
        ),
        f"cancel proposal {label} as the guardian",
        yes,
        details,
    )


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
    """List proposals with their state, votes For / Against / Abstain, quorum, deadline and when
    an approval expires (or expired); then the guardian's cancellations with their reasons."""
    wanted = None
    if state is not None:
        try:
            wanted = ProposalState[state.upper()]
        except KeyError:
            raise BadInput(
                f"unknown state {state!r} (pending, active, canceled, defeated, succeeded, queued, expired, "
                "executed)"
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
        "échéance / expires",
        "description",
    ):
        table.add_column(column, overflow="fold")
    shown = 0
    by_guardian = guardian_cancellations(chain)
    notes: list[str] = []
    for number, (pid, p) in enumerate(proposals(chain).items(), start=1):
        current = ProposalState(int(governor.functions.state(pid).call()))
        if wanted is not None and current != wanted:
            continue
        against, for_, abstain = (int(x) for x in governor.functions.proposalVotes(pid).call())
        try:
            quorum = str(governor.functions.quorum(p["vote_start"]).call())
        except Exception:  # snapshot in the future: quorum unknown yet
            quorum = "-"
        expires = "-"
        if current in (ProposalState.SUCCEEDED, ProposalState.QUEUED, ProposalState.EXPIRED):
            expires_at = int(governor.functions.proposalExpiresAt(pid).call())
            expires = time.strftime("%Y-%m-%d %H:%M", time.gmtime(expires_at))
            if current == ProposalState.EXPIRED:
                notes.append(
                    f"n°{number} expired at {show_time(expires_at)}: adopted, but not "
                    f"{'executed' if int(governor.functions.proposalEta(pid).call()) else 'queued'} within "
                    "the grace period (expirée : à proposer de nouveau)"
                )
        state_text = f"{current.name.lower()} ({STATE_FR[current]})"
        if pid in by_guardian:
            guardian, why = by_guardian[pid]
            state_text = f"{current.name.lower()} (annulée : gardien)"
            notes.append(f"n°{number} canceled by the guardian {guardian}: « {why} »")
        table.add_row(
            str(number),
            f"{str(pid)[:6]}…{str(pid)[-4:]}",
            state_text,
            str(for_),
            str(against),
            str(abstain),
            quorum,
            time.strftime("%Y-%m-%d %H:%M", time.gmtime(p["vote_end"])),
            expires,
            gov.Proposal((), p["description"]).text.splitlines()[0][:70],
        )
        shown += 1
    Console(width=220).print(table)
    for note in notes:
        typer.echo(note)
    typer.echo(f"{shown} proposal(s); `cmir dao vote N° for|against|abstain` takes the n° or the full id")
