"""The pool's insiders play their attacks, and none pays.

A Hypothesis search over honest histories (relations between honest members across epochs),
inflow kinds (a relation between others, a contribution, a membership fee, a plain transfer, the
launch), sizes from 1x to 1,000x the matured points base, and sniper strategies (a colluding
pair, each with its own colluding sponsor, buying points in the inflow's block ahead of it,
earlier in its epoch, or in the epoch before because the inflow was announced). The profit is
what the ring gains against the same history without the attack (`cmir.attacks`): it is never
positive. Named cases replay the attacks of the issue that closed them with their figures.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cmir import attacks
from cmir.attacks import Attack, Network, Relation
from cmir.deployment import NetworkSettings, deploy_on_test_accounts

EUR = 10**6
#: The honest history of the issue's figures: 20 relations, 10,000 tEUR in all.
TWENTY_RELATIONS = [
    Relation(i % 6, (i + 1) % 6, 500 * EUR, epochs_before=1 if i % 5 == 0 else 0) for i in range(20)
]
#: Examples per run; CMIR_ATTACK_EXAMPLES searches deeper.
EXAMPLES = int(os.environ.get("CMIR_ATTACK_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def network(module_chain_state: None, accounts: Any) -> Network:
    """A fresh deployment with honest members and the ring, nothing paid yet."""
    return attacks.build(deploy_on_test_accounts(NetworkSettings.for_network("ethereum:local"), accounts))


@pytest.fixture(scope="module")
def twenty(module_chain_state: None, accounts: Any) -> tuple[Network, int]:
    """Another deployment where the issue's honest history was paid (20 relations, 10,000 tEUR)
    and has matured; with its matured points base."""
    network_ = attacks.build(deploy_on_test_accounts(NetworkSettings.for_network("ethereum:local"), accounts))
    return network_, attacks.play_history(network_, TWENTY_RELATIONS)


relations = st.builds(
    Relation,
    payer=st.integers(0, 5),
    counterparty=st.integers(0, 5),
    amount=st.integers(10 * EUR, 5_000 * EUR),
    epochs_before=st.integers(0, 3),
)
sizes = st.sampled_from([1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0])
budgets = st.sampled_from([0.01, 0.1, 0.5, 1.0, 3.0, 10.0, 100.0])


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=st.lists(relations, min_size=1, max_size=6),
    ring_points=st.sampled_from([0, 100 * EUR, 2_000 * EUR]),
    inflow=st.sampled_from(attacks.INFLOW_KINDS),
    size=sizes,
    strategy=st.sampled_from(attacks.STRATEGIES),
    budget=budgets,
)
def test_no_insider_attack_is_profitable(
    network: Network,
    chain: Any,
    history: list[Relation],
    ring_points: int,
    inflow: str,
    size: float,
    strategy: str,
    budget: float,
) -> None:
    assume(not (inflow == "fee" and strategy == "same_block"))
    snapshot = chain.snapshot()
    try:
        network.at(network.now())
        base = 0 if inflow == "launch" else attacks.play_history(network, history, ring_points)
        outcome = attacks.play(network, Attack(inflow, size, strategy, budget), base)
    finally:
        chain.restore(snapshot)
    assert outcome.profit <= 0, outcome


@pytest.mark.parametrize("strategy", ["same_block", "same_epoch"])
@pytest.mark.parametrize("wash", [5_000, 50_000])
def test_sniping_a_contribution_from_the_block_before_returns_a_loss(
    twenty: tuple[Network, int], strategy: str, wash: int
) -> None:
    # Before: W = 5,000 returned +132,811 tEUR, W = 50,000 returned +267,285 tEUR.
    network, base = twenty
    outcome = attacks.play(
        network, Attack("contribution", 1_000_000 * EUR / base, strategy, wash * EUR / base), base
    )

    assert outcome.inflow_amount == pytest.approx(1_000_000 * EUR, rel=1e-6)
    # The ring's points were pending when the contribution came: it gets nothing of it and loses
    # what its own relation gave ESS, the collective fund and the honest members.
    assert outcome.profit <= -wash * EUR // 2


def test_booking_a_transfer_after_washing_points_gives_the_ring_nothing(twenty: tuple[Network, int]) -> None:
    # Before: +103,025 tEUR of a 500,000 tEUR transfer.
    network, base = twenty
    outcome = attacks.play(
        network, Attack("transfer", 500_000 * EUR / base, "epoch_ahead", 5_000 * EUR / base), base
    )

    assert outcome.to_ess == outcome.inflow_amount
    assert outcome.to_members == 0
    assert outcome.profit < 0


def test_the_first_relation_after_launch_takes_none_of_the_money_before_it(network: Network) -> None:
    # Before: the first relation, at the 10 tEUR minimum, took +42,512 tEUR of a 50,000 tEUR carry.
    outcome = attacks.play(network, Attack("launch", 5_000.0, "same_epoch", 1.0), 0)

    assert outcome.inflow_amount == 50_000 * EUR
    # No point had matured: the members' share went to ESS with the ESS share.
    assert outcome.to_members == 0
    assert outcome.to_ess == 50_000 * EUR - 50_000 * EUR * 2_000 // 10_000
    assert outcome.profit == -10 * EUR


@pytest.mark.parametrize("size", [1.0, 10.0, 100.0, 1000.0])
def test_an_announced_contribution_never_repays_the_points_bought_for_it(
    twenty: tuple[Network, int], size: float
) -> None:
    # The README's table: the ring buys points the epoch before an announced contribution.
    network, base = twenty
    outcomes = [
        attacks.play(network, Attack("contribution", size, "epoch_ahead", budget), base)
        for budget in (0.1, 1.0, 10.0)
    ]

    for outcome in outcomes:
        # Each epoch a matured point earns at most the cap, a fraction of what it cost.
        assert outcome.profit <= -outcome.budget // 2, outcome
