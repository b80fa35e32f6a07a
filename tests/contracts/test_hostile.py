"""The pool against hostile contracts: a member contract that re-enters when paid, and payment
tokens that re-enter the pool from `transfer`/`transferFrom` or answer `false`.

Whatever the attack, the pool must pay each reward once, keep its books equal to its balance
(token balance == members' + ESS + collective buckets) and pay nobody more than it accrued, as
recomputed by the independent model in redistribution_model.py. Re-entry is refused by
OpenZeppelin's ReentrancyGuardTransient (`ReentrancyGuardReentrantCall`), a token answering
`false` by SafeERC20 (`SafeERC20FailedOperation`). The chain clock is stopped (the `clock`
fixture): the attackers earn from points matured in an earlier epoch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from ape import chain, project
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from cmir.chain.deploy import ZERO_ADDRESS, Deployment, deploy
from tests.contracts.chain_clock import ChainClock
from tests.contracts.redistribution_model import PoolModel, assert_pool_matches, assert_pool_solvent
from tests.contracts.strict_checks import emitted, log, reverts

EUR = 10**6
PILOTE, ABEILLE, ESS_STRUCTURE = 0, 1, 2
REENTRANT_CALL = keccak(text="ReentrancyGuardReentrantCall()")[:4]
ESS_WALLET = to_checksum_address("0x" + "e5" * 20)
COLLECTIVE_RECIPIENT = to_checksum_address("0x" + "c0" * 20)
# ReenteringMember.Reentry and HostileEuro.Trigger
REENTRY = {
    "None": 0,
    "Claim": 1,
    "PayRelation": 2,
    "SpendCollective": 3,
    "Contribute": 4,
    "AccountSurplus": 5,
}
TRIGGER = {"None": 0, "Transfer": 1, "TransferFrom": 2}


def ref(label: str) -> bytes:
    """A 32-byte relation reference naming `label`."""
    return label.encode().ljust(32, b"\0")


def new_model(settings: Any, pool: Any, founders: list[Any]) -> PoolModel:
    """The model of `pool`, freshly deployed with `settings` (its epochs start when its creation
    receipt says), `founders` without sponsor."""
    model = PoolModel.from_settings(settings, int(pool.creation_metadata.receipt.timestamp))
    for founder in founders:
        model.add_member(founder)
    return model


# ---------------------------------------------------------------------------- (a) re-entering member


@pytest.fixture
def hook_token(deployer: Any) -> Any:
    """A euro token that calls registered recipients back (ERC-777 style)."""
    return deployer.deploy(project.HookEuro)


@pytest.fixture
def hook_system(
    clock: ChainClock,
    deployer: Any,
    settings: Any,
    admin: Any,
    member: Any,
    ess_member: Any,
    steward: Any,
    hook_token: Any,
) -> Deployment:
    """The whole system deployed by cmir.chain.deploy.deploy over the hook token."""
    founders = [
        (str(admin.address), "Pilote"),
        (str(member.address), "Abeille"),
        (str(ess_member.address), "EssStructure"),
    ]
    hook_settings = dataclasses.replace(settings, token=str(hook_token.address))
    return deploy(deployer, hook_settings, founders, str(steward.address))


@pytest.fixture
def hook_governance(accounts: Any, hook_system: Deployment) -> Any:
    """The hook system's timelock as a sender."""
    account = accounts[str(hook_system.timelock.address)]
    account.balance += 10**20
    return account


@pytest.fixture
def attacker(deployer: Any, hook_system: Deployment, admin: Any, outsider: Any) -> Any:
    """A member contract sponsored by `admin`: invited, it accepts the invitation itself."""
    contract = deployer.deploy(project.ReenteringMember, hook_system.pool, hook_system.membership)
    hook_system.membership.invite(contract, ABEILLE, sender=admin)
    contract.acceptInvitation(admin, ABEILLE, sender=outsider)
    return contract


@pytest.fixture
def hook_model(
    hook_system: Deployment, settings: Any, admin: Any, member: Any, ess_member: Any, attacker: Any
) -> PoolModel:
    """The model of the hook system's pool, the attacker included."""
    model = new_model(settings, hook_system.pool, [admin, member, ess_member])
    model.add_member(attacker, admin)
    return model


@pytest.fixture
def rewarded_attacker(
    clock: ChainClock,
    hook_system: Deployment,
    hook_token: Any,
    hook_model: PoolModel,
    attacker: Any,
    admin: Any,
    member: Any,
) -> Any:
    """The attacker after earning rewards: paid for a relation, then, once that relation's
    points have matured, a relation it paid for."""
    pool = hook_system.pool
    hook_token.mint(admin, 40 * EUR, sender=admin)
    hook_token.approve(pool, 40 * EUR, sender=admin)
    receipt = pool.payRelation(attacker, 40 * EUR, ref("hired the attacker"), sender=admin)
    hook_model.pay_relation(admin, attacker, 40 * EUR, receipt.timestamp)
    clock.next_epoch(hook_model.clock)
    hook_token.mint(attacker, 60 * EUR, sender=admin)
    attacker.approvePool(60 * EUR, sender=admin)
    receipt = attacker.payRelation(member, 20 * EUR, ref("attacker pays"), sender=admin)
    hook_model.pay_relation(attacker, member, 20 * EUR, receipt.timestamp)
    assert pool.claimableOf(attacker) == hook_model.claimable_of(attacker, clock.now) > 0
    return attacker


def everyone_hook(admin: Any, member: Any, ess_member: Any, attacker: Any) -> list[Any]:
    """Every account the hook pool may owe rewards to."""
    return [admin, member, ess_member, attacker]


def test_member_contract_joins_itself_and_claims_like_any_member(
    hook_system: Deployment,
    hook_token: Any,
    hook_model: PoolModel,
    rewarded_attacker: Any,
    admin: Any,
    member: Any,
    ess_member: Any,
    outsider: Any,
) -> None:
    pool = hook_system.pool
    assert hook_system.membership.memberOf(rewarded_attacker).sponsor == admin.address
    before = hook_token.balanceOf(rewarded_attacker)
    hook_calls = rewarded_attacker.hookCalls()

    receipt = rewarded_attacker.claim(sender=outsider)

    amount = hook_model.claim(rewarded_attacker, receipt.timestamp)
    assert emitted(receipt) == [
        log(
            pool.RewardsClaimed,
            member=rewarded_attacker,
            amount=amount,
            rewardPerPoint=hook_model.reward_per_point,
        ),
        log(hook_token.Transfer, **{"from": pool, "to": rewarded_attacker, "value": amount}),
    ]
    assert rewarded_attacker.hookCalls() == hook_calls + 1  # the hook ran, armed with nothing
    assert hook_token.balanceOf(rewarded_attacker) == before + amount
    everyone = everyone_hook(admin, member, ess_member, rewarded_attacker)
    assert_pool_matches(pool, hook_model, everyone)
    assert_pool_solvent(pool, hook_token, everyone)


def test_claim_reentered_from_the_payout_reverts_the_whole_claim(
    hook_system: Deployment,
    hook_token: Any,
    hook_model: PoolModel,
    rewarded_attacker: Any,
    admin: Any,
    member: Any,
    ess_member: Any,
    outsider: Any,
) -> None:
    pool = hook_system.pool
    owed = pool.claimableOf(rewarded_attacker)
    balance = hook_token.balanceOf(rewarded_attacker)
    totals = tuple(pool.totals())
    rewarded_attacker.arm(REENTRY["Claim"], outsider, 0, True, sender=outsider)

    with reverts(pool.ReentrancyGuardReentrantCall):
        rewarded_attacker.claim(sender=outsider)

    assert pool.claimableOf(rewarded_attacker) == owed
    assert hook_token.balanceOf(rewarded_attacker) == balance
    assert tuple(pool.totals()) == totals
    everyone = everyone_hook(admin, member, ess_member, rewarded_attacker)
    assert_pool_matches(pool, hook_model, everyone)
    assert_pool_solvent(pool, hook_token, everyone)


@pytest.mark.parametrize(
    "reentry", ["Claim", "PayRelation", "Contribute", "AccountSurplus", "SpendCollective"]
)
def test_reentry_from_the_claim_payout_is_refused_and_the_claim_pays_once(
    hook_system: Deployment,
    hook_token: Any,
    hook_model: PoolModel,
    hook_governance: Any,
    rewarded_attacker: Any,
    admin: Any,
    member: Any,
    ess_member: Any,
    outsider: Any,
    reentry: str,
) -> None:
    pool = hook_system.pool
    if reentry == "SpendCollective":  # make the re-entrant call one the attacker is allowed
        pool.setSteward(rewarded_attacker, sender=hook_governance)
    before = hook_token.balanceOf(rewarded_attacker)
    # Every re-entrant call is one the attacker could make on its own: it holds and approved the
    # tokens, the counterparty is a member, the steward's fund holds the amount.
    rewarded_attacker.arm(REENTRY[reentry], member, 10 * EUR, False, sender=outsider)

    receipt = rewarded_attacker.claim(sender=outsider)

    amount = hook_model.claim(rewarded_attacker, receipt.timestamp)
    assert emitted(receipt) == [
        log(
            pool.RewardsClaimed,
            member=rewarded_attacker,
            amount=amount,
            rewardPerPoint=hook_model.reward_per_point,
        ),
        log(hook_token.Transfer, **{"from": pool, "to": rewarded_attacker, "value": amount}),
    ]
    assert rewarded_attacker.reentryAttempts() == 1
    assert rewarded_attacker.reentrySuccesses() == 0
    assert HexBytes(rewarded_attacker.lastRevertData()) == REENTRANT_CALL
    assert hook_token.balanceOf(rewarded_attacker) == before + amount
    everyone = everyone_hook(admin, member, ess_member, rewarded_attacker)
    assert_pool_matches(pool, hook_model, everyone)
    assert_pool_solvent(pool, hook_token, everyone)
    with reverts(pool.RedistributionNothingToClaim, account=rewarded_attacker):
        rewarded_attacker.claim(sender=outsider)


def test_the_guard_is_released_after_a_refused_reentry(
    hook_system: Deployment,
    hook_token: Any,
    hook_model: PoolModel,
    rewarded_attacker: Any,
    admin: Any,
    member: Any,
    ess_member: Any,
    outsider: Any,
) -> None:
    pool = hook_system.pool
    rewarded_attacker.arm(REENTRY["PayRelation"], member, 10 * EUR, False, sender=outsider)
    receipt = rewarded_attacker.claim(sender=outsider)
    hook_model.claim(rewarded_attacker, receipt.timestamp)

    # The same relation, paid outside the hook, goes through.
    receipt = rewarded_attacker.payRelation(member, 10 * EUR, ref("after"), sender=outsider)

    hook_model.pay_relation(rewarded_attacker, member, 10 * EUR, receipt.timestamp)
    everyone = everyone_hook(admin, member, ess_member, rewarded_attacker)
    assert_pool_matches(pool, hook_model, everyone)
    assert_pool_solvent(pool, hook_token, everyone)


@pytest.mark.parametrize("bubble", [False, True])
def test_a_steward_contract_reentering_claim_from_its_spending_gets_nothing_more(
    hook_system: Deployment,
    hook_token: Any,
    hook_model: PoolModel,
    hook_governance: Any,
    rewarded_attacker: Any,
    admin: Any,
    member: Any,
    ess_member: Any,
    outsider: Any,
    bubble: bool,
) -> None:
    pool = hook_system.pool
    pool.setSteward(rewarded_attacker, sender=hook_governance)
    spend = hook_model.collective_available // 2
    before = hook_token.balanceOf(rewarded_attacker)
    rewarded_attacker.arm(REENTRY["Claim"], outsider, 0, bubble, sender=outsider)

    if bubble:
        with reverts(pool.ReentrancyGuardReentrantCall):
            rewarded_attacker.spendCollective(rewarded_attacker, spend, "to myself", sender=outsider)
        assert hook_token.balanceOf(rewarded_attacker) == before
    else:
        receipt = rewarded_attacker.spendCollective(rewarded_attacker, spend, "to myself", sender=outsider)
        hook_model.spend_collective(spend)
        assert emitted(receipt) == [
            log(
                pool.CollectiveSpent,
                steward=rewarded_attacker,
                recipient=rewarded_attacker,
                amount=spend,
                memo="to myself",
            ),
            log(hook_token.Transfer, **{"from": pool, "to": rewarded_attacker, "value": spend}),
        ]
        assert HexBytes(rewarded_attacker.lastRevertData()) == REENTRANT_CALL
        assert hook_token.balanceOf(rewarded_attacker) == before + spend
    everyone = everyone_hook(admin, member, ess_member, rewarded_attacker)
    assert_pool_matches(pool, hook_model, everyone)
    assert_pool_solvent(pool, hook_token, everyone)


# ---------------------------------------------------------------------------- (b) malicious tokens


@dataclasses.dataclass
class HostileSystem:
    """A pool over the hostile token, which is also its governance, its steward and a member."""

    token: Any
    membership: Any
    registry: Any
    pool: Any
    project_id: int
    model: PoolModel
    accounts: list[Any]


@pytest.fixture
def hostile(
    clock: ChainClock, deployer: Any, settings: Any, admin: Any, member: Any, ess_member: Any
) -> HostileSystem:
    """Membership, registry and pool wired as cmir/chain/deploy.py wires them, over HostileEuro.

    Membership and registry are governed by `deployer` (an account here); the pool's governance
    and steward are the token itself, which calls the pool through `act`: so the re-entrant calls
    the token makes are calls it is authorised to make, and only the re-entrancy guard stops them.
    """
    token = deployer.deploy(project.HostileEuro)
    membership = deployer.deploy(
        project.Membership,
        deployer,
        settings.membership_rules(),
        [admin, member, ess_member, token],
        [PILOTE, ABEILLE, ESS_STRUCTURE, PILOTE],
        ZERO_ADDRESS,
    )
    registry = deployer.deploy(project.EssProjectRegistry, membership, deployer, ZERO_ADDRESS)
    pool = deployer.deploy(
        project.Redistribution,
        (
            token.address,
            membership.address,
            registry.address,
            token.address,
            token.address,
            settings.ess_floor_bps,
            settings.shares.as_tuple(),
            settings.weights.as_tuple(),
            settings.min_relation_fee,
            settings.min_relation_fee_ceiling,
            settings.parties_min_share_bps,
            settings.epoch_length,
            settings.epoch_reward_cap_bps,
            settings.collective_budget,
            settings.collective_budget_period,
        ),
        ZERO_ADDRESS,
    )
    membership.bindPool(pool, sender=deployer)
    # Registered by governance (`deployer` here): active at once, wallet version 1.
    registered = registry.registerProject(ESS_WALLET, "ipfs://project", b"\x11" * 32, sender=deployer)
    project_id = int(registered.events[0].projectId)
    model = new_model(settings, pool, [admin, member, ess_member, token])
    # Inflows before the attack: the token earns rewards as a member (its points from the first
    # relation have matured when the second is paid), every bucket holds money.
    for payer, counterparty, amount in ((admin, token, 40 * EUR + 3), (member, admin, 25 * EUR + 1)):
        token.mint(payer, amount, sender=payer)
        token.approve(pool, amount, sender=payer)
        receipt = pool.payRelation(counterparty, amount, ref("before"), sender=payer)
        model.pay_relation(payer, counterparty, amount, receipt.timestamp)
        clock.next_epoch(model.clock)
    assert model.claimable_of(token, clock.now) > 0
    # Funds for the calls below: the token (to re-enter with contribute) and admin hold and approved some.
    token.mint(token, 100 * EUR, sender=admin)
    token.act(token, token.approve.encode_input(pool, 100 * EUR), sender=admin)
    token.mint(admin, 100 * EUR, sender=admin)
    token.approve(pool, 100 * EUR, sender=admin)
    return HostileSystem(
        token, membership, registry, pool, project_id, model, [admin, member, ess_member, token]
    )


OuterCall = Callable[[HostileSystem, Any], Any]


def claim_by_token(system: HostileSystem, caller: Any) -> Any:
    """The token, a member with rewards, claims."""
    return system.token.act(system.pool, system.pool.claim.encode_input(), sender=caller)


def claim_by_admin(system: HostileSystem, caller: Any) -> Any:
    """A member (an account) claims."""
    return system.pool.claim(sender=caller)


def fund_ess(system: HostileSystem, caller: Any) -> Any:
    """The token, as governance, pays a third of the ESS bucket to the project."""
    amount = system.model.ess_available // 3
    data = system.pool.fundEssProject.encode_input(system.project_id, ESS_WALLET, 1, amount)
    return system.token.act(system.pool, data, sender=caller)


def spend_collective(system: HostileSystem, caller: Any) -> Any:
    """The token, as steward, spends a third of the collective fund."""
    amount = system.model.collective_available // 3
    data = system.pool.spendCollective.encode_input(COLLECTIVE_RECIPIENT, amount, "hall")
    return system.token.act(system.pool, data, sender=caller)


def contribute_by_admin(system: HostileSystem, caller: Any) -> Any:
    """A member contributes 5 euros."""
    return system.pool.contribute(5 * EUR, "gift", sender=caller)


def pay_by_admin(system: HostileSystem, caller: Any) -> Any:
    """A member pays a 12-euro relation with the token (a member)."""
    return system.pool.payRelation(system.token, 12 * EUR, ref("during"), sender=caller)


def book(system: HostileSystem, outer: str, caller: Any, now: int) -> dict[str, int]:
    """Book the outer call, made at `now`, in the model; returns how each address's balance
    should change."""
    model = system.model
    if outer == "claim_by_token":
        return {str(system.token.address): model.claim(system.token, now)}
    if outer == "claim_by_admin":
        return {str(caller.address): model.claim(caller, now)}
    if outer == "fund_ess":
        amount = model.ess_available // 3
        model.fund_ess(amount)
        return {ESS_WALLET: amount}
    if outer == "spend_collective":
        amount = model.collective_available // 3
        model.spend_collective(amount)
        return {COLLECTIVE_RECIPIENT: amount}
    if outer == "contribute_by_admin":
        model.receive(5 * EUR, now)
        return {str(caller.address): -5 * EUR}
    model.pay_relation(caller, system.token, 12 * EUR, now)
    return {str(caller.address): -12 * EUR}


OUTER_CALLS: dict[str, OuterCall] = {
    "claim_by_token": claim_by_token,
    "claim_by_admin": claim_by_admin,
    "fund_ess": fund_ess,
    "spend_collective": spend_collective,
    "contribute_by_admin": contribute_by_admin,
    "pay_by_admin": pay_by_admin,
}

# (outer call, the token function it goes through, the call the token re-enters with)
ATTACKS = [
    ("claim_by_token", "Transfer", "claim"),
    ("claim_by_admin", "Transfer", "claim"),
    ("claim_by_admin", "Transfer", "accountSurplus"),  # the balance still holds the payout: phantom surplus
    ("fund_ess", "Transfer", "fundEssProject"),
    ("fund_ess", "Transfer", "spendCollective"),
    ("spend_collective", "Transfer", "spendCollective"),
    ("spend_collective", "Transfer", "fundEssProject"),
    ("contribute_by_admin", "TransferFrom", "contribute"),
    ("contribute_by_admin", "TransferFrom", "accountSurplus"),
    ("pay_by_admin", "TransferFrom", "claim"),
]


def reentrant_payload(system: HostileSystem, call: str) -> bytes:
    """Calldata of the call the token re-enters the pool with (as itself)."""
    pool = system.pool
    payloads = {
        "claim": lambda: pool.claim.encode_input(),
        "accountSurplus": lambda: pool.accountSurplus.encode_input(),
        "fundEssProject": lambda: pool.fundEssProject.encode_input(system.project_id, ESS_WALLET, 1, EUR),
        "spendCollective": lambda: pool.spendCollective.encode_input(system.token, EUR, "again"),
        "contribute": lambda: pool.contribute.encode_input(EUR, "again"),
    }
    return HexBytes(payloads[call]())


def balances(system: HostileSystem, addresses: list[str]) -> dict[str, int]:
    """Token balance of each of `addresses`."""
    return {address: system.token.balanceOf(address) for address in addresses}


def payees(system: HostileSystem) -> list[str]:
    """Every address a payout could reach."""
    return [str(account.address) for account in system.accounts] + [ESS_WALLET, COLLECTIVE_RECIPIENT]


@pytest.mark.parametrize(("outer", "trigger", "reentered"), ATTACKS)
def test_token_reentering_the_pool_is_refused_and_the_outer_call_counts_once(
    hostile: HostileSystem, admin: Any, outer: str, trigger: str, reentered: str
) -> None:
    token, pool = hostile.token, hostile.pool
    token.arm(TRIGGER[trigger], pool, reentrant_payload(hostile, reentered), False, sender=admin)
    before = balances(hostile, payees(hostile))

    receipt = OUTER_CALLS[outer](hostile, admin)

    changes = book(hostile, outer, admin, receipt.timestamp)
    assert token.reentryAttempts() == 1
    assert token.reentrySuccesses() == 0
    assert HexBytes(token.lastRevertData()) == REENTRANT_CALL
    after = balances(hostile, payees(hostile))
    assert {address: after[address] - before[address] for address in before} == {
        address: changes.get(address, 0) for address in before
    }
    assert_pool_matches(pool, hostile.model, hostile.accounts)
    assert_pool_solvent(pool, token, hostile.accounts)


@pytest.mark.parametrize(("outer", "trigger", "reentered"), ATTACKS)
def test_token_reentry_that_bubbles_up_reverts_everything(
    hostile: HostileSystem, admin: Any, outer: str, trigger: str, reentered: str
) -> None:
    token, pool = hostile.token, hostile.pool
    token.arm(TRIGGER[trigger], pool, reentrant_payload(hostile, reentered), True, sender=admin)
    totals = tuple(pool.totals())
    before = balances(hostile, payees(hostile))

    with reverts(pool.ReentrancyGuardReentrantCall):
        OUTER_CALLS[outer](hostile, admin)

    assert tuple(pool.totals()) == totals
    assert balances(hostile, payees(hostile)) == before
    assert_pool_matches(pool, hostile.model, hostile.accounts)
    assert_pool_solvent(pool, token, hostile.accounts)


@pytest.mark.parametrize("outer", sorted(OUTER_CALLS))
def test_a_token_answering_false_moves_nothing_and_the_books_stay(
    hostile: HostileSystem, admin: Any, outer: str
) -> None:
    token, pool = hostile.token, hostile.pool
    token.setReturnFalse(True, sender=admin)
    totals = tuple(pool.totals())
    before = balances(hostile, payees(hostile))

    with reverts(pool.SafeERC20FailedOperation, token=token):
        OUTER_CALLS[outer](hostile, admin)

    assert tuple(pool.totals()) == totals
    assert balances(hostile, payees(hostile)) == before
    assert_pool_matches(pool, hostile.model, hostile.accounts)
    assert_pool_solvent(pool, token, hostile.accounts)


def test_rewards_withheld_by_a_failing_token_are_paid_once_when_it_works_again(
    hostile: HostileSystem, admin: Any
) -> None:
    token, pool, model = hostile.token, hostile.pool, hostile.model
    owed = model.claimable_of(admin, chain.blocks.head.timestamp)
    assert owed > 0
    token.setReturnFalse(True, sender=admin)
    for _ in range(2):
        with reverts(pool.SafeERC20FailedOperation, token=token):
            pool.claim(sender=admin)
    token.setReturnFalse(False, sender=admin)
    before = token.balanceOf(admin)

    receipt = pool.claim(sender=admin)

    assert model.claim(admin, receipt.timestamp) == owed
    assert emitted(receipt) == [
        log(pool.RewardsClaimed, member=admin, amount=owed, rewardPerPoint=model.reward_per_point),
        log(token.Transfer, **{"from": pool, "to": admin, "value": owed}),
    ]
    assert token.balanceOf(admin) == before + owed
    with reverts(pool.RedistributionNothingToClaim, account=admin):
        pool.claim(sender=admin)
    assert_pool_matches(pool, model, hostile.accounts)
    assert_pool_solvent(pool, token, hostile.accounts)
