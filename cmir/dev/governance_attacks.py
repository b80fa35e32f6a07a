"""Replay the governance attacks of issue 11 on a live deployment and measure the attacker's profit.

Each attack was first played, and won, on the contracts as they were (the issue quotes the
figures: `Replay.reported`). `REPLAYS` plays each again, step by step as the issue describes it,
on a deployment made with the project's own settings, and returns a `Replay`: the steps the
contracts refused (each with its custom error, decoded with its inputs), what the attacker got in
token units (`profit`; proposals killed for the blocking attack), the most the rules let it get
(`bound`: 0, or the steward's budget), and the figures that show why.
`tests/contracts/test_attacks.py` asserts them; `ape run attack_report` prints them next to the
issue's figures. The stage they are played on is `cmir.dev.attack_stage`; the timed capture (sybils
invited as fast as the rules allow) is `cmir.dev.capture`.

Honest background decisions (admitting members, naming an attester, activating a project) are
made by the timelock, impersonated, as if a vote had passed: development chains only. Whatever
an attack is about, the vote, its quorum, its expiry or its proposer, goes through the real
Governor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils.crypto import keccak

from cmir.chain import governance as gov
from cmir.dev.attack_stage import ABEILLE, ESS_STRUCTURE, EUR, Blocked, Stage, acting, isolated, proposing


@dataclass(frozen=True)
class Replay:
    """One attack replayed: what it won before (quoted from the issue), what the attacker got now,
    the most the rules allow (token units; for the blocking attack, proposals killed: `unit`),
    each refused step and the figures."""

    key: str
    title: str
    reported: str
    reported_profit: int
    profit: int
    bound: int
    blocked: tuple[Blocked, ...]
    figures: dict[str, Any] = field(default_factory=dict)
    now: str = ""
    unit: str = "tEUR"

    def amount(self, value: int) -> str:
        """`value` (a profit or bound) in the replay's unit: tEUR with cents, or a count."""
        if self.unit == "tEUR":
            return f"{value / EUR:,.2f}"
        return f"{value:,}"


# ---------------------------------------------------------------------------------- the attacks


def sybil_capture(stage: Stage) -> Replay:
    """Sybil capture, played step by step: an ordinary member invites sybils as fast as the rules
    allow, the first as an ESS structure that would register its own project (the timed race is
    `cmir.dev.capture`). Every step the issue's attacker took at once is refused or waits."""
    membership, pool, registry = stage.membership, stage.pool, stage.registry
    blocked: list[Blocked] = []
    ess_received, _ = stage.contribute(30_000 * EUR)
    refill = int(membership.rules().invitationRefillPeriod)
    attacker = stage.account()
    stage.join(stage.pilote, attacker, ABEILLE)
    attacker_votes_from = int(membership.memberOf(attacker).votesFrom)
    sybil, ess_sybil, grandchild = stage.account(), stage.account(), stage.account()
    stage.attempt(
        blocked, "the attacker invites during its probation", attacker, membership.invite, sybil, ABEILLE
    )
    stage.travel_to(attacker_votes_from)
    allowance_after_probation = int(membership.invitationsAvailable(attacker).available)
    stage.attempt(
        blocked, "the attacker invites as its probation ends", attacker, membership.invite, sybil, ABEILLE
    )
    # Two invitations have accrued: one sybil invited as an ESS structure cannot join unattested.
    stage.travel_to(attacker_votes_from + 2 * refill)
    membership.invite(sybil, ESS_STRUCTURE, sender=attacker)
    stage.attempt(
        blocked,
        "a sybil joins as an ESS structure without an attester",
        sybil,
        membership.acceptInvitation,
        attacker,
        ESS_STRUCTURE,
    )
    membership.revokeInvitation(sybil, attacker, sender=attacker)  # the invitation comes back
    stage.join(attacker, sybil, ABEILLE)
    sybil_votes_from = int(membership.memberOf(sybil).votesFrom)
    sybil_votes = int(membership.getVotes(sybil))
    capture = gov.make_proposal(
        [gov.call(pool, "setSteward", attacker)], "Nouvel intendant du fonds collectif"
    )
    stage.attempt(
        blocked,
        "a sybil proposes during its probation",
        sybil,
        stage.governor.propose,
        *proposing(capture.by(sybil)),
    )
    stage.attempt(
        blocked, "a sybil invites during its probation", sybil, membership.invite, grandchild, ABEILLE
    )
    # The worst case: the attacker fooled the attester, so a sybil is an ESS structure. Its project
    # waits for a vote, and what a vote would pay it is refused while it waits.
    stage.join(attacker, ess_sybil, ESS_STRUCTURE)
    wallet = stage.account()
    project_id = stage.register(ess_sybil, wallet, "Tiers-lieu fictif")
    active = bool(registry.payoutOf(project_id).active)
    ess_available = int(pool.essAvailable())
    stage.attempt(
        blocked,
        "the timelock funds the sybil's project (as a passed vote would)",
        stage.timelock,
        pool.fundEssProject,
        project_id,
        wallet,
        1,
        ess_available,
    )
    side = [attacker, sybil, ess_sybil]
    side_votes = sum(int(membership.getVotes(m)) for m in side)
    # Probation over, a sybil has earned nothing yet: its first invitation accrues a period later.
    stage.travel_to(sybil_votes_from)
    sybil_allowance = int(membership.invitationsAvailable(sybil).available)
    stage.attempt(
        blocked, "a sybil invites as its probation ends", sybil, membership.invite, grandchild, ABEILLE
    )
    profit = stage.paid_to(wallet)
    return Replay(
        "sybil",
        "Sybil capture",
        "41 votes at once; 23,400 tEUR (100 % of the ESS bucket) to a sybil's wallet",
        23_400 * EUR,
        profit,
        0,
        tuple(blocked),
        {
            "attacker": str(attacker.address),
            "sybil": str(sybil.address),
            "project_id": project_id,
            "attacker_allowance_after_probation": allowance_after_probation,
            "sybil_votes_in_probation": sybil_votes,
            "sybil_allowance_after_probation": sybil_allowance,
            "sybil_project_active": active,
            "side_votes": side_votes,
            "ess_bucket": ess_available,
            "ess_received": ess_received,
        },
        f"{side_votes} vote(s) of 3 members after 2 refill periods; sybil's project inactive; "
        f"{profit / EUR:,.2f} tEUR of {ess_available / EUR:,.2f}",
    )


def wallet_swap(stage: Stage) -> Replay:
    """A wallet no vote saw: a project's owner changes its payout wallet while the project is switched
    off; the funding queued earlier and a switch-on voted for the old wallet then execute."""
    governor, registry, pool = stage.governor, stage.registry, stage.pool
    blocked: list[Blocked] = []
    stage.contribute(10_000 * EUR)
    owner = stage.admit(ESS_STRUCTURE)
    first_wallet, new_wallet = stage.account(), stage.account()
    project_id = stage.project(owner, first_wallet, "Ressourcerie du quartier")
    voters = stage.founders
    funding = stage.pass_proposal(
        gov.fund_ess_project(
            pool, registry, project_id, 4_000 * EUR, "Financer la ressourcerie : 4 000 tEUR"
        ),
        stage.pilote,
        voters,
    )
    # Governance switches the project off (a dispute), then votes to switch it on again.
    registry.deactivateProject(project_id, sender=stage.timelock)
    switch_on = stage.pass_proposal(
        gov.activate_project(registry, project_id, "Réactiver la ressourcerie"), stage.abeille, voters
    )
    # The owner swaps the wallet while the project is off, before both execute.
    project = registry.projectOf(project_id)
    registry.updateProject(project_id, new_wallet, project.metadataURI, project.metadataHash, sender=owner)
    new_version = int(registry.payoutOf(project_id).walletVersion)
    stage.wait_for_timelock(switch_on)
    stage.attempt(
        blocked,
        "the switch-on voted for the old wallet executes",
        owner,
        governor.execute,
        *acting(switch_on),
    )
    stage.attempt(blocked, "the funding queued earlier executes", owner, governor.execute, *acting(funding))
    # Even once governance has switched on the new wallet (a vote that saw it), the earlier
    # funding names the old one.
    registry.activateProject(project_id, new_version, sender=stage.timelock)
    stage.attempt(
        blocked,
        "the earlier funding executes after the new wallet's activation",
        owner,
        governor.execute,
        *acting(funding),
    )
    profit = stage.paid_to(new_wallet)
    return Replay(
        "wallet",
        "A wallet no vote saw",
        "4,000 tEUR paid to wallets no vote named",
        4_000 * EUR,
        profit,
        0,
        tuple(blocked),
        {
            "project_id": project_id,
            "old_wallet": str(first_wallet.address),
            "wallet_version": new_version,
            "paid_to_old_wallet": stage.paid_to(first_wallet),
            "funding_state": int(stage.state(funding)),
            "switch_on_state": int(stage.state(switch_on)),
        },
        f"{profit / EUR:,.2f} tEUR to the new wallet; funding and switch-on revert (wallet version 1 → 2)",
    )


def stale_approvals(stage: Stage) -> Replay:
    """Approvals that never expire: a funding whose execution failed stays Queued, one that passed
    but was never queued stays Succeeded; a year later anyone runs them."""
    governor, registry, pool = stage.governor, stage.registry, stage.pool
    blocked: list[Blocked] = []
    # The ESS bucket holds 4,000 tEUR: enough for the first funding, not the second.
    ess_received, _ = stage.contribute(5_000 * EUR)
    wallet = stage.account()
    project_id = stage.project(stage.ess_structure, wallet, "Épicerie solidaire")
    voters = stage.founders
    intended = 3_000 * EUR

    def funding(amount: int, text: str) -> gov.Proposal:
        return gov.fund_ess_project(pool, registry, project_id, amount, text)

    paid_now = funding(intended, "Épicerie solidaire : 3 000 tEUR")
    failing = funding(5_000 * EUR, "Épicerie solidaire : 5 000 tEUR de plus")
    dropped = funding(3_000 * EUR, "Épicerie solidaire : 3 000 tEUR pour l'hiver")
    bound = [gov.bind_unused(stage.governor, p, stage.pilote) for p in (paid_now, failing, dropped)]
    for proposal in bound:
        stage.propose(proposal, stage.pilote)
    ids = [p.proposal_id(stage.governor) for p in bound]
    gov.wait_for_voting_start(stage.governor, ids[-1])
    for proposal_id in ids:
        for voter in voters:
            gov.vote(stage.governor, proposal_id, gov.Support.FOR, voter)
    gov.wait_for_voting_end(stage.governor, ids[-1])
    paid_now, failing, dropped = bound
    gov.queue(stage.governor, paid_now, stage.pilote)
    gov.queue(stage.governor, failing, stage.pilote)
    stage.execute(paid_now, stage.pilote)
    stage.wait_for_timelock(failing)
    stage.attempt(
        blocked,
        "the second funding executes (the bucket is short)",
        wallet,
        governor.execute,
        *acting(failing),
    )
    # A year later the bucket is full again; anyone tries the old approvals.
    stage.travel(365 * 86_400)
    stage.contribute(100_000 * EUR)
    states = (int(stage.state(failing)), int(stage.state(dropped)))
    stage.attempt(
        blocked, "a year later: the failed funding executes", wallet, governor.execute, *acting(failing)
    )
    stage.attempt(
        blocked, "a year later: the never-queued funding is queued", wallet, governor.queue, *acting(dropped)
    )
    stage.attempt(
        blocked, "a year later: the never-queued funding executes", wallet, governor.execute, *acting(dropped)
    )
    paid = stage.paid_to(wallet)
    return Replay(
        "expiry",
        "Approvals that never expire",
        "11,000 tEUR paid where 3,000 were intended (8,000 beyond)",
        8_000 * EUR,
        paid - intended,
        0,
        tuple(blocked),
        {
            "failing_id": failing.proposal_id(governor),
            "dropped_id": dropped.proposal_id(governor),
            "paid": paid,
            "intended": intended,
            "states_a_year_later": states,
            "ess_received": ess_received,
            "grace_period": int(stage.governor.approvalGracePeriod()),
        },
        f"{paid / EUR:,.2f} tEUR paid, {intended / EUR:,.2f} intended; both stale approvals Expired",
    )


def proposal_blocking(stage: Stage) -> Replay:
    """Blocking proposals: a member copies three pending exclusion proposals of another member,
    sends them first and cancels them."""
    governor, membership = stage.governor, stage.membership
    blocked: list[Blocked] = []
    attacker = stage.admit()
    targets = [stage.admit() for _ in range(3)]
    stage.serve_probation(attacker, *targets)
    honest = stage.abeille
    texts = [
        gov.exclude_member(
            membership, str(t.address), "Relations fictives répétées", f"Exclure le membre {i + 1}"
        )
        for i, t in enumerate(targets)
    ]
    honest_bound = [p.by(honest) for p in texts]
    honest_ids = [p.proposal_id(governor) for p in honest_bound]
    # The attacker sends the very same proposals first (they name the honest proposer)...
    for index, proposal in enumerate(honest_bound):
        stage.attempt(
            blocked,
            f"the attacker sends a copy of exclusion {index + 1} first",
            attacker,
            governor.propose,
            *proposing(proposal),
        )
    # ...or copies in its own name, which get other ids, and cancels them while pending.
    copies = [p.by(attacker) for p in texts]
    for copy in copies:
        stage.propose(copy, attacker)
        # A proposer may cancel only while its proposal is pending: until its snapshot.
        stage.at(int(governor.proposalSnapshot(copy.proposal_id(governor))))
        governor.cancel(copy.targets, copy.values, copy.calldatas, copy.description_hash, sender=attacker)
    copy_ids = [p.proposal_id(governor) for p in copies]
    for proposal in honest_bound:
        stage.propose(proposal, honest)
    gov.wait_for_voting_start(governor, honest_ids[-1])
    for proposal_id in honest_ids:
        for voter in stage.founders:
            gov.vote(governor, proposal_id, gov.Support.FOR, voter)
    gov.wait_for_voting_end(governor, honest_ids[-1])
    for proposal in honest_bound:
        gov.queue(governor, proposal, honest)
    for proposal in honest_bound:
        stage.execute(proposal, honest)
    executed = sum(1 for p in honest_bound if stage.state(p) == gov.ProposalState.EXECUTED)
    excluded = sum(1 for t in targets if not membership.isActiveMember(t))
    # A cancelled proposal's content can be proposed again: bind_unused words it anew.
    again = gov.bind_unused(governor, texts[0], attacker)
    stage.propose(again, attacker)
    again_id = again.proposal_id(governor)
    return Replay(
        "blocking",
        "Blocking proposals",
        "3 of 3 exclusion proposals killed",
        3,
        len(honest_bound) - executed,
        0,
        tuple(blocked),
        {
            "attacker": str(attacker.address),
            "killed": len(honest_bound) - executed,
            "executed": executed,
            "excluded": excluded,
            "copies_share_an_id": sum(1 for c in copy_ids if c in honest_ids),
            "copy_states": tuple(int(stage.state(c)) for c in copies),
            "proposed_again": int(governor.proposalSnapshot(again_id)) != 0 and again_id not in copy_ids,
            "proposed_again_text": again.text,
        },
        f"{len(honest_bound) - executed} of 3 killed: the copies revert or get other ids; "
        f"{excluded} exclusions executed",
        "proposals killed",
    )


def invitation_takeover(stage: Stage) -> Replay:
    """Invitations taken over: a member front-runs an honest invitation of an ESS structure to become
    its sponsor (and choose its kind), and invites addresses to lock them out."""
    membership, pool = stage.membership, stage.pool
    blocked: list[Blocked] = []
    rules = membership.rules()
    attacker = stage.admit()
    stage.serve_probation(attacker, invitations=int(rules.invitationCap))
    newcomer = stage.account()
    stage.name_attester()
    membership.attestEssStructure(newcomer, sender=stage.attester)
    # The front-runner's invitation lands first; the honest sponsor's next.
    membership.invite(newcomer, ABEILLE, sender=attacker)
    membership.invite(newcomer, ESS_STRUCTURE, sender=stage.pilote)
    stage.attempt(
        blocked,
        "the newcomer accepts the front-runner's invitation as the ESS structure it is",
        newcomer,
        membership.acceptInvitation,
        attacker,
        ESS_STRUCTURE,
    )
    membership.acceptInvitation(stage.pilote, ESS_STRUCTURE, sender=newcomer)
    record = membership.memberOf(newcomer)
    # The newcomer pays relations; the rewards of its sponsor's points go to its real sponsor.
    counterparty = stage.abeille
    stage.mint(newcomer, 10_000 * EUR)
    for meeting in range(10):
        pool.payRelation(counterparty, 1_000 * EUR, keccak(text=f"atelier-{meeting}"), sender=newcomer)
    stage.travel(int(pool.epochClock().length))
    stage.contribute(100_000 * EUR)
    attacker_rewards = int(pool.claimableOf(attacker))
    sponsor_rewards = int(pool.claimableOf(stage.pilote))
    project_id = stage.register(newcomer, newcomer, "Atelier vélo solidaire")
    # Lock-out: the attacker invites addresses first; honest sponsors invite them too and they join.
    locked = [stage.account() for _ in range(int(rules.invitationCap) - 1)]
    for account in locked:
        membership.invite(account, ABEILLE, sender=attacker)
    refused = 0
    for index, account in enumerate(locked):
        sponsor = stage.pilote if index % 2 else stage.abeille
        if not stage.attempt(
            blocked, "an honest sponsor invites", sponsor, membership.invite, account, ABEILLE
        ):
            refused += 1
            continue
        membership.acceptInvitation(sponsor, ABEILLE, sender=account)
    # Governance revokes one of the attacker's invitations; another expires.
    revoked, expiring = stage.account(), stage.account()
    stage.travel(2 * int(rules.invitationRefillPeriod))
    membership.invite(revoked, ABEILLE, sender=attacker)
    membership.revokeInvitation(revoked, attacker, sender=stage.timelock)
    stage.attempt(
        blocked, "the revoked invitation is accepted", revoked, membership.acceptInvitation, attacker, ABEILLE
    )
    membership.invite(expiring, ABEILLE, sender=attacker)
    stage.travel(int(rules.invitationTtl))
    stage.attempt(
        blocked,
        "the expired invitation is accepted",
        expiring,
        membership.acceptInvitation,
        attacker,
        ABEILLE,
    )
    for account in (revoked, expiring):
        stage.join(stage.abeille, account, ABEILLE)
    targeted = [newcomer, *locked, revoked, expiring]
    locked_out = sum(1 for a in targeted if not membership.isActiveMember(a))
    return Replay(
        "invitations",
        "Invitations taken over",
        "9,237.56 tEUR of sponsor rewards to the front-runner; 11 addresses locked out, "
        "10 honest invitations refused",
        9_237_560_000,
        attacker_rewards,
        0,
        tuple(blocked),
        {
            "attacker": str(attacker.address),
            "newcomer": str(newcomer.address),
            "revoked": str(revoked.address),
            "expiring": str(expiring.address),
            "sponsor": str(record.sponsor),
            "kind": int(record.kind),
            "attacker_points": int(pool.pointsOf(attacker)),
            "sponsor_rewards": sponsor_rewards,
            "project_registered": project_id,
            "targeted": len(targeted),
            "locked_out": locked_out,
            "honest_invitations_refused": refused,
        },
        f"{attacker_rewards / EUR:,.2f} tEUR to the front-runner ({sponsor_rewards / EUR:,.2f} to the "
        f"honest sponsor); {locked_out} of {len(targeted)} addresses locked out, "
        f"{refused} honest invitations refused",
    )


def quorum_of_one(stage: Stage) -> Replay:
    """A quorum of one: among 9 members, an ESS structure proposes to pay its own project the whole
    ESS bucket and is the only one to vote."""
    governor, membership, pool, registry = stage.governor, stage.membership, stage.pool, stage.registry
    blocked: list[Blocked] = []
    others = [stage.admit() for _ in range(6)]
    stage.serve_probation(*others)
    members = int(membership.activeMemberCount())
    ess_received, _ = stage.contribute(11_250 * EUR)
    attacker = stage.ess_structure
    wallet = stage.account()
    project_id = stage.project(attacker, wallet, "Jardin partagé")
    bucket = int(pool.essAvailable())
    proposal = gov.fund_ess_project(
        pool, registry, project_id, bucket, "Jardin partagé : tout le fonds ESS"
    ).by(attacker)
    stage.propose(proposal, attacker)
    proposal_id = proposal.proposal_id(governor)
    gov.wait_for_voting_start(governor, proposal_id)
    gov.vote(governor, proposal_id, gov.Support.FOR, attacker)
    gov.wait_for_voting_end(governor, proposal_id)
    quorum = int(governor.quorum(governor.proposalSnapshot(proposal_id)))
    stage.attempt(
        blocked, "the attacker queues its one-vote funding", attacker, governor.queue, *acting(proposal)
    )
    stage.attempt(
        blocked, "the attacker executes its one-vote funding", attacker, governor.execute, *acting(proposal)
    )
    profit = stage.paid_to(wallet)
    return Replay(
        "quorum",
        "A quorum of one",
        "9,000 tEUR (the whole ESS bucket) on one For vote among 9 members",
        9_000 * EUR,
        profit,
        0,
        tuple(blocked),
        {
            "proposal_id": proposal_id,
            "members": members,
            "quorum": quorum,
            "quorum_floor": int(governor.quorumFloor()),
            "state": int(gov.state(governor, proposal_id)),
            "ess_bucket": bucket,
            "ess_received": ess_received,
        },
        f"quorum {quorum} of {members} members: Defeated, {profit / EUR:,.2f} tEUR of {bucket / EUR:,.2f}",
    )


def outgoing_steward(stage: Stage) -> Replay:
    """A steward on its way out: it sees its replacement queued and spends what it can first."""
    pool = stage.pool
    blocked: list[Blocked] = []
    _, fund = stage.contribute(70_000 * EUR)
    old = stage.steward
    budget = int(pool.collectiveBudget().amount)
    pocket = stage.account()
    replacement = stage.pass_proposal(
        gov.make_proposal(
            [gov.call(pool, "setSteward", stage.account())], "Nouvel intendant du fonds collectif"
        ),
        stage.pilote,
        stage.founders,
    )
    before = stage.paid_to(pocket)
    pool.spendCollective(pocket, budget, "Frais", sender=old)
    left = fund - budget
    stage.attempt(blocked, "the steward spends the rest", old, pool.spendCollective, pocket, left, "Frais")
    stage.execute(replacement, stage.pilote)
    stage.attempt(blocked, "the replaced steward spends", old, pool.spendCollective, pocket, left, "Frais")
    new = pool.steward()
    stage.attempt(
        blocked,
        "the new steward spends within the same period",
        new,
        pool.spendCollective,
        pocket,
        left,
        "Frais",
    )
    profit = stage.paid_to(pocket) - before
    return Replay(
        "steward",
        "A steward on its way out",
        "14,000 of 14,000 tEUR (100 % of the collective fund)",
        14_000 * EUR,
        profit,
        budget,
        tuple(blocked),
        {
            "old_steward": str(old.address),
            "new_steward": str(new),
            "period_ends_at": int(pool.collectiveBudget().periodStart) + int(pool.collectiveBudget().period),
            "fund": fund,
            "budget": budget,
            "share_bps": profit * 10_000 // fund if fund else 0,
        },
        f"{profit / EUR:,.2f} of {fund / EUR:,.2f} tEUR ({profit * 100 / fund:.1f} % of the fund): "
        "the period budget",
    )


def steward_at_period_end(stage: Stage) -> Replay:
    """The steward's worst case: its replacement is voted while a budget period ends, so it spends
    what is left of that period and a whole new one before the replacement executes."""
    pool = stage.pool
    blocked: list[Blocked] = []
    _, fund = stage.contribute(150_000 * EUR)
    old = stage.steward
    pocket = stage.account()
    config = pool.collectiveBudget()
    budget, period = int(config.amount), int(config.period)
    # Routine spending opens a period; the replacement is proposed shortly before it ends.
    pool.spendCollective(pocket, 1 * EUR, "Fournitures", sender=old)
    opened = int(pool.collectiveBudget().periodStart)
    governor = stage.governor
    window = (
        int(governor.votingDelay())
        + int(governor.votingPeriod())
        + int(stage.deployment.timelock.getMinDelay())
    )
    stage.travel_to(opened + period - window // 2)
    replacement = gov.bind_unused(
        governor,
        gov.make_proposal([gov.call(pool, "setSteward", stage.account())], "Nouvel intendant"),
        stage.pilote,
    )
    stage.propose(replacement, stage.pilote)
    replacement_id = replacement.proposal_id(governor)
    left = budget - 1 * EUR
    pool.spendCollective(pocket, left, "Frais", sender=old)
    gov.wait_for_voting_start(governor, replacement_id)
    for voter in stage.founders:
        gov.vote(governor, replacement_id, gov.Support.FOR, voter)
    stage.at(opened + period)
    pool.spendCollective(pocket, budget, "Frais", sender=old)
    stage.attempt(
        blocked,
        "the steward spends beyond the new period's budget",
        old,
        pool.spendCollective,
        pocket,
        1,
        "Frais",
    )
    gov.wait_for_voting_end(governor, replacement_id)
    gov.queue(governor, replacement, stage.pilote)
    stage.execute(replacement, stage.pilote)
    profit = stage.paid_to(pocket) - 1 * EUR
    return Replay(
        "steward-boundary",
        "Outgoing steward, a budget period ending",
        "14,000 of 14,000 tEUR (100 % of the collective fund)",
        14_000 * EUR,
        profit,
        2 * budget,
        tuple(blocked),
        {
            "opened": opened,
            "reopened": int(pool.collectiveBudget().periodStart),
            "fund": fund,
            "budget": budget,
            "period": period,
            "window": window,
        },
        f"{profit / EUR:,.2f} tEUR ({profit / budget:.2f}x the period budget) while its replacement "
        "was voted",
    )


REPLAYS: dict[str, Callable[[Stage], Replay]] = {
    "sybil": sybil_capture,
    "wallet": wallet_swap,
    "expiry": stale_approvals,
    "blocking": proposal_blocking,
    "invitations": invitation_takeover,
    "quorum": quorum_of_one,
    "steward": outgoing_steward,
    "steward-boundary": steward_at_period_end,
}
"""Every replay by key, in the issue's order (the steward's worst case last)."""


def play_all(stage: Stage) -> list[Replay]:
    """Every replay, each from the same chain state (the chain is left as it was)."""
    results = []
    for play in REPLAYS.values():
        with isolated():
            results.append(play(stage))
    return results
