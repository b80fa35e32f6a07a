"""``cmir dao propose-epoch-length | propose-reward-cap | propose-parties-min-share``: proposals
to change how points mature and earn, as the pool's governance may set them; and
``propose-quorum-floor | propose-grace-period | propose-membership-rules |
propose-collective-budget | propose-guardian | propose-attester``: the admission rules
(probation, invitations), the quorum's floor, how long an approval lasts, the steward's budget,
the guardian and the attesters of ESS structures.

Points earned in an epoch are pending until it ends, then share in every inflow booked after
that; each epoch a matured point earns at most the reward cap; the payer and counterparty of a
relation keep at least the parties' minimum share of its points. Each command checks the new
value against the pool's bounds and runs the call as the timelock would now, so that a proposal
that could never execute is refused before anyone votes on it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cmir.apps.cli.common import Signer, Target, connect, shared_options
from cmir.apps.cli.dao import DescriptionOpt, check_as_governance, encode_call, submit
from cmir.apps.cli.errors import BadInput
from cmir.apps.cli.parsing import address, parse_duration, show_duration, show_time, units
from cmir.apps.cli.signing import load_signer
from cmir.chain.governance import make_proposal

BpsArg = Annotated[int, typer.Argument(help="Basis points (5000 = 50 %).", min=0, max=10000)]


def duree(seconds: int) -> str:
    """A duration in French words, for a proposal's text: "1 jour", "12 heures", "90 secondes"."""
    for singular, plural, size in (
        ("jour", "jours", 86400),
        ("heure", "heures", 3600),
        ("minute", "minutes", 60),
    ):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {singular if count == 1 else plural}"
    return f"{seconds} seconde{'s' if seconds > 1 else ''}"


@shared_options
def propose_epoch_length(
    length: Annotated[str, typer.Argument(help="The new length of an epoch: 3600, 90s, 15m, 12h, 1d, 2w.")],
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose that epochs last LENGTH.

    Points earned in an epoch mature when it ends. The epoch running when the proposal executes
    keeps its end (no pending point matures earlier or later than announced); the following
    epochs last LENGTH.
    """
    seconds = parse_duration(length)
    chain = connect(target)
    pool = chain.contract("pool")
    shortest = int(pool.functions.MIN_EPOCH_LENGTH().call())
    longest = int(pool.functions.MAX_EPOCH_LENGTH().call())
    if not shortest <= seconds <= longest:
        raise BadInput(
            f"an epoch of {show_duration(seconds)} is outside the pool's bounds, "
            f"{show_duration(shortest)} to {show_duration(longest)}"
        )
    _, current, _ = pool.functions.epochClock().call()
    if int(current) == seconds:
        raise BadInput(f"epochs already last {show_duration(seconds)}")
    account = load_signer(signer)
    text = description or (
        f"Des époques de {duree(seconds)}\n\nLes points gagnés pendant une époque mûrissent à sa fin. "
        f"L'époque en cours à l'exécution garde sa fin ; les suivantes durent {duree(seconds)}."
    )
    proposal = make_proposal([encode_call(pool, "setEpochLength", seconds)], text)
    check_as_governance(chain, proposal)
    epoch = int(pool.functions.epoch().call())
    ends = show_time(pool.functions.epochEndsAt(epoch).call())
    submit(
        chain,
        account,
        proposal,
        f"propose epochs of {show_duration(seconds)}",
        yes,
        [
            f"epochs last {show_duration(int(current))} now (epoch {epoch} ends {ends});"
            " the epoch running at execution keeps its end",
        ],
    )


@shared_options
def propose_reward_cap(
    cap_bps: BpsArg,
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose that a matured point earn at most CAP_BPS per epoch.

    The cap is in basis points of a token unit per point (5000: a point earns at most half a
    unit per epoch); what the members' share of an inflow cannot give under it goes to the ESS
    bucket. It is at most what a point costs to buy with the current shares and weights.
    """
    chain = connect(target)
    pool = chain.contract("pool")
    highest = int(pool.functions.maxEpochRewardCapBps().call())
    if cap_bps > highest:
        raise BadInput(
            f"a reward cap of {cap_bps} bps is above {highest} bps, the most the current shares and weights "
            "allow (what a point costs to buy)"
        )
    current = int(pool.functions.epochRewardCapBps().call())
    if cap_bps == current:
        raise BadInput(f"the reward cap is already {cap_bps} bps")
    account = load_signer(signer)
    text = description or (
        f"Plafond de gain par époque : {cap_bps} points de base\n\nUn point mûr gagne au plus "
        f"{cap_bps / 100:g} % d'une unité de jeton par époque ; au-delà, la part des membres va au fonds ESS."
    )
    proposal = make_proposal([encode_call(pool, "setEpochRewardCap", cap_bps)], text)
    check_as_governance(chain, proposal)
    submit(
        chain,
        account,
        proposal,
        f"propose a reward cap of {cap_bps} bps per epoch",
        yes,
        [f"the cap is {current} bps now; at most {highest} bps with the current shares and weights"],
    )


@shared_options
def propose_parties_min_share(
    min_bps: BpsArg,
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose that a relation's payer and counterparty keep at least MIN_BPS of its points.

    Their sponsors share the rest. The current point weights must already give the parties that
    much, or the proposal could not execute.
    """
    chain = connect(target)
    pool = chain.contract("pool")
    lowest = int(pool.functions.LOWEST_PARTIES_MIN_SHARE_BPS().call())
    if min_bps < lowest:
        raise BadInput(f"the parties' minimum share must be at least {lowest} bps, got {min_bps}")
    payer, counterparty, payer_sponsor, counterparty_sponsor = pool.functions.pointWeights().call()
    parties = (payer + counterparty) * 10_000 // (payer + counterparty + payer_sponsor + counterparty_sponsor)
    if min_bps > parties:
        raise BadInput(
            f"the current point weights give the parties {parties} bps of a relation's points, below "
            f"{min_bps} bps: change the weights first"
        )
    current = int(pool.functions.partiesMinShareBps().call())
    if min_bps == current:
        raise BadInput(f"the parties' minimum share is already {min_bps} bps")
    account = load_signer(signer)
    text = description or (
        f"Part minimale des parties d'une relation : {min_bps / 100:g} %\n\nLe payeur et sa contrepartie "
        f"gardent au moins {min_bps / 100:g} % des points d'une relation ; leurs parrains se partagent "
        "le reste."
    )
    proposal = make_proposal([encode_call(pool, "setPartiesMinShare", min_bps)], text)
    check_as_governance(chain, proposal)
    submit(
        chain,
        account,
        proposal,
        f"propose that the parties keep at least {min_bps} bps of a relation's points",
        yes,
        [f"the minimum is {current} bps now; the current weights give the parties {parties} bps"],
    )


# ------------------------------------------------------------------ admission and approval rules


@shared_options
def propose_quorum_floor(
    votes: Annotated[
        int, typer.Argument(help="The least number of votes (For + Abstain) a proposal needs.", min=1)
    ],
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose that a proposal needs at least VOTES votes, whatever the fraction of members.

    The quorum is the larger of the governed fraction of the members and this floor (never more
    than every member); a change applies to proposals whose snapshot is later.
    """
    chain = connect(target)
    governor = chain.contract("governor")
    highest = int(governor.functions.MAX_QUORUM_FLOOR().call())
    if votes > highest:
        raise BadInput(f"a quorum floor of {votes} votes is above the Governor's bound, {highest}")
    current = int(governor.functions.quorumFloor().call())
    if votes == current:
        raise BadInput(f"the quorum floor is already {votes} votes")
    account = load_signer(signer)
    text = description or (
        f"Quorum minimal de {votes} voix\n\nUne proposition n'est adoptée qu'avec au moins {votes} voix "
        "(pour ou abstention), quelle que soit la fraction des membres, et jamais plus que tous les membres."
    )
    proposal = make_proposal([encode_call(governor, "setQuorumFloor", votes)], text)
    submit(
        chain,
        account,
        proposal,
        f"propose a quorum floor of {votes} votes",
        yes,
        [f"the floor is {current} votes now; the quorum is the larger of it and the fraction of members"],
    )


@shared_options
def propose_grace_period(
    length: Annotated[str, typer.Argument(help="How long an approval stays valid: 12h, 7d, 2w.")],
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose that an approval expire LENGTH after the vote (if not queued) or after its
    timelock delay (if not executed).

    The grace period in force at a proposal's snapshot applies to it.
    """
    seconds = parse_duration(length)
    chain = connect(target)
    governor = chain.contract("governor")
    shortest = int(governor.functions.MIN_APPROVAL_GRACE().call())
    longest = int(governor.functions.MAX_APPROVAL_GRACE().call())
    if not shortest <= seconds <= longest:
        raise BadInput(
            f"a grace period of {show_duration(seconds)} is outside the Governor's bounds, "
            f"{show_duration(shortest)} to {show_duration(longest)}"
        )
    current = int(governor.functions.approvalGracePeriod().call())
    if seconds == current:
        raise BadInput(f"the grace period is already {show_duration(seconds)}")
    account = load_signer(signer)
    text = description or (
        f"Délai de grâce des approbations : {duree(seconds)}\n\nUne proposition adoptée qui n'est pas "
        f"mise en file, ou pas exécutée, dans les {duree(seconds)} qui suivent expire : il faut la "
        "proposer de nouveau."
    )
    proposal = make_proposal([encode_call(governor, "setApprovalGracePeriod", seconds)], text)
    submit(
        chain,
        account,
        proposal,
        f"propose a grace period of {show_duration(seconds)} for approvals",
        yes,
        [f"the grace period is {show_duration(current)} now"],
    )


def _duration_or(value: str | None, current: int) -> int:
    return current if value is None else parse_duration(value) if value not in ("0", "0s") else 0


@shared_options
def propose_membership_rules(
    probation: Annotated[
        str | None,
        typer.Option(
            "--probation",
            help="Time from joining before a member votes, invites, proposes (30d).",
            show_default=False,
        ),
    ] = None,
    refill: Annotated[
        str | None,
        typer.Option(
            "--refill",
            help="One invitation accrues every this long after probation (30d).",
            show_default=False,
        ),
    ] = None,
    cap: Annotated[
        int | None,
        typer.Option("--cap", help="The most invitations a member holds unused.", min=1, show_default=False),
    ] = None,
    ttl: Annotated[
        str | None,
        typer.Option("--ttl", help="An invitation expires this long after it is sent.", show_default=False),
    ] = None,
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose new admission rules: probation, invitation refill period and cap, invitation
    lifetime (those not given keep their current value).

    The probation applies to members joining after the change; invitations accrue at the new
    rate from then on.
    """
    chain = connect(target)
    membership = chain.contract("membership")
    current = tuple(int(x) for x in membership.functions.rules().call())
    wanted = (
        _duration_or(probation, current[0]),
        _duration_or(refill, current[1]),
        current[2] if cap is None else cap,
        _duration_or(ttl, current[3]),
    )
    if wanted == current:
        raise BadInput("these are the rules already: give --probation, --refill, --cap or --ttl")
    account = load_signer(signer)
    text = description or (
        f"Règles d'admission : probation de {duree(wanted[0]) if wanted[0] else '0 seconde'}, une invitation "
        f"tous les {duree(wanted[1])} (au plus {wanted[2]}), invitations valables {duree(wanted[3])}"
        "\n\nUn nouveau membre vote, invite et propose après sa probation ; ses invitations s'accumulent "
        "ensuite à ce rythme."
    )
    proposal = make_proposal([encode_call(membership, "setRules", wanted)], text)
    check_as_governance(chain, proposal)
    submit(
        chain,
        account,
        proposal,
        "propose new admission rules",
        yes,
        [
            f"probation {show_duration(current[0]) if current[0] else '0 s'} -> "
            f"{show_duration(wanted[0]) if wanted[0] else '0 s'}; one invitation every "
            f"{show_duration(current[1])} -> {show_duration(wanted[1])}; cap {current[2]} -> {wanted[2]}; "
            f"invitations valid {show_duration(current[3])} -> {show_duration(wanted[3])}"
        ],
    )


@shared_options
def propose_collective_budget(
    amount: Annotated[str, typer.Argument(help="Euros the steward may spend per period, e.g. 2000.")],
    period: Annotated[str, typer.Argument(help="The period: 7d, 30d, 12h.")],
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose that the steward spend at most AMOUNT of the collective fund per PERIOD.

    A period starts with the first spending after the previous one ended; what the running period
    already spent still counts after the change.
    """
    seconds = parse_duration(period)
    chain = connect(target)
    pool = chain.contract("pool")
    value = units(amount, chain.decimals)
    shortest = int(pool.functions.MIN_BUDGET_PERIOD().call())
    longest = int(pool.functions.MAX_BUDGET_PERIOD().call())
    if not shortest <= seconds <= longest:
        raise BadInput(
            f"a budget period of {show_duration(seconds)} is outside the pool's bounds, "
            f"{show_duration(shortest)} to {show_duration(longest)}"
        )
    current_amount, current_period, _, _ = pool.functions.collectiveBudget().call()
    if (int(current_amount), int(current_period)) == (value, seconds):
        raise BadInput(f"the budget is already {chain.amount(value)} per {show_duration(seconds)}")
    account = load_signer(signer)
    text = description or (
        f"Budget du fonds collectif : {chain.amount(value)} par période de {duree(seconds)}\n\nL'intendant "
        "dépense au plus ce montant par période ; ce que la période en cours a déjà dépensé reste compté."
    )
    proposal = make_proposal([encode_call(pool, "setCollectiveBudget", value, seconds)], text)
    check_as_governance(chain, proposal)
    submit(
        chain,
        account,
        proposal,
        f"propose a steward's budget of {chain.amount(value)} per {show_duration(seconds)}",
        yes,
        [f"the budget is {chain.amount(int(current_amount))} per {show_duration(int(current_period))} now"],
    )


@shared_options
def propose_guardian(
    guardian: Annotated[str, typer.Argument(help="The new guardian's address (a Safe multisig), or `none`.")],
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose a new guardian ("conseil de surveillance"), or none.

    The guardian may only cancel proposals before execution, giving a public reason; it cannot
    cancel this proposal, which must hold this one action.
    """
    chain = connect(target)
    governor = chain.contract("governor")
    new = "0x" + "00" * 20 if guardian.lower() == "none" else address(guardian, "guardian")
    current = governor.functions.guardian().call()
    if int(current, 16) == int(new, 16):
        raise BadInput(f"the guardian is already {guardian}")
    account = load_signer(signer)
    named = "aucun gardien" if int(new, 16) == 0 else new
    text = description or (
        f"Nommer le conseil de surveillance : {named}\n\nLe gardien peut seulement annuler une proposition "
        "avant son exécution, en donnant publiquement sa raison."
    )
    proposal = make_proposal([encode_call(governor, "setGuardian", new)], text)
    submit(
        chain,
        account,
        proposal,
        f"propose {named if int(new, 16) else 'no guardian'} as the guardian",
        yes,
        [f"the guardian is {current if int(current, 16) else 'none'} now; it cannot cancel this proposal"],
    )


@shared_options
def propose_attester(
    attester: Annotated[str, typer.Argument(help="The attester's address (a regional CRESS, say).")],
    remove: Annotated[bool, typer.Option("--remove", help="Withdraw the role instead.")] = False,
    description: DescriptionOpt = None,
    *,
    target: Target,
    signer: Signer,
    yes: bool,
) -> None:
    """Propose to make ATTESTER an attester of ESS structures (or, with --remove, no longer one).

    An ESS structure invited by a member may accept only once an attester has attested it; an
    attestation counts only while its attester still is one.
    """
    chain = connect(target)
    membership = chain.contract("membership")
    who = address(attester, "attester")
    if bool(membership.functions.isAttester(who).call()) == (not remove):
        raise BadInput(f"{who} is {'already' if not remove else 'not'} an attester")
    account = load_signer(signer)
    text = description or (
        f"Retirer le rôle d'attestation des structures ESS à {who}"
        if remove
        else f"Nommer {who} attestataire des structures ESS\n\nIl atteste qu'un compte est une structure de "
        "l'économie sociale et solidaire, qui peut alors accepter une invitation comme telle."
    )
    proposal = make_proposal([encode_call(membership, "setAttester", who, not remove)], text)
    check_as_governance(chain, proposal)
    submit(
        chain, account, proposal, f"propose {'removing' if remove else 'naming'} {who} as an attester", yes
    )
