"""The test euro of public test networks (contracts/tokens/TestnetEuro.sol): a faucet giving each
account at most 10,000 tEUR a day, within a supply capped at one billion; and what that bound
means for the pool: an outsider draining the faucet from many accounts into contributions stays
many orders of magnitude below the pool's 128-bit running totals, and an amount beyond 128 bits
is refused without stopping later inflows."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from ape import project

from cmir.chain.deploy import ZERO_ADDRESS, Deployment, deploy
from tests.contracts.chain_clock import ChainClock
from tests.contracts.strict_checks import emitted, log, reverts

TEUR = 10**6
DAILY_ALLOWANCE = 10_000 * TEUR
SUPPLY_CAP = 1_000_000_000 * TEUR
DAY = 86_400
TOTAL_SUPPLY_SLOT = 2  # OpenZeppelin ERC20: _balances, _allowances, then _totalSupply


@pytest.fixture
def teur(deployer: Any) -> Any:
    """A fresh TestnetEuro."""
    return deployer.deploy(project.TestnetEuro)


@pytest.fixture
def drainers(accounts: Any) -> list[Any]:
    """Accounts of one outsider, each with ether for gas and no tEUR."""
    wallets = [accounts.generate_test_account() for _ in range(8)]
    for wallet in wallets:
        wallet.balance = 10**18
    return wallets


@pytest.fixture
def testnet_system(
    deployer: Any, settings: Any, admin: Any, member: Any, ess_member: Any, steward: Any
) -> Deployment:
    """The whole system deployed as on a public test network: over the TestnetEuro."""
    founders = [
        (str(admin.address), "Pilote"),
        (str(member.address), "Abeille"),
        (str(ess_member.address), "EssStructure"),
    ]
    testnet_settings = dataclasses.replace(settings, token="TestnetEuro")  # noqa: S106 (a contract name)
    return deploy(deployer, testnet_settings, founders, str(steward.address))


def test_testnet_euro_is_a_six_decimal_euro_with_a_capped_supply(teur: Any) -> None:
    assert (teur.name(), teur.symbol(), teur.decimals()) == ("Test Euro", "tEUR", 6)
    assert teur.DAILY_ALLOWANCE() == DAILY_ALLOWANCE
    assert teur.SUPPLY_CAP() == teur.cap() == SUPPLY_CAP
    assert teur.totalSupply() == 0


def test_faucet_gives_up_to_the_daily_allowance(teur: Any, clock: ChainClock, outsider: Any) -> None:
    day = clock.now // DAY  # the clock is stopped: both drips fall on this day

    receipt = teur.faucet(4_000 * TEUR, sender=outsider)

    assert emitted(receipt) == [
        log(teur.FaucetDripped, account=outsider, amount=4_000 * TEUR, day=day),
        log(teur.Transfer, **{"from": ZERO_ADDRESS, "to": outsider, "value": 4_000 * TEUR}),
    ]
    assert teur.faucetLeft(outsider) == 6_000 * TEUR
    teur.faucet(6_000 * TEUR, sender=outsider)
    assert teur.faucetLeft(outsider) == 0
    assert teur.balanceOf(outsider) == teur.totalSupply() == DAILY_ALLOWANCE


def test_faucet_reverts_above_what_is_left_of_the_daily_allowance(
    teur: Any, clock: ChainClock, outsider: Any, invitee: Any
) -> None:
    with reverts(
        teur.TestnetEuroDailyAllowanceExceeded,
        account=outsider,
        requested=DAILY_ALLOWANCE + 1,
        left=DAILY_ALLOWANCE,
    ):
        teur.faucet(DAILY_ALLOWANCE + 1, sender=outsider)
    teur.faucet(7_500 * TEUR, sender=outsider)

    with reverts(
        teur.TestnetEuroDailyAllowanceExceeded,
        account=outsider,
        requested=2_500 * TEUR + 1,
        left=2_500 * TEUR,
    ):
        teur.faucet(2_500 * TEUR + 1, sender=outsider)
    # Another account has its own allowance.
    teur.faucet(DAILY_ALLOWANCE, sender=invitee)
    assert teur.balanceOf(outsider) == 7_500 * TEUR
    assert teur.balanceOf(invitee) == DAILY_ALLOWANCE


def test_faucet_allowance_refills_the_next_day(teur: Any, clock: ChainClock, outsider: Any) -> None:
    day = clock.now // DAY
    teur.faucet(DAILY_ALLOWANCE, sender=outsider)
    clock.travel_to((day + 1) * DAY - 1)  # the day's last second
    assert teur.faucetLeft(outsider) == 0
    with reverts(teur.TestnetEuroDailyAllowanceExceeded, account=outsider, requested=1, left=0):
        teur.faucet(1, sender=outsider)

    clock.travel_to((day + 1) * DAY)

    assert teur.faucetLeft(outsider) == DAILY_ALLOWANCE
    receipt = teur.faucet(DAILY_ALLOWANCE, sender=outsider)
    assert receipt.events[0].day == day + 1
    assert teur.balanceOf(outsider) == 2 * DAILY_ALLOWANCE


def test_faucet_reverts_once_the_supply_cap_would_be_exceeded(
    teur: Any, chain: Any, outsider: Any, invitee: Any
) -> None:
    # A billion tEUR takes 100,000 account-days of drips: the supply is set just below the cap.
    teur.faucet(TEUR, sender=invitee)
    address, slot = str(teur.address), hex(TOTAL_SUPPLY_SLOT)
    raw = chain.provider.make_request("eth_getStorageAt", [address, slot, "latest"])
    assert int(raw, 16) == teur.totalSupply() == TEUR  # the slot really is the total supply
    supply = SUPPLY_CAP - 3 * TEUR
    chain.provider.make_request("anvil_setStorageAt", [address, slot, f"0x{supply:064x}"])

    with reverts(teur.ERC20ExceededCap, increasedSupply=SUPPLY_CAP + TEUR, cap=SUPPLY_CAP):
        teur.faucet(4 * TEUR, sender=outsider)
    teur.faucet(3 * TEUR, sender=outsider)  # exactly up to the cap
    assert teur.totalSupply() == SUPPLY_CAP
    with reverts(teur.ERC20ExceededCap, increasedSupply=SUPPLY_CAP + 1, cap=SUPPLY_CAP):
        teur.faucet(1, sender=invitee)


def test_an_outsider_draining_the_faucet_cannot_come_near_the_pools_128_bit_totals(
    testnet_system: Deployment, clock: ChainClock, drainers: list[Any]
) -> None:
    pool, teur = testnet_system.pool, testnet_system.token
    day = clock.now // DAY
    for days in range(2):
        for wallet in drainers:
            teur.faucet(DAILY_ALLOWANCE, sender=wallet)
            with reverts(teur.TestnetEuroDailyAllowanceExceeded, account=wallet, requested=1, left=0):
                teur.faucet(1, sender=wallet)
            teur.approve(pool, DAILY_ALLOWANCE, sender=wallet)
            pool.contribute(DAILY_ALLOWANCE, "all I could take", sender=wallet)
        clock.travel_to((day + days + 1) * DAY)

    received = pool.totals().totalReceived
    assert received == 2 * len(drainers) * DAILY_ALLOWANCE == teur.totalSupply()
    # Whatever it does, nobody holds more than the supply cap; the pool's totals have room for
    # more than 1e20 times that.
    assert 2**128 - received > 10**20 * SUPPLY_CAP
    assert 2**128 - SUPPLY_CAP > 10**20 * SUPPLY_CAP


def test_a_contribution_above_128_bits_reverts_and_later_relations_go_through(
    testnet_system: Deployment,
    clock: ChainClock,
    admin: Any,
    member: Any,
    outsider: Any,
) -> None:
    pool, teur = testnet_system.pool, testnet_system.token
    teur.faucet(DAILY_ALLOWANCE, sender=outsider)
    teur.approve(pool, 2**256 - 1, sender=outsider)

    for amount in (2**128, 2**256 - 1):
        with reverts(pool.RedistributionAmountTooLarge, amount=amount):
            pool.contribute(amount, "more than exists", sender=outsider)

    fee = int(pool.minRelationFee())
    teur.faucet(fee, sender=admin)
    teur.approve(pool, fee, sender=admin)
    paid = pool.payRelation(member, fee, b"after the refusal".ljust(32, b"\0"), sender=admin)
    contributed = pool.contribute(DAILY_ALLOWANCE, "what I really hold", sender=outsider)
    assert paid.events[0].event_name == "RelationPaid"
    assert contributed.events[0].event_name == "Contributed"
    assert pool.totals().totalReceived == fee + DAILY_ALLOWANCE
    assert teur.balanceOf(pool) == fee + DAILY_ALLOWANCE
