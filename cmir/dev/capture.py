"""Days to capture: one member grows a tree of sybils as fast as the membership rules allow.

The attacker starts with a full invitation allowance (the worst case: a founder). It invites a
sybil the moment an invitation accrues; every sybil does the same once its probation is over and
its first invitation has accrued a refill period later; every invitation is accepted at once (an
Abeille needs no attestation, and no membership fee is asked). A vote counts from the end of the
voter's probation, so the attacker's side outnumbers H honest members, all voting Against, once
H + 1 of its members vote at a proposal's snapshot: `Race.days(H)` after the first invitation.

`model` computes the join times from the rules alone (the contract's allowance arithmetic in
Python). `race` plays the tree on chain, every step at the second the chain allows it, driven by
the contract's own `invitationsAvailable`, with raw JSON-RPC transactions from impersonated
accounts (hundreds of sybils in seconds); both give the same days. `vote_capture` then plays the
capture itself: a sybil proposes to register a project paid to the attacker's wallet and fund it
with the whole ESS bucket (a project governance registers is active at once, so the captured vote
needs no other), the side votes For at the first snapshot where it outnumbers the honest members,
who all vote Against, and the proposal is queued; `guardian_veto` has the guardian cancel it.
`take_over` measures what the veto buys while the side keeps its majority: the side replaces the
guardian (a proposal the guardian cannot cancel) and passes the capture again. `play` runs all of
it on one network's settings for `ape run attack_report`.

Development chains only (anvil): it impersonates accounts and sets block timestamps.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cmir.chain import governance as gov
from cmir.chain.deploy import MEMBER_KINDS, ZERO_ADDRESS, Deployment

DAY = 86_400
ABEILLE = MEMBER_KINDS["Abeille"]
# Gas of one raw transaction (not estimated: the state it runs on is not mined yet).
_GAS = 600_000
_ETHER = 10**18


class CaptureError(Exception):
    """The chain cannot play the race as asked, or one of its transactions reverted."""


@dataclass(frozen=True)
class Rules:
    """The membership rules that pace the tree (seconds, and invitations)."""

    probation: int
    refill: int
    cap: int

    @classmethod
    def of(cls, membership: Any) -> Rules:
        """The rules in force on `membership`."""
        rules = membership.rules()
        return cls(int(rules.probation), int(rules.invitationRefillPeriod), int(rules.invitationCap))


def credits(rules: Rules, anchor: int, now: int) -> tuple[int, int]:
    """Invitations available at `now` from `anchor`, and when the next accrues (0 at the cap):
    `Membership._credits`."""
    if now < anchor:
        return 0, anchor + rules.refill
    available = (now - anchor) // rules.refill
    if available >= rules.cap:
        return rules.cap, 0
    return available, anchor + (available + 1) * rules.refill


def spend(rules: Rules, anchor: int, now: int) -> int:
    """The anchor after one invitation is sent at `now`: `Membership.invite`."""
    available, _ = credits(rules, anchor, now)
    if available >= rules.cap:
        return now - (rules.cap - 1) * rules.refill
    return anchor + rules.refill


def model(rules: Rules, sybils: int) -> list[int]:
    """When each sybil joins, in seconds from the first invitation, when the attacker (a founder:
    a full allowance from the start) and every sybil invite the moment an invitation accrues."""
    anchors = [-rules.cap * rules.refill]
    joins: list[int] = []
    now = 0
    while len(joins) < sybils:
        for index in range(len(anchors)):
            anchor = anchors[index]
            while credits(rules, anchor, now)[0] > 0 and len(joins) < sybils:
                anchor = spend(rules, anchor, now)
                joins.append(now)
                # A newcomer's allowance starts accruing when its probation ends.
                anchors.append(now + rules.probation)
            anchors[index] = anchor
        if len(joins) < sybils:
            now = min(credits(rules, anchor, now)[1] for anchor in anchors)
    return joins


def model_days(rules: Rules, honest: int) -> float:
    """Days from the first invitation until the attacker's side has `honest` + 1 votes."""
    votes = sorted([0, *(join + rules.probation for join in model(rules, honest))])
    return votes[honest] / DAY


@dataclass(frozen=True)
class Race:
    """A tree played on chain: when it started, the attacker, its sybils in the order they joined,
    when each joined, and when each member of the side (attacker first) votes from."""

    start: int
    attacker: str
    sybils: tuple[str, ...]
    joined_at: tuple[int, ...]
    votes_from: tuple[int, ...]

    @property
    def side(self) -> tuple[str, ...]:
        """The attacker and its sybils."""
        return (self.attacker, *self.sybils)

    def capture_at(self, honest: int) -> int:
        """The first second at which `honest` + 1 members of the side vote."""
        ordered = sorted(self.votes_from)
        if len(ordered) <= honest:
            raise CaptureError(f"the race stopped at {len(self.sybils)} sybils: too few to outvote {honest}")
        return ordered[honest]

    def days(self, honest: int) -> float:
        """Days from the first invitation until the side outnumbers `honest` members."""
        return (self.capture_at(honest) - self.start) / DAY

    def offsets(self) -> list[int]:
        """When each sybil joined, in seconds from the first invitation (`model`'s figures)."""
        return [joined - self.start for joined in self.joined_at]


class Lane:
    """Raw transactions from impersonated accounts, mined in blocks the lane mines itself at the
    second it sets: anvil's auto-impersonation on, automine off and a block timestamp interval of
    0 while it is open (each restored when it closes)."""

    def __init__(self) -> None:
        from ape import chain

        if not chain.provider.network.is_dev:
            raise CaptureError("the race is played on a development chain (it impersonates accounts)")
        self._provider = chain.provider
        self._sent: list[str] = []

    def __enter__(self) -> Lane:
        self._request("anvil_autoImpersonateAccount", [True])
        self._request("anvil_setBlockTimestampInterval", [0])
        self._request("evm_setAutomine", [False])
        return self

    def __exit__(self, *exc: object) -> None:
        self._request("evm_setAutomine", [True])
        self._request("anvil_removeBlockTimestampInterval", [])
        self._request("anvil_autoImpersonateAccount", [False])

    def _request(self, method: str, params: list[Any]) -> Any:
        return self._provider.make_request(method, params)

    def now(self) -> int:
        """The latest block's timestamp: when the lane's next block is mined."""
        return int(self._request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def travel_to(self, timestamp: int) -> None:
        """Mine an empty block at `timestamp` (later blocks keep it until the next travel)."""
        if timestamp > self.now():
            self._request("evm_mine", [timestamp])

    def fund(self, address: str) -> None:
        """Ether for gas."""
        self._request("anvil_setBalance", [address, hex(_ETHER)])

    def send(self, sender: str, method: Any, *args: Any) -> None:
        """`sender` sends `method(*args)` (mined by the next `mine`)."""
        data = method.encode_input(*args).to_0x_hex()
        request = {"from": sender, "to": str(method.contract.address), "data": data, "gas": hex(_GAS)}
        self._sent.append(self._request("eth_sendTransaction", [request]))

    def mine(self) -> None:
        """Mine until every transaction sent is in a block (at the lane's second); each must succeed."""
        while True:
            status = self._request("txpool_status", [])
            if int(status["pending"], 16) == 0 and int(status["queued"], 16) == 0:
                break
            self._request("evm_mine", [])
        sent, self._sent = self._sent, []
        for tx_hash in sent:
            receipt = self._request("eth_getTransactionReceipt", [tx_hash])
            if receipt is None or int(receipt["status"], 16) != 1:
                trace = self._request("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
                raise CaptureError(
                    f"transaction {tx_hash} failed: {trace.get('error')} {trace.get('output')}"
                )


@contextmanager
def lane() -> Iterator[Lane]:
    """A `Lane`, open for the block."""
    with Lane() as opened:
        yield opened


def address(label: str, number: int) -> str:
    """A fresh address derived from `label` and `number` (never one of Ape's accounts)."""
    return to_checksum_address(keccak(text=f"cmir capture {label} {number}")[-20:])


def admit_honest(deployment: Deployment, count: int, label: str = "honest") -> list[str]:
    """Governance (the timelock, impersonated) admits `count` honest members at once."""
    membership = deployment.membership
    timelock = str(deployment.timelock.address)
    members = [address(label, number) for number in range(count)]
    with lane() as fast:
        fast.fund(timelock)
        for member in members:
            fast.fund(member)
            fast.send(timelock, membership.admit, member, ABEILLE, ZERO_ADDRESS)
        fast.mine()
    return members


def race(deployment: Deployment, attacker: Any, sybils: int, label: str = "sybil") -> Race:
    """Play the tree on chain from now until `sybils` sybils have joined: at each second an
    invitation accrues to a member of the side (as `invitationsAvailable` says), that member
    invites a new sybil, which accepts at once (same second). Returns the race."""
    membership = deployment.membership
    attacker_address = str(getattr(attacker, "address", attacker))
    joined: list[tuple[str, int]] = []
    with lane() as fast:
        start = fast.now()
        due = {attacker_address: start}
        now = start
        while len(joined) < sybils:
            invites: list[tuple[str, str]] = []
            for member, at in list(due.items()):
                if at > now:
                    continue
                available, next_at = view(membership.invitationsAvailable, member)
                if int(available) == 0:
                    due[member] = int(next_at)
                    continue
                for _ in range(min(int(available), sybils - len(joined) - len(invites))):
                    invites.append((member, address(label, len(joined) + len(invites))))
            for sponsor, sybil in invites:
                fast.fund(sybil)
                fast.send(sponsor, membership.invite, sybil, ABEILLE)
            fast.mine()
            for sponsor, sybil in invites:
                fast.send(sybil, membership.acceptInvitation, sponsor, ABEILLE)
            fast.mine()
            joined.extend((sybil, now) for _, sybil in invites)
            for member in {*(s for s, _ in invites), *(s for _, s in invites)}:
                available, next_at = view(membership.invitationsAvailable, member)
                due[member] = now if int(available) > 0 else int(next_at)
            if len(joined) < sybils:
                now = min(due.values())
                if now <= fast.now():
                    raise CaptureError("no invitation accrues any more: the race cannot go on")
                fast.travel_to(now)
    # Member(sponsor, joinedAt, kind, invitationsSent, excludedAt, votesFrom)
    record = [view(membership.memberOf, sybil)[0] for sybil, _ in joined]
    if any(int(r[1]) != at for r, (_, at) in zip(record, joined, strict=True)):
        raise CaptureError("a sybil joined at another second than its invitation")
    votes_from = (int(membership.memberOf(attacker_address).votesFrom), *(int(r[5]) for r in record))
    return Race(
        start,
        attacker_address,
        tuple(s for s, _ in joined),
        tuple(at for _, at in joined),
        votes_from,
    )


def votes_at(deployment: Deployment, members: Sequence[str], timepoint: int) -> int:
    """How many of `members` vote at `timepoint` (`getPastVotes`; the chain must be past it)."""
    membership = deployment.membership
    return sum(int(view(membership.getPastVotes, member, timepoint)[0]) for member in members)


def view(method: Any, *args: Any) -> tuple[Any, ...]:
    """`method(*args)` (a view) through a raw `eth_call` at the latest block, decoded: many times
    faster than Ape's call, which the race makes a thousand times."""
    from ape import chain
    from eth_abi.abi import decode

    request = {"to": str(method.contract.address), "data": method.encode_input(*args).to_0x_hex()}
    result = chain.provider.make_request("eth_call", [request, "latest"])
    types = [output.canonical_type for output in method.abis[0].outputs]
    return tuple(decode(types, bytes.fromhex(str(result)[2:])))


def capture_proposal(deployment: Deployment, wallet: str, bucket: int) -> gov.Proposal:
    """What a captured majority votes: governance registers a project paid to `wallet` (active at
    once: governance registering a project is its activation) and funds it with `bucket` (the
    whole ESS bucket). Bind it to the proposer before proposing."""
    registry, pool = deployment.registry, deployment.pool
    metadata = b'{"name": "Tiers-lieu des Communs", "territory": "69123", "themes": ["culture"]}'
    project_id = int(registry.projectCount()) + 1
    if bucket == 0:
        raise CaptureError("the ESS bucket is empty: nothing to capture")
    return gov.make_proposal(
        [
            gov.call(
                registry, "registerProject", wallet, "ipfs://tiers-lieu-des-communs.json", keccak(metadata)
            ),
            gov.call(pool, "fundEssProject", project_id, wallet, 1, bucket),
        ],
        f"Soutien au Tiers-lieu des Communs : {bucket // 10**6:,} tEUR du fonds ESS".replace(",", " "),
    )


@dataclass(frozen=True)
class CaptureVote:
    """The capture proposal once voted and queued: the proposal (bound to its proposer), its id,
    snapshot, votes (against, for, abstain), the quorum, the ESS bucket it claims, and the
    timelock operation it was queued as."""

    proposal: gov.Proposal
    proposal_id: int
    snapshot: int
    votes: tuple[int, int, int]
    quorum: int
    claimed: int
    operation: bytes
    queue_receipt: Any


def vote_capture(deployment: Deployment, race_: Race, honest: Sequence[str], wallet: str) -> CaptureVote:
    """The capture at H = len(`honest`): the race's first sybil proposes `capture_proposal` so that
    its snapshot is the first second the side outnumbers the honest members; every member of the
    side that votes then votes For, every honest member Against; once voting has closed it is
    queued. The side must vote at the proposal's snapshot, the honest members too."""
    from ape import chain

    governor = deployment.governor
    snapshot = race_.capture_at(len(honest))
    proposed_at = snapshot - int(governor.votingDelay())
    if chain.blocks.head.timestamp >= proposed_at:
        raise CaptureError("the chain is past the second the capture must be proposed at")
    claimed = int(deployment.pool.essAvailable())
    proposal = capture_proposal(deployment, wallet, claimed).by(race_.sybils[0])
    chain.pending_timestamp = proposed_at
    return _pass(deployment, race_, honest, proposal, claimed)


def _pass(
    deployment: Deployment, race_: Race, honest: Sequence[str], proposal: gov.Proposal, claimed: int
) -> CaptureVote:
    """The race's first sybil proposes `proposal` (bound to it), the side votes For and the honest
    members Against, and it is queued once voting has closed."""
    from ape import accounts

    governor = deployment.governor
    proposer = accounts[race_.sybils[0]]
    proposal_id = proposal.proposal_id(governor)
    gov.propose(governor, proposal, proposer)
    snapshot = int(governor.proposalSnapshot(proposal_id))
    gov.wait_for_voting_start(governor, proposal_id)
    voters = [m for m in race_.side if int(view(deployment.membership.getPastVotes, m, snapshot)[0]) > 0]
    with lane() as fast:
        for member in voters:
            fast.send(member, governor.castVote, proposal_id, int(gov.Support.FOR))
        for member in honest:
            fast.send(member, governor.castVote, proposal_id, int(gov.Support.AGAINST))
        fast.mine()
    gov.wait_for_voting_end(governor, proposal_id)
    against, for_, abstain = governor.proposalVotes(proposal_id)
    receipt = gov.queue(governor, proposal, proposer)
    scheduled = [event for event in receipt.events if event.event_name == "CallScheduled"]
    return CaptureVote(
        proposal,
        proposal_id,
        snapshot,
        (int(against), int(for_), int(abstain)),
        int(governor.quorum(snapshot)),
        claimed,
        bytes(scheduled[0].id),
        receipt,
    )


def guardian_veto(deployment: Deployment, vote: CaptureVote, guardian: Any, reason: str) -> Any:
    """The guardian cancels the queued capture, giving `reason`; returns the receipt."""
    return gov.guardian_cancel(deployment.governor, vote.proposal, reason, guardian)


@dataclass(frozen=True)
class Takeover:
    """What follows a vetoed capture when the side keeps its majority: the guardian's attempt to
    cancel its own replacement (the error it is refused with), when the replacement executed, when
    a second capture executed and what it paid the attacker."""

    refused: tuple[str, dict[str, Any]]
    replaced_at: int
    paid_at: int
    paid: int


def take_over(
    deployment: Deployment, race_: Race, honest: Sequence[str], guardian: Any, wallet: str
) -> Takeover:
    """After a veto: the side proposes to make the attacker's wallet the guardian (a proposal the
    guardian cannot cancel, by design), passes and executes it, then passes the capture again,
    which nobody can cancel any more. Measures what the guardian's veto bought."""
    from ape import accounts

    from cmir.dev.attack_stage import refusal

    governor = deployment.governor
    proposer = accounts[race_.sybils[0]]
    replacement = gov.bind_unused(
        governor,
        gov.make_proposal(
            [gov.call(governor, "setGuardian", wallet)], "Renouveler le conseil de surveillance"
        ),
        race_.sybils[0],
    )
    _wait_a_second()
    vote = _pass(deployment, race_, honest, replacement, 0)
    refused = refusal(
        deployment, guardian, governor.guardianCancel, *_acting(replacement), "Remplacement par une capture"
    )
    if refused is None:
        raise CaptureError("the guardian could cancel its own replacement")
    gov.wait_for_timelock(governor, vote.proposal_id)
    replaced = gov.execute(governor, replacement, proposer)
    bucket = int(deployment.pool.essAvailable())
    again = gov.bind_unused(governor, capture_proposal(deployment, wallet, bucket), race_.sybils[0])
    _wait_a_second()
    second = _pass(deployment, race_, honest, again, bucket)
    gov.wait_for_timelock(governor, second.proposal_id)
    paid = gov.execute(governor, again, proposer)
    return Takeover(
        refused, int(replaced.timestamp), int(paid.timestamp), int(deployment.token.balanceOf(wallet))
    )


def _acting(proposal: gov.Proposal) -> tuple[list[str], list[int], list[bytes], bytes]:
    return proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash


def _wait_a_second() -> None:
    """A block a second later: the proposer's vote is read at the second before its proposal."""
    from ape import chain

    chain.mine(timestamp=chain.blocks.head.timestamp + 1)


@dataclass(frozen=True)
class CaptureRun:
    """The race on one network's settings (`name`), the days to outvote each H, the race to the
    first H with its capture vote, the guardian's reason, what the attacker was paid after the
    veto, and the side's takeover afterwards."""

    name: str
    rules: Rules
    days: dict[int, float]
    race: Race
    vote: CaptureVote
    reason: str
    paid_after_veto: int
    takeover: Takeover


def play(
    settings: Any, name: str, honest_counts: Sequence[int], accounts: Any, guardian: Any, reason: str
) -> CaptureRun:
    """Deploy `settings` (named `name`) on `accounts` with `guardian`; the founders but the attacker
    and members admitted by governance make the first of `honest_counts`, honest; 30,000 tEUR are
    contributed. The race to the largest H is played in a snapshot (for the days), then the race to
    the first H, its capture vote, the guardian's veto with `reason` (formatted with the capture's
    `votes` and `days`) and the side's takeover."""
    from ape import chain

    from cmir.chain.deploy import deploy_on_test_accounts
    from cmir.dev.attack_stage import EUR, Stage

    counts = sorted(set(honest_counts))
    first = counts[0]
    deployment = deploy_on_test_accounts(settings, accounts, guardian=guardian)
    stage = Stage.on(deployment, accounts, guardian)
    honest = [str(stage.abeille.address), str(stage.ess_structure.address)]
    honest += admit_honest(deployment, first - len(honest), label=f"honest {name}")
    stage.contribute(30_000 * EUR)
    snapshot = chain.snapshot()
    try:
        longest = race(deployment, stage.pilote, counts[-1], label=f"sybil {name}")
        days = {count: longest.days(count) for count in counts}
    finally:
        chain.restore(snapshot)
    # The capture at the first H, on a race stopped there: the chain must not be past its snapshot.
    first_race = race(deployment, stage.pilote, first, label=f"sybil {name}")
    wallet = str(stage.account().address)
    vote = vote_capture(deployment, first_race, honest, wallet)
    said = reason.format(votes=vote.votes[1], days=first_race.days(first))
    guardian_veto(deployment, vote, guardian, said)
    paid = int(deployment.token.balanceOf(wallet))
    takeover = take_over(deployment, first_race, honest, guardian, wallet)
    return CaptureRun(name, Rules.of(deployment.membership), days, first_race, vote, said, paid, takeover)
