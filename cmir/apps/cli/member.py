"""``cmir member``: what a member does — invite, accept an invitation (join), pay for a relation,
claim rewards, revoke an invitation — what it can look up (its record, probation, invitations,
rewards), and what an attester does (attest an ESS structure)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer
from eth_account.signers.local import LocalAccount

from cmir.apps.cli.common import Chain, Signer, Target, connect, get_logs, now, shared_options, transact
from cmir.apps.cli.errors import BadInput, CliError
from cmir.apps.cli.parsing import AmountCommand, address, relation_ref, show_ref, show_time, show_wait, units
from cmir.apps.cli.signing import load_signer
from cmir.chain import eip712
from cmir.chain.vocabulary import MEMBER_KINDS

app = typer.Typer(
    name="member",
    help="Member commands: invite, accept (join), pay for a relation, claim rewards; show a member and its "
    "rewards; revoke an invitation; attest an ESS structure (attesters).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

KINDS = MEMBER_KINDS
KIND_HELP = {
    "Pilote": "company or institution",
    "Abeille": "individual, freelancer, small firm",
    "EssStructure": "ESS structure: association, cooperative, mutual, foundation, social enterprise",
}


MemberArg = Annotated[str | None, typer.Argument(help="Address (default: the --account/--keyfile one).")]


class Kind(StrEnum):
    """A member kind."""

    pilote = "Pilote"
    abeille = "Abeille"
    ess = "EssStructure"


def _signed(chain_target: Target, signer: Signer) -> tuple[Chain, LocalAccount]:
    chain = connect(chain_target)
    return chain, load_signer(signer)


def _who(value: str | None, signer: Signer, what: str = "member") -> str:
    if value:
        return address(value, what)
    if signer.account or signer.keyfile:
        return str(load_signer(signer).address)
    raise BadInput(f"give the {what}'s ADDRESS, or --account/--keyfile to show your own")


def _looked_up(chain_target: Target, member: str | None, signer: Signer) -> tuple[Chain, str]:
    """The chain and the member to show: MEMBER, else the signer's address."""
    chain = connect(chain_target)
    return chain, _who(member, signer)


def permit(
    chain: Chain, owner: LocalAccount, spender: str, value: int, deadline: int
) -> tuple[int, bytes, bytes]:
    """An EIP-2612 permit signed by `owner` for `spender` to take `value` (v, r, s)."""
    token = chain.contract("token")
    try:
        domain = eip712.Domain.from_eip712_domain(token.functions.eip712Domain().call())
    except Exception:  # a token without ERC-5267: OpenZeppelin's ERC20Permit defaults
        domain = eip712.Domain(token.functions.name().call(), "1", chain.chain_id, token.address)
    nonce = token.functions.nonces(owner.address).call()
    return eip712.sign(eip712.permit(domain, owner.address, spender, value, nonce, deadline), owner.key)


def _needs_permit(chain: Chain, owner: str, amount: int) -> bool:
    pool = chain.contract("pool").address
    token = chain.contract("token")
    balance = int(token.functions.balanceOf(owner).call())
    if balance < amount:
        raise CliError(
            f"{owner} holds {chain.amount(balance)}, less than the {chain.amount(amount)} needed"
            + _faucet_hint(chain, token)
        )
    return int(token.functions.allowance(owner, pool).call()) < amount


def _functions(contract: Any) -> set[str]:
    return {entry.get("name", "") for entry in contract.abi if entry.get("type") == "function"}


def _faucet_hint(chain: Chain, token: Any) -> str:
    """Where test euros come from, when there is a faucet."""
    functions = _functions(token)
    return " (on a test network: `cmir faucet`)" if {"mint", "faucet"} & functions or chain.is_dev() else ""


@dataclass
class Points:
    """A member's points now, as the pool's `memberPoints` view gives them (pending points of an
    ended epoch already count as matured), and the chain's time."""

    matured: int
    pending: int
    pending_epoch: int
    matures_at: int
    now: int

    @classmethod
    def of(cls, chain: Chain, who: str) -> Points:
        """Read `who`'s points at the latest block."""
        block = chain.w3.eth.get_block("latest")
        matured, pending, epoch, matures_at = (
            chain.contract("pool").functions.memberPoints(who).call(block_identifier=block["number"])
        )
        return cls(int(matured), int(pending), int(epoch), int(matures_at), int(block["timestamp"]))

    def pending_line(self) -> str:
        """The pending points: their epoch, when they mature and what that means."""
        if not self.pending:
            return "none"
        return (
            f"{self.pending} points earned in epoch {self.pending_epoch}: they mature at "
            f"{show_time(self.matures_at)} (in {show_wait(self.matures_at - self.now)}) and then share in "
            "the inflows booked after that"
        )


@dataclass(frozen=True)
class Invitation:
    """A live invitation: its sponsor, the kind it invites as, when it expires."""

    invitee: str
    sponsor: str
    kind: int
    expires_at: int

    def line(self, who: str = "sponsor") -> str:
        """ "from 0x… as Pilote until …" (or "0x… as …" for the invitee's side)."""
        other = self.sponsor if who == "sponsor" else self.invitee
        prefix = "from " if who == "sponsor" else ""
        return f"{prefix}{other} as {KINDS[self.kind]} until {show_time(self.expires_at)}"


def _invitations(chain: Chain, side: str, who: str) -> list[Invitation]:
    """Live invitations (not expired, sponsor still active, not yet accepted) to `who`
    (side "invitee") or from `who` (side "sponsor"), found from the MemberInvited events and
    checked against `invitationOf` now."""
    membership = chain.contract("membership")
    start = int(chain.record.get("deployment_block", 0))
    logs = get_logs(chain, membership.events.MemberInvited(), start, filters={side: who})
    pairs = dict.fromkeys((str(log["args"]["invitee"]), str(log["args"]["sponsor"])) for log in logs)
    moment = now(chain)
    live = []
    for invitee, sponsor in pairs:
        _, kind, expires_at = membership.functions.invitationOf(invitee, sponsor).call()
        if int(expires_at) <= moment or not membership.functions.isActiveMember(sponsor).call():
            continue
        if side == "sponsor" and int(membership.functions.memberOf(invitee).call()[1]):
            continue  # joined through another sponsor's invitation: this one can no longer be used
        live.append(Invitation(invitee, sponsor, int(kind), int(expires_at)))
    return live


def _allowance_line(chain: Chain, who: str, moment: int) -> str:
    """Invitations `who` may send now, and when the next accrues."""
    membership = chain.contract("membership")
    available, next_at = (int(x) for x in membership.functions.invitationsAvailable(who).call())
    cap = int(membership.functions.rules().call()[2])
    if next_at == 0:
        later = f"at the cap of {cap}"
    else:
        later = f"the next accrues {show_time(next_at)} (in {show_wait(next_at - moment)}; at most {cap})"
    return f"{available} available now, {later}"


def _probation_line(votes: int, votes_from: int, moment: int) -> str:
    """Its vote now, and when its probation ends (or ended)."""
    if votes_from <= moment:
        return f"{votes} (probation over since {show_time(votes_from)})"
    return (
        f"{votes}: in probation until {show_time(votes_from)} (in {show_wait(votes_from - moment)}); "
        "then it votes, invites and proposes"
    )


@app.command()
@shared_options
def invite(
    invitee: Annotated[str, typer.Argument(help="Address of the person or structure invited.")],
    kind: Annotated[
        Kind, typer.Option("--kind", help="Pilote, Abeille or EssStructure.", case_sensitive=False)
    ],
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Invite INVITEE to join as KIND, sponsored by you (uses one of your invitations).

    A member invites once its probation is over; its invitations accrue over time (one per
    refill period, up to a cap) and each expires after a while. An ESS structure must also be
    attested by an attester (`cmir member attest`) before it can accept."""
    chain, account = _signed(target, signer)
    who = address(invitee, "invitee")
    membership = chain.contract("membership")
    moment = now(chain)
    ttl = int(membership.functions.rules().call()[3])
    details = [
        f"sponsor: {account.address}; invitations: {_allowance_line(chain, account.address, moment)}",
        f"the invitation expires {show_time(moment + ttl)} (in {show_wait(ttl)}); the invitee accepts it "
        "with `cmir member accept`",
    ]
    if kind is Kind.ess:
        attester = membership.functions.attestationOf(who).call()
        details.append(
            f"attested as an ESS structure by {attester}"
            if int(attester, 16)
            else "an attester must attest it as an ESS structure (`cmir member attest`) before it accepts"
        )
    transact(
        chain,
        account,
        membership.functions.invite(who, KINDS.index(kind.value)),
        f"invite {who} to join as {kind.value} ({KIND_HELP[kind.value]})",
        yes,
        details,
    )
    typer.echo(f"invitations: {_allowance_line(chain, account.address, now(chain))}")


SponsorOpt = Annotated[
    str | None,
    typer.Option(
        "--sponsor",
        help="The member whose invitation you accept (default: your only live invitation).",
        show_default=False,
    ),
]
KindOpt = Annotated[
    Kind | None,
    typer.Option(
        "--kind",
        help="The kind you were invited as (default: the invitation's): Pilote, Abeille or EssStructure.",
        case_sensitive=False,
        show_default=False,
    ),
]


@app.command()
@shared_options
def accept(
    sponsor: SponsorOpt = None,
    kind: KindOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Accept an invitation, naming its sponsor and kind (paying the membership fee, if any,
    with a signed permit); `cmir member join` is the same command.

    Without --sponsor, the only live invitation you hold is accepted; when several members
    invited you, choose one with --sponsor. Your vote counts, and you may invite and propose,
    once your probation is over."""
    chain, account = _signed(target, signer)
    membership = chain.contract("membership")
    me = account.address
    joined_at = int(membership.functions.memberOf(me).call()[1])
    if joined_at:
        raise CliError(f"{me} is already a member (joined {show_time(joined_at)})")
    live = _invitations(chain, "invitee", me)
    if sponsor is not None:
        chosen_sponsor = address(sponsor, "sponsor")
        found = next((i for i in live if i.sponsor == chosen_sponsor), None)
        if found is None:  # expired, revoked or never sent: the contract says which
            _, invited_kind, expires_at = membership.functions.invitationOf(me, chosen_sponsor).call()
            found = Invitation(me, chosen_sponsor, int(invited_kind), int(expires_at))
    else:
        if kind is not None:
            live = [i for i in live if KINDS[i.kind] == kind.value] or live
        if not live:
            raise CliError(f"{me} holds no live invitation: ask a member to `cmir member invite` it")
        if len(live) > 1:
            listed = "; ".join(i.line() for i in live)
            raise BadInput(
                f"{len(live)} live invitations for {me}: {listed}; choose one with --sponsor ADDRESS"
            )
        found = live[0]
    kind_index = KINDS.index(kind.value) if kind is not None else found.kind
    fee = int(membership.functions.membershipFee().call())
    probation = int(membership.functions.rules().call()[0])
    expiry = f", invitation valid until {show_time(found.expires_at)}" if found.expires_at else ""
    details = [
        f"sponsor {found.sponsor}, kind {KINDS[kind_index]}{expiry}, membership fee {chain.amount(fee)}",
        f"probation: your vote counts, and you may invite and propose, {show_wait(probation)} after joining"
        if probation
        else "no probation: your vote counts from joining",
    ]
    if KINDS[kind_index] == "EssStructure":
        attester = membership.functions.attestationOf(me).call()
        if int(attester, 16):
            details.append(f"attested as an ESS structure by {attester}")
    if fee > 0 and _needs_permit(chain, me, fee):
        deadline = int(time.time()) + 3600
        v, r, s = permit(chain, account, chain.contract("pool").address, fee, deadline)
        call = membership.functions.acceptInvitationWithPermit(found.sponsor, kind_index, deadline, v, r, s)
        details.append("the fee is approved by a permit you sign now (no separate approval)")
    else:
        call = membership.functions.acceptInvitation(found.sponsor, kind_index)
    transact(chain, account, call, f"join CMIR as {KINDS[kind_index]}", yes, details)


app.command("join", help="Same as `cmir member accept`: accept an invitation, naming its sponsor and kind.")(
    accept
)


@app.command()
@shared_options
def revoke(
    invitee: Annotated[str, typer.Argument(help="The account invited.")],
    sponsor: Annotated[
        str | None,
        typer.Option("--sponsor", help="Who sent it (default: you).", show_default=False),
    ] = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Withdraw an invitation you sent to INVITEE (you get that invitation back)."""
    chain, account = _signed(target, signer)
    who = address(invitee, "invitee")
    sent_by = address(sponsor, "sponsor") if sponsor else account.address
    transact(
        chain,
        account,
        chain.contract("membership").functions.revokeInvitation(who, sent_by),
        f"revoke the invitation from {sent_by} to {who}",
        yes,
    )


@app.command()
@shared_options
def attest(
    account_: Annotated[str, typer.Argument(metavar="ACCOUNT", help="The ESS structure's account.")],
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Attest that ACCOUNT is an ESS structure (association, cooperative, mutual, foundation,
    social enterprise), as a governed attester (a regional CRESS, say): it may then accept an
    invitation as an ESS structure."""
    chain, account = _signed(target, signer)
    who = address(account_, "account")
    membership = chain.contract("membership")
    details = []
    if not membership.functions.isAttester(account.address).call():
        details.append(f"note: {account.address} is not an attester (governance names them)")
    previous = membership.functions.attestationOf(who).call()
    if int(previous, 16):
        details.append(f"already attested by {previous}")
    waiting = [i for i in _invitations(chain, "invitee", who) if KINDS[i.kind] == "EssStructure"]
    details += [f"pending invitation {i.line()}" for i in waiting]
    transact(
        chain,
        account,
        membership.functions.attestEssStructure(who),
        f"attest that {who} is an ESS structure",
        yes,
        details,
    )


@app.command(cls=AmountCommand)
@shared_options
def pay(
    counterparty: Annotated[str, typer.Argument(help="The member the relation is with.")],
    amount: Annotated[str, typer.Argument(help="Amount in euros, e.g. 25 or 25.50.")],
    ref: Annotated[
        str,
        typer.Option(
            "--ref", help="Reference of the relation (a meeting or introduction id), up to 32 bytes."
        ),
    ],
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Pay AMOUNT for a relation with COUNTERPARTY.

    The payment is split at once between the members (rewarded by points), the ESS bucket and the
    collective fund. The amount is approved by an EIP-2612 permit signed here when needed.
    """
    chain, account = _signed(target, signer)
    other = address(counterparty, "counterparty")
    value = units(amount, chain.decimals)
    reference = relation_ref(ref)
    pool = chain.contract("pool")
    members_bps, ess_bps, collective_bps = pool.functions.shares().call()
    epoch = int(pool.functions.epoch().call())
    ends = show_time(pool.functions.epochEndsAt(epoch).call())
    details = [
        f"reference {show_ref(reference)!r}; split: members {members_bps / 100:g} %, ESS {ess_bps / 100:g} %,"
        f" collective {collective_bps / 100:g} %",
        f"the points it gives are pending in epoch {epoch} until {ends}: they share only in the inflows"
        " booked after that",
    ]
    if _needs_permit(chain, account.address, value):
        deadline = int(time.time()) + 3600
        v, r, s = permit(chain, account, pool.address, value, deadline)
        call = pool.functions.payRelationWithPermit(other, value, reference, deadline, v, r, s)
        details.append("the amount is approved by a permit you sign now (no separate approval)")
    else:
        call = pool.functions.payRelation(other, value, reference)
    transact(chain, account, call, f"pay {chain.amount(value)} for a relation with {other}", yes, details)


@app.command()
@shared_options
def claim(
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Claim your rewards: everything you earned from the members' share is paid to you."""
    chain, account = _signed(target, signer)
    pool = chain.contract("pool")
    claimable = int(pool.functions.claimableOf(account.address).call())
    try:
        transact(chain, account, pool.functions.claim(), f"claim {chain.amount(claimable)} of rewards", yes)
    except CliError as exc:
        points = Points.of(chain, account.address)
        if claimable or not (points.pending or points.matured):
            raise
        hint = (
            f"your {points.pending} pending points mature at {show_time(points.matures_at)} and earn from"
            " the inflows booked after that"
            if points.pending
            else f"your {points.matured} matured points earn from the next inflows booked"
        )
        raise CliError(f"{str(exc).rstrip('.')} ({hint})", exc.code) from None


@app.command()
@shared_options
def show(
    member: MemberArg = None,
    *,
    target: Target,
    signer: Signer,
) -> None:
    """Show a member: kind, sponsor, joining date, status, votes and probation, invitations
    (available, when the next accrues, those pending), points and rewards; for anyone else, the
    invitations it holds and its attestation."""
    chain, who = _looked_up(target, member, signer)
    membership, pool, token = chain.contract("membership"), chain.contract("pool"), chain.contract("token")
    sponsor, joined_at, kind, sent, excluded_at, votes_from = membership.functions.memberOf(who).call()
    moment = now(chain)
    votes = int(membership.functions.getVotes(who).call())
    lines = [f"member       {who}"]
    if joined_at == 0:
        lines.append("status       not a member")
        lines += [
            f"invitation   pending {i.line()} (`cmir member accept`)"
            for i in _invitations(chain, "invitee", who)
        ]
        attester = membership.functions.attestationOf(who).call()
        if int(attester, 16):
            lines.append(f"attested     as an ESS structure by {attester}")
    else:
        status = (
            "active"
            if excluded_at == 0
            else f"excluded since {time.strftime('%Y-%m-%d', time.gmtime(excluded_at))}"
        )
        lines += [
            f"kind         {KINDS[kind]} ({KIND_HELP[KINDS[kind]]})",
            f"sponsor      {sponsor if int(sponsor, 16) else 'none (founder or admitted by governance)'}",
            f"joined       {show_time(joined_at)}",
            f"status       {status}",
            f"votes        {_probation_line(votes, int(votes_from), moment) if excluded_at == 0 else votes}",
        ]
        if excluded_at == 0:
            lines.append(f"invitations  {_allowance_line(chain, who, moment)}; {sent} sent")
            lines += [f"invited      {i.line('invitee')}" for i in _invitations(chain, "sponsor", who)]
    if membership.functions.isAttester(who).call():
        lines.append("attester     yes: attests ESS structures (`cmir member attest ACCOUNT`)")
    points = Points.of(chain, who)
    lines += [
        f"points       {points.matured} matured",
        f"pending      {points.pending_line()}",
        f"claimable    {chain.amount(int(pool.functions.claimableOf(who).call()))}",
        f"balance      {chain.amount(int(token.functions.balanceOf(who).call()))}",
    ]
    typer.echo("\n".join(lines))


@app.command()
@shared_options
def rewards(
    member: MemberArg = None,
    *,
    target: Target,
    signer: Signer,
) -> None:
    """Show a member's rewards: matured points and their share of all matured points, pending
    points and when they mature, claimable now, and every claim.

    Points earned in an epoch are pending until it ends; matured points share in every inflow
    booked after that, at most the epoch's reward cap per point."""
    chain, who = _looked_up(target, member, signer)
    pool = chain.contract("pool")
    points = Points.of(chain, who)
    totals = pool.functions.totals().call()
    matured_total, epoch = int(totals[7]), int(totals[10])
    claimable = int(pool.functions.claimableOf(who).call())
    start = int(chain.record.get("deployment_block", 0))
    logs = pool.events.RewardsClaimed().get_logs(from_block=start, argument_filters={"member": who})
    claimed = sum(int(log["args"]["amount"]) for log in logs)
    share = f"{100 * points.matured / matured_total:.2f} % of {matured_total}" if matured_total else "of none"
    ends = int(pool.functions.epochEndsAt(epoch).call())
    typer.echo(f"member     {who}")
    typer.echo(f"epoch      {epoch}, ends {show_time(ends)} (in {show_wait(ends - points.now)})")
    typer.echo(f"matured    {points.matured} points ({share} matured points)")
    typer.echo(f"pending    {points.pending_line()}")
    typer.echo(f"claimable  {chain.amount(claimable)}")
    typer.echo(f"claimed    {chain.amount(claimed)} in {len(logs)} claim(s)")
    for log in logs:
        typer.echo(
            f"  block {log['blockNumber']}  {chain.amount(int(log['args']['amount'])):>16}"
            f"  tx {log['transactionHash'].to_0x_hex()}"
        )
    typer.echo(f"earned     {chain.amount(claimed + claimable)} in all")
