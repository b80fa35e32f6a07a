"""Play the pool's insider attacks on a live deployment and measure the attacker's profit.

The people most able to take money from the pool are its members. `play` makes a colluding ring
(two sponsors, each sponsoring one of a colluding pair) buy points by paying each other a relation
around an inflow they know of, and measures what the ring gains against the same history without
the attack: the profit is the ring's wealth (token balances plus what it can claim) once the
inflow has been booked and every point has matured, with the attack minus without. Both runs start
from one chain snapshot, so they see the same honest history and the same inflow.

Inflow kinds: a large relation between two honest members, a contribution, a membership fee, a
plain transfer booked by `accountSurplus` (whenever the ring chooses), and the launch (inflows
while no point has matured). Strategies: the ring's relation in the same block as the inflow
(front-running it), earlier in the same epoch, or in the epoch before (the inflow was announced).

Used by `tests/contracts/test_attacks.py` (a Hypothesis search over honest histories, inflows,
sizes and strategies) and by `ape run attack_report` (the README's table). Development chains only:
it impersonates the timelock, mints the test euro and sets block timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils.crypto import keccak

from cmir.chain.deploy import MEMBER_KINDS, ZERO_ADDRESS, Deployment

INFLOW_KINDS = ("relation", "contribution", "fee", "transfer", "launch")
"""What arrives: a relation between honest members, a contribution, a membership fee, tokens sent
by plain transfer, or inflows at launch (no matured point yet)."""

STRATEGIES = ("same_block", "same_epoch", "epoch_ahead")
"""When the ring buys its points: in the inflow's block (ahead of it), earlier in its epoch, or
in the epoch before (the inflow was announced)."""

_GAS = 1_000_000
_ETHER = 10**18
# What each paying account holds from the start: far above any inflow or budget played here.
_FLOAT = 10**30


class AttackError(Exception):
    """The chain or the deployment cannot play the attack as asked."""


@dataclass(frozen=True)
class Relation:
    """An honest relation: payer and counterparty by index among the honest members, its amount
    in token units, and how many epochs pass before it (0: the same epoch as the previous)."""

    payer: int
    counterparty: int
    amount: int
    epochs_before: int = 0


@dataclass(frozen=True)
class Attack:
    """One attack: the inflow's kind and size (in multiples of the matured points base, or of the
    minimum relation fee at launch), the strategy, and the ring's budget (the relation it pays,
    in multiples of the same base). `epochs` above 1 makes the inflow an announced stream: the
    same inflow again at the start of each of that many epochs (the `epoch_ahead` strategy)."""

    inflow: str
    size: float
    strategy: str
    budget: float
    epochs: int = 1


@dataclass(frozen=True)
class Outcome:
    """What an attack gave: the ring's profit (token units; negative is a loss), the inflow's
    amount, the matured points base, the ring's budget, and what the inflow gave members and ESS."""

    attack: Attack
    profit: int
    inflow_amount: int
    base: int
    budget: int
    to_members: int
    to_ess: int


@dataclass
class Network:
    """A deployment with honest members, a ring of four colluding members and an outsider."""

    deployment: Deployment
    honest: list[Any]
    ring: list[Any]
    outsider: Any
    timelock: Any
    epoch_length: int
    clock: list[int] = field(default_factory=list)

    @property
    def pool(self) -> Any:
        """The redistribution pool."""
        return self.deployment.pool

    @property
    def token(self) -> Any:
        """The payment token (the test euro: open mint)."""
        return self.deployment.token

    def now(self) -> int:
        """The timestamp of the next block this network mines."""
        return self.clock[0]

    def at(self, timestamp: int) -> None:
        """Mine the next transaction at `timestamp` (at least a second after the last one)."""
        from ape import chain

        self.clock[0] = max(timestamp, chain.blocks.head.timestamp + 1)
        chain.pending_timestamp = self.clock[0]

    def tick(self) -> None:
        """The next transaction one second later."""
        self.at(self.clock[0] + 1)

    def epoch_start(self, offset: int = 1) -> int:
        """When the epoch `offset` epochs after the current one starts."""
        clock = self.pool.epochClock()
        origin, length, origin_epoch = int(clock.origin), int(clock.length), int(clock.originEpoch)
        now = self.clock[0]
        epoch = origin_epoch - 1 if now < origin else origin_epoch + (now - origin) // length
        return int(self.pool.epochEndsAt(epoch + offset - 1))


def build(deployment: Deployment, honest_count: int = 6, fresh: Any = None) -> Network:
    """Admit `honest_count` honest members (half sponsored by the first ones), the ring (two
    sponsors and the pair they sponsor) and fund everyone; `fresh` makes new accounts (default:
    Ape's generated test accounts)."""
    from ape import accounts, chain

    if not chain.provider.network.is_dev:
        raise AttackError("attacks are played on a development chain (they impersonate the timelock)")
    make = fresh or _new_account
    timelock = accounts[str(deployment.timelock.address)]
    timelock.balance = 10 * _ETHER
    honest = [make() for _ in range(honest_count)]
    ring = [make() for _ in range(4)]
    network = Network(deployment, honest, ring, make(), timelock, int(deployment.pool.epochClock().length))
    network.clock.append(chain.blocks.head.timestamp + 1)
    membership = deployment.membership
    half = max(1, honest_count // 2)
    for index, account in enumerate(honest):
        sponsor = honest[index - half] if index >= half else ZERO_ADDRESS
        network.tick()
        _transact(timelock, membership.admit, account, MEMBER_KINDS["Pilote"], sponsor)
    sponsor_a, sponsor_b, payer, counterparty = ring
    for account, sponsor in (
        (sponsor_a, ZERO_ADDRESS),
        (sponsor_b, ZERO_ADDRESS),
        (payer, sponsor_a),
        (counterparty, sponsor_b),
    ):
        network.tick()
        _transact(timelock, membership.admit, account, MEMBER_KINDS["Abeille"], sponsor)
    # Everyone who pays holds plenty and has approved the pool once: a payment is one transaction.
    # The ring's balance counts in its wealth the same with or without the attack.
    for account in [*honest, payer, network.outsider]:
        network.tick()
        _transact(account, deployment.token.mint, account, _FLOAT)
        network.tick()
        _transact(account, deployment.token.approve, deployment.pool, 2**256 - 1)
    # Members admitted by governance serve their probation; the first honest member has then
    # earned the invitation a membership-fee inflow needs.
    rules = membership.rules()
    network.at(network.now() + int(rules.probation) + int(rules.invitationRefillPeriod))
    return network


def play_history(network: Network, history: Sequence[Relation], ring_relation: int = 0) -> int:
    """Pay the honest relations of `history` (and one of `ring_relation` between the ring's pair
    if positive, so the ring holds points of its own), then let an epoch end so they all mature;
    returns the matured points base."""
    pool = network.pool
    for relation in history:
        if relation.epochs_before:
            network.at(network.epoch_start(relation.epochs_before))
        payer = network.honest[relation.payer % len(network.honest)]
        counterparty = network.honest[relation.counterparty % len(network.honest)]
        if payer == counterparty:
            counterparty = network.honest[(relation.counterparty + 1) % len(network.honest)]
        _pay(network, payer, counterparty, relation.amount, "history")
    if ring_relation > 0:
        _pay(network, network.ring[2], network.ring[3], ring_relation, "ring history")
    network.at(network.epoch_start())
    # A booking in the new epoch matures the history's points (a small contribution by the outsider).
    _contribute(network, network.outsider, int(pool.minRelationFee()), "ouverture")
    return int(pool.totals().maturedPoints)


def play(network: Network, attack: Attack, base: int) -> Outcome:
    """Play `attack` from the chain's current state twice (with and without the ring's relation)
    and return the ring's profit. The chain is left as it was."""
    from ape import chain

    if attack.inflow not in INFLOW_KINDS or attack.strategy not in STRATEGIES:
        raise AttackError(f"unknown inflow {attack.inflow!r} or strategy {attack.strategy!r}")
    if attack.epochs > 1 and (
        attack.strategy != "epoch_ahead" or attack.inflow not in ("contribution", "relation")
    ):
        raise AttackError("a stream is a contribution or relation announced ahead (strategy epoch_ahead)")
    unit = base if attack.inflow != "launch" else int(network.pool.minRelationFee())
    if unit <= 0:
        raise AttackError("the base is zero: play the history first (or attack the launch)")
    fee = int(network.pool.minRelationFee())
    amount = max(fee if attack.inflow == "relation" else 1, int(attack.size * unit))
    if attack.inflow == "fee":
        # A membership fee is bounded on chain (the pool's ceiling on the minimum relation fee).
        amount = min(amount, int(network.pool.minRelationFeeCeiling()))
    budget = max(fee, int(attack.budget * unit))
    start = network.now()
    results = []
    for attacking in (False, True):
        snapshot = chain.snapshot()
        try:
            network.at(start)
            results.append(_run(network, attack, amount, budget, attacking))
        finally:
            chain.restore(snapshot)
            network.clock[0] = start
    (without, _, _), (with_attack, to_members, to_ess) = results
    return Outcome(attack, with_attack - without, amount, base, budget, to_members, to_ess)


def _run(network: Network, attack: Attack, amount: int, budget: int, attacking: bool) -> tuple[int, int, int]:
    """One run: the ring's wealth at the end, and what the inflow gave members and ESS."""
    pool, token = network.pool, network.token
    payer, counterparty = network.ring[2], network.ring[3]
    if attack.inflow == "transfer":
        network.tick()
        _transact(network.outsider, token.transfer, pool, amount)
    # Each strategy starts at a new epoch, so that where the epochs end never depends on how
    # long the history took to play.
    network.at(network.epoch_start())
    if attack.inflow == "launch" and attack.strategy != "epoch_ahead":
        # The carry: money arrives while no point has matured; the ring buys right after it.
        before = pool.totals()
        _inflow(network, attack.inflow, amount)
        after = pool.totals()
        if attacking:
            _pay(network, payer, counterparty, budget, "ring")
    elif attack.strategy == "same_block":
        # One block: what it gave members and ESS includes the ring's relation.
        before = pool.totals()
        _inflow_same_block(network, attack.inflow, amount, budget if attacking else 0)
        after = pool.totals()
    else:
        if attacking:
            _pay(network, payer, counterparty, budget, "ring")
        if attack.strategy == "epoch_ahead":
            network.at(network.epoch_start())
        before = pool.totals()
        _inflow(network, attack.inflow, amount)
        for _ in range(attack.epochs - 1):
            network.at(network.epoch_start())
            _inflow(network, attack.inflow, amount)
        after = pool.totals()
    to_members = int(after.membersReceived) - int(before.membersReceived)
    to_ess = int(after.essReceived) - int(before.essReceived)
    # Every point matures; nothing else comes in, so the ring keeps only what the inflow gave it.
    network.at(network.epoch_start(2))
    network.tick()
    _contribute(network, network.outsider, 0, "")
    return _wealth(network), to_members, to_ess


def _inflow(network: Network, kind: str, amount: int) -> None:
    """The inflow the ring knows of."""
    pool, token = network.pool, network.token
    if kind == "relation":
        payer, counterparty = network.honest[0], network.honest[1]
        _pay(network, payer, counterparty, amount, "inflow")
    elif kind in ("contribution", "launch"):
        _contribute(network, network.outsider, amount, "annonce")
    elif kind == "fee":
        network.tick()
        _transact(network.timelock, network.deployment.membership.setMembershipFee, amount)
        newcomer = _new_account()
        sponsor, abeille = network.honest[0], MEMBER_KINDS["Abeille"]
        network.tick()
        _transact(sponsor, network.deployment.membership.invite, newcomer, abeille)
        network.tick()
        _transact(newcomer, token.mint, newcomer, amount)
        network.tick()
        _transact(newcomer, token.approve, pool, amount)
        network.tick()
        _transact(newcomer, network.deployment.membership.acceptInvitation, sponsor, abeille)
    else:  # a transfer already sent: the ring books it when it suits it, after its points matured
        network.tick()
        _transact(network.ring[0], pool.accountSurplus)


def _inflow_same_block(network: Network, kind: str, amount: int, ring_budget: int) -> None:
    """The ring's relation (if `ring_budget`) and the inflow in one block, the ring's first."""
    from ape import chain

    pool = network.pool
    provider = chain.provider
    payer, counterparty = network.ring[2], network.ring[3]
    if kind == "relation":
        sender = network.honest[0]
        data = pool.payRelation.encode_input(network.honest[1], amount, _ref("inflow"))
    elif kind in ("contribution", "launch"):
        sender = network.outsider
        data = pool.contribute.encode_input(amount, "annonce")
    elif kind == "transfer":
        sender = network.ring[0]
        data = pool.accountSurplus.encode_input()
    else:
        raise AttackError(
            "a membership fee is paid by a newcomer's own acceptance: play it in the same epoch"
        )
    network.tick()
    provider.make_request("evm_setAutomine", [False])
    try:
        if ring_budget:
            ring_data = pool.payRelation.encode_input(counterparty, ring_budget, _ref("ring"))
            _send(provider, payer, pool, ring_data, tip=10**10)
        _send(provider, sender, pool, data, tip=10**9)
        provider.make_request("evm_mine", [network.now()])
    finally:
        provider.make_request("evm_setAutomine", [True])
    block = provider.web3.eth.get_block("latest")
    receipts = [provider.web3.eth.get_transaction_receipt(tx) for tx in block["transactions"]]
    for receipt in receipts:
        if receipt["status"] != 1:
            trace = provider.make_request(
                "debug_traceTransaction", [receipt["transactionHash"].to_0x_hex(), {"tracer": "callTracer"}]
            )
            raise AttackError(
                f"a transaction of the same-block attack reverted: {trace.get('error')} {trace.get('output')}"
            )
    if len(receipts) != (2 if ring_budget else 1):
        raise AttackError(
            f"expected the ring's relation and the inflow in one block, got {len(receipts)} transactions"
        )


def _transact(sender: Any, method: Any, *args: Any) -> None:
    """Send `method(*args)` from `sender` (impersonated) and check it was mined without revert.

    Raw JSON-RPC rather than Ape's prepared transactions: several times faster, and the attack
    search sends thousands."""
    from ape import chain

    provider = chain.provider
    contract = method.contract
    tx_hash = _send(provider, sender, contract, method.encode_input(*args), tip=10**9)
    # anvil answers before it has mined: wait for this very transaction, so the next one's
    # timestamp is never set while it is still pending (it would be mined at that later time).
    receipt = provider.web3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.01)
    if receipt["status"] != 1:
        trace = provider.make_request(
            "debug_traceTransaction", [receipt["transactionHash"].to_0x_hex(), {"tracer": "callTracer"}]
        )
        raise AttackError(f"{method.abis[0].name} reverted: {trace.get('error')} {trace.get('output')}")


def _send(provider: Any, sender: Any, contract: Any, data: Any, tip: int) -> str:
    """Send a raw transaction from `sender` (impersonated) without waiting for it; its hash."""
    address = str(sender.address)
    provider.make_request("anvil_impersonateAccount", [address])
    return str(
        provider.make_request(
            "eth_sendTransaction",
            [
                {
                    "from": address,
                    "to": str(contract.address),
                    "data": data.to_0x_hex() if hasattr(data, "to_0x_hex") else data,
                    "gas": hex(_GAS),
                    "maxPriorityFeePerGas": hex(tip),
                    "maxFeePerGas": hex(10**11),
                }
            ],
        )
    )


def _wealth(network: Network) -> int:
    """The ring's token balances plus what it can claim."""
    pool, token = network.pool, network.token
    return sum(int(token.balanceOf(a)) + int(pool.claimableOf(a)) for a in network.ring)


def _pay(network: Network, payer: Any, counterparty: Any, amount: int, label: str) -> None:
    """`payer` pays `counterparty` a relation of `amount` (it was funded when the network was built)."""
    pool = network.pool
    network.tick()
    _transact(payer, pool.payRelation, counterparty, amount, _ref(f"{label}-{network.now()}"))


def _contribute(network: Network, contributor: Any, amount: int, memo: str) -> None:
    """`contributor` contributes `amount` (0: only mines a block at the network's clock)."""
    from ape import chain

    if amount == 0:
        chain.mine(timestamp=network.now())
        return
    network.tick()
    _transact(contributor, network.pool.contribute, amount, memo)


def _new_account() -> Any:
    """A new test account with ether for gas."""
    from ape import accounts

    account = accounts.test_accounts.generate_test_account()
    account.balance = 10 * _ETHER
    return account


def _ref(name: str) -> bytes:
    """A relation reference."""
    return keccak(text=name)
