"""What members pay in gas: receipts' `gasUsed` (the 21,000 base cost included) per operation.

`measure` drives a fresh deployment on a development chain (anvil) through the operations a
member pays for, in a running network's steady state: the parties of a relation already hold
points and have rewards to settle, the pool and every payer already hold token balances, an
allowance covers several payments, someone has claimed before. `pay_relation` and `claim` are
measured at their dearest: `pay_relation` is the first booking of an epoch (it matures the last
epoch's points and records the accumulator for them) and its four parties' pending points
mature as it settles them; `claim` matures the claimant's pending points too. Both are measured
again as the membership grows (10, 100 and 1,000 active members by default) and after 1, 10 and
100 epochs without any booking, to show that they cost the same whatever the member count and
however long the pool slept.

Members past the handful that act are admitted by the timelock (impersonated: a development chain
only) with raw JSON-RPC transactions, which is much faster than Ape's prepared transactions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cmir.chain import forwarder as fwd
from cmir.chain import governance as gov
from cmir.chain.deploy import MEMBER_KINDS, ZERO_ADDRESS, Deployment

OPERATIONS = (
    "join",
    "pay_relation",
    "forwarded_pay_relation",
    "contribute",
    "claim",
    "propose",
    "cast_vote",
    "relayed_vote",
    "relayed_vote_first",
    "queue",
    "execute_fund_ess",
)
"""Every operation measured, in the order of the report: `join` is `acceptInvitation` without a
membership fee (voting power included), `pay_relation` is `payRelation` with an allowance in place,
`forwarded_pay_relation` the same payment as the app makes it
without ether: `payRelationWithPermit` signed as an ERC-2771 request and sent through the forwarder
by a relayer (by a member who has paid so before: its permit and request nonces are written),
`claim` a member's claim, `contribute` a contribution with a short memo, `propose` a proposal to
fund an ESS project, `cast_vote` the second `castVote` (no reason) on it, `relayed_vote` the
third, signed by the member (EIP-712, with a reason) and sent by a relayer who pays the gas
(`castVoteWithReasonAndParamsBySig`), by a member who has voted by signature before;
`relayed_vote_first` a member's first signed vote, dearer once (its nonce's first write);
`queue` and `execute_fund_ess` its queueing and its
execution through the timelock."""

MEMBER_COUNTS = (10, 100, 1000)
"""Active member counts at which `pay_relation` and `claim` are measured."""

EPOCHS_ELAPSED = (1, 10, 100)
"""Epochs gone by without a booking before `pay_relation` and `claim` are measured."""

GROWTH_SENSITIVE = ("pay_relation", "claim")
"""Operations measured at every member count."""

# Gas limit of one admission sent without estimation (one costs well under 100,000).
_ADMIT_GAS = 250_000
_ETHER = 10**18


class GasMeasurementError(Exception):
    """The chain or deployment cannot be measured as asked."""


@dataclass(frozen=True)
class GasMeasurement:
    """Gas a transaction used (`gasUsed` of its receipt) with `members` active members."""

    operation: str
    members: int
    gas_used: int
    epochs_elapsed: int = 0

    def as_dict(self) -> dict[str, str | int]:
        """The report's JSON record."""
        return {
            "operation": self.operation,
            "members": self.members,
            "epochs_elapsed": self.epochs_elapsed,
            "gas_used": self.gas_used,
        }


@dataclass(frozen=True)
class _Cast:
    """The accounts that act: two sponsors, a payer and a counterparty (each sponsored by one of
    them), an ESS structure, a newcomer who joins by invitation, and a neighbour who only
    earns from relations the ESS structure pays it (and claims)."""

    sponsor_a: Any
    sponsor_b: Any
    payer: Any
    counterparty: Any
    ess_structure: Any
    newcomer: Any
    neighbour: Any

    def voters(self) -> list[Any]:
        """Members that can vote, the proposer (the payer) first."""
        return [self.payer, self.sponsor_a, self.sponsor_b, self.counterparty, self.ess_structure]


def measure(
    deployment: Deployment,
    member_counts: Sequence[int] = MEMBER_COUNTS,
    progress: Callable[[str], None] | None = None,
    epochs_elapsed: Sequence[int] = EPOCHS_ELAPSED,
) -> list[GasMeasurement]:
    """Measure every operation of `OPERATIONS` on `deployment` (freshly deployed, on a development
    chain), `pay_relation` and `claim` at each of `member_counts` active members after each of
    `epochs_elapsed`, and the others once at the first count; returns them in the order of
    `OPERATIONS`, then by member count and epochs.

    The deployment's payment token must have an open `mint` (the test euro).
    """
    from ape import accounts, chain

    if not chain.provider.network.is_dev:
        raise GasMeasurementError("gas is measured on a development chain (it impersonates the timelock)")
    counts = sorted(set(member_counts))
    if not counts:
        raise GasMeasurementError("no member count to measure at")
    say = progress or (lambda _message: None)
    pool, membership, token = deployment.pool, deployment.membership, deployment.token

    timelock = accounts[str(deployment.timelock.address)]
    timelock.balance = 10 * _ETHER
    cast = _Cast(*(_new_account() for _ in range(7)))
    for sponsored, sponsor, kind in (
        (cast.neighbour, ZERO_ADDRESS, "Abeille"),
        (cast.sponsor_a, ZERO_ADDRESS, "Pilote"),
        (cast.sponsor_b, ZERO_ADDRESS, "Pilote"),
        (cast.payer, cast.sponsor_a, "Pilote"),
        (cast.counterparty, cast.sponsor_b, "Abeille"),
        (cast.ess_structure, ZERO_ADDRESS, "EssStructure"),
    ):
        membership.admit(sponsored, MEMBER_KINDS[kind], sponsor, sender=timelock)
    # The cast has served its probation and earned an invitation, as in a running network.
    rules = membership.rules()
    _travel(int(rules.probation) + int(rules.invitationRefillPeriod))
    if int(membership.activeMemberCount()) > counts[0]:
        raise GasMeasurementError(f"the deployment already has more than {counts[0]} members")

    # The network is running: relations were paid, someone claimed, payers hold tokens and an
    # allowance covering several payments.
    fee = int(pool.minRelationFee())
    length = int(pool.epochClock().length)
    for payer in (cast.payer, cast.sponsor_a, cast.ess_structure):
        token.mint(payer, 10_000 * fee, sender=payer)
        token.approve(pool, 10_000 * fee, sender=payer)
    pool.payRelation(cast.sponsor_b, fee, _ref("opening"), sender=cast.sponsor_a)
    _travel(length)
    pool.payRelation(cast.sponsor_b, fee, _ref("second"), sender=cast.sponsor_a)
    pool.claim(sender=cast.sponsor_a)

    results: list[GasMeasurement] = []

    def record(operation: str, receipt: Any, elapsed: int = 0) -> None:
        members = int(membership.activeMemberCount(block_id=receipt.block_number - 1))
        results.append(GasMeasurement(operation, members, int(receipt.gas_used), elapsed))
        after = f" after {elapsed:>3} epochs" if elapsed else ""
        say(f"{operation:>22} at {members:>5} members{after}: {int(receipt.gas_used):>9,} gas")

    def round_of(label: str, elapsed: int, measured: bool) -> None:
        # Every party holds matured points and earned more in this epoch (pending), as does the
        # neighbour; then `elapsed` epochs go by without a booking.
        pool.payRelation(cast.counterparty, fee, _ref(f"warm-up-{label}"), sender=cast.payer)
        pool.payRelation(cast.neighbour, fee, _ref(f"neighbour-{label}"), sender=cast.ess_structure)
        _travel(elapsed * length)
        paid = pool.payRelation(cast.counterparty, fee, _ref(f"meeting-{label}"), sender=cast.payer)
        claimed = pool.claim(sender=cast.neighbour)
        if measured:
            record("pay_relation", paid, elapsed)
            record("claim", claimed, elapsed)
        _travel(length)

    # One round unmeasured: every party's first maturing and the neighbour's first claim write
    # words that are empty until then, which a running network has long written.
    round_of("first", 1, measured=False)
    for index, count in enumerate(counts):
        say(f"admitting members up to {count}")
        admit_until(membership, timelock, count)
        for elapsed in epochs_elapsed:
            round_of(f"{count}-{elapsed}", elapsed, measured=True)
        if index == 0:
            _measure_forwarded_payment(deployment, cast, fee, length, record)
            record("contribute", pool.contribute(fee, "Showcase evening: thank you all", sender=cast.payer))
            _measure_governance(deployment, cast, record)
            _measure_join(membership, cast, record)
    return ordered(results)


def admit_until(membership: Any, governance_account: Any, count: int) -> None:
    """Admit new members (by `governance_account`, the timelock) until `count` are active.

    Raw JSON-RPC transactions, not awaited one by one through Ape: a thousand admissions take
    seconds. Addresses are derived from the member count, so they never repeat on one chain.
    """
    from ape import chain

    active = int(membership.activeMemberCount())
    provider = chain.provider
    sender = str(governance_account.address)
    target = str(membership.address)
    last: Any = None
    for number in range(active, count):
        member = to_checksum_address(keccak(text=f"cmir gas member {number}")[-20:])
        data = membership.admit.encode_input(member, MEMBER_KINDS["Abeille"], ZERO_ADDRESS)
        last = provider.make_request(
            "eth_sendTransaction",
            [{"from": sender, "to": target, "data": data.to_0x_hex(), "gas": hex(_ADMIT_GAS)}],
        )
    if last is not None:
        # anvil mines behind the RPC answer; the sender's nonces are sequential, so once the last
        # admission is mined, every one is.
        chain.provider.web3.eth.wait_for_transaction_receipt(last, timeout=120, poll_latency=0.05)
    admitted = int(membership.activeMemberCount())
    if admitted != max(active, count):
        raise GasMeasurementError(f"admitted members up to {admitted}, not {count}")


def _measure_governance(deployment: Deployment, cast: _Cast, record: Callable[[str, Any], None]) -> None:
    """A proposal to fund an ESS project: proposed, voted (the second vote measured, and a third
    signed and relayed), queued and executed."""
    from ape import accounts, chain

    governor, pool, registry = deployment.governor, deployment.pool, deployment.registry
    metadata = b'{"name": "Community garden", "territory": "69123", "themes": ["food"]}'
    receipt = registry.registerProject(
        cast.ess_structure, "ipfs://community-garden.json", keccak(metadata), sender=cast.ess_structure
    )
    project_id = int(receipt.events[0].projectId)
    # A member's project is paid only once governance has activated it (the timelock, impersonated).
    registry.activateProject(project_id, 1, sender=accounts[str(deployment.timelock.address)])
    proposal = gov.fund_ess_project(pool, registry, project_id, int(pool.essAvailable()) // 2).by(cast.payer)
    # The proposer must have been a member a second before proposing.
    chain.mine(timestamp=chain.blocks.head.timestamp + 1)
    record("propose", gov.propose(governor, proposal, cast.payer))
    proposal_id = proposal.proposal_id(governor)
    # A second proposal, on which a member casts its first signed vote (its first nonce)
    other = gov.set_shares(pool, 4600, 3400, 2000).by(cast.payer)
    gov.propose(governor, other, cast.payer)
    gov.wait_for_voting_start(governor, other.proposal_id(governor))
    gov.wait_for_voting_start(governor, proposal_id)
    quorum = int(governor.quorum(governor.proposalSnapshot(proposal_id)))
    voters = cast.voters()
    needed = max(quorum, 2)
    if needed > len(voters):
        raise GasMeasurementError(f"a quorum needs {quorum} votes; only {len(voters)} members can vote here")
    gov.vote(governor, proposal_id, gov.Support.FOR, voters[0])
    record("cast_vote", gov.vote(governor, proposal_id, gov.Support.FOR, voters[1]))
    relayer = _new_account()
    gov.vote(governor, other.proposal_id(governor), gov.Support.FOR, voters[0])  # not its first vote
    first, signature = gov.signed_ballot(
        governor, other.proposal_id(governor), gov.Support.FOR, voters[2], "Pour"
    )
    record("relayed_vote_first", gov.vote_by_signature(governor, first, signature, relayer))
    ballot, signature = gov.signed_ballot(governor, proposal_id, gov.Support.FOR, voters[2], "Pour le jardin")
    record("relayed_vote", gov.vote_by_signature(governor, ballot, signature, relayer))
    for voter in voters[3:needed]:
        gov.vote(governor, proposal_id, gov.Support.FOR, voter)
    gov.wait_for_voting_end(governor, proposal_id)
    record("queue", gov.queue(governor, proposal, cast.payer))
    gov.wait_for_timelock(governor, proposal_id)
    record("execute_fund_ess", gov.execute(governor, proposal, cast.payer))


def _measure_forwarded_payment(
    deployment: Deployment, cast: _Cast, fee: int, length: int, record: Callable[[str, Any], None]
) -> None:
    """The payer pays a relation as the members' app does without ether: a permit and a forward
    request signed, sent by a relayer, at the dearest (the first booking of an epoch, the parties'
    pending points maturing). Once unmeasured first (the payer's first permit and first request
    write their nonces), then measured."""
    from ape import chain

    pool, token, forwarder = deployment.pool, deployment.token, deployment.forwarder
    relayer = _new_account()
    for label in ("forwarded-first", "forwarded"):
        pool.payRelation(cast.counterparty, fee, _ref(f"warm-up-{label}"), sender=cast.payer)
        pool.payRelation(cast.neighbour, fee, _ref(f"neighbour-{label}"), sender=cast.ess_structure)
        _travel(length)
        deadline = int(chain.blocks.head.timestamp) + length + 3600
        v, r, s = fwd.signed_permit(token, cast.payer, pool, fee, deadline)
        call = pool.payRelationWithPermit.encode_input(cast.counterparty, fee, _ref(label), deadline, v, r, s)
        request, signature = fwd.signed_request(forwarder, cast.payer, pool, call, 300_000, deadline)
        receipt = fwd.relay(forwarder, request, signature, relayer)
        if label == "forwarded":
            record("forwarded_pay_relation", receipt)
        # The permit replaced the payer's standing allowance: give it back for the payments after.
        token.approve(pool, 10_000 * fee, sender=cast.payer)
        _travel(length)


def _measure_join(membership: Any, cast: _Cast, record: Callable[[str, Any], None]) -> None:
    """A member invites the newcomer, who accepts (no membership fee) a second later."""
    from ape import chain

    if int(membership.membershipFee()) != 0:
        raise GasMeasurementError("join is measured without a membership fee")
    membership.invite(cast.newcomer, MEMBER_KINDS["Abeille"], sender=cast.sponsor_a)
    # Joins happen at different seconds: the member total gets a new checkpoint.
    chain.pending_timestamp = chain.blocks.head.timestamp + 1
    record("join", membership.acceptInvitation(cast.sponsor_a, MEMBER_KINDS["Abeille"], sender=cast.newcomer))


def _travel(seconds: int) -> None:
    """Move the development chain's clock `seconds` ahead (the next block is mined then)."""
    from ape import chain

    chain.pending_timestamp = chain.blocks.head.timestamp + seconds


def _new_account() -> Any:
    """A new test account with ether for gas."""
    from ape import accounts

    account = accounts.test_accounts.generate_test_account()
    account.balance = _ETHER
    return account


def _ref(name: str) -> bytes:
    """A relation reference (a meeting id)."""
    return keccak(text=name)


def ordered(measurements: Sequence[GasMeasurement]) -> list[GasMeasurement]:
    """The measurements in the order of `OPERATIONS`, then by member count and epochs elapsed."""
    order = {name: index for index, name in enumerate(OPERATIONS)}
    return sorted(
        measurements, key=lambda m: (order.get(m.operation, len(order)), m.members, m.epochs_elapsed)
    )


def summary(measurements: Sequence[GasMeasurement]) -> str:
    """The measurements as a text table."""
    lines = [f"{'operation':<22} {'members':>8} {'epochs':>7} {'gas used':>10}", "-" * 50]
    for item in ordered(measurements):
        epochs = f"{item.epochs_elapsed:,}" if item.epochs_elapsed else "-"
        lines.append(f"{item.operation:<22} {item.members:>8,} {epochs:>7} {item.gas_used:>10,}")
    return "\n".join(lines)
