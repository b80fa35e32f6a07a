"""``cmir dao propose-epoch-length | propose-reward-cap | propose-parties-min-share``: proposals
to change how points mature and earn, as the pool's governance may set them.

Points earned in an epoch are pending until it ends, then share in every inflow booked after
that; each epoch a matured point earns at most the reward cap; the payer and counterparty of a
relation keep at least the parties' minimum share of its points. Each command checks the new
value against the pool's bounds and runs the call as the timelock would now, so that a proposal
that could never execute is refused before anyone votes on it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cmir.cli.common import (
    BadInput,
    Signer,
    Target,
    connect,
    load_signer,
    parse_duration,
    shared_options,
    show_duration,
    show_time,
)
from cmir.cli.dao import DescriptionOpt, check_as_governance, encode_call, submit
from cmir.governance import make_proposal

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
