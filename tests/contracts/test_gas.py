"""Gas budgets: what a member pays (receipts' `gasUsed`, base cost included), measured by
`cmir.dev.gas.measure`, the function behind `ape run gas_report`. `pay_relation` and `claim` are
measured at their dearest (the first booking of an epoch, maturing pending points) at every
member count after every number of idle epochs, and must cost the same, within 1 %, whatever
either."""

from __future__ import annotations

from itertools import product

import pytest

from cmir.chain.deploy import Deployment
from cmir.dev.gas import (
    EPOCHS_ELAPSED,
    GROWTH_SENSITIVE,
    MEMBER_COUNTS,
    OPERATIONS,
    GasMeasurement,
    measure,
    summary,
)

BUDGETS = {
    "join": 120_000,
    "cast_vote": 66_500,
    # a vote signed by the member and relayed (at most 90,000 for the relayer); a member's first
    # signed vote once costs ~17,000 more (its nonce's first write, zero to non-zero)
    "relayed_vote": 90_000,
    "relayed_vote_first": 100_000,
    "pay_relation": 165_000,
    # the same payment signed (permit and ERC-2771 request) and sent by a relayer, through the
    # forwarder: what the members' app sends for a member without ether
    "forwarded_pay_relation": 200_000,
    "claim": 70_000,
}
# pay_relation and claim may not cost more with more members, nor after more idle epochs: at
# most 1 % apart across member counts and across epochs.
GROWTH_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def measurements(module_chain_state: None, system: Deployment) -> list[GasMeasurement]:
    """Every operation measured once on the session's deployment (reverted after this module);
    the table is printed (shown with `-s`)."""
    measured = measure(system, MEMBER_COUNTS, epochs_elapsed=EPOCHS_ELAPSED)
    print(f"\n{summary(measured)}")
    return measured


def _gas(measurements: list[GasMeasurement], operation: str) -> dict[tuple[int, int], int]:
    """Gas used by `operation`, by (member count, epochs elapsed)."""
    used: dict[tuple[int, int], int] = {}
    for m in measurements:
        if m.operation == operation:
            assert (m.members, m.epochs_elapsed) not in used, f"{operation} measured twice at {m}"
            used[(m.members, m.epochs_elapsed)] = m.gas_used
    return used


def _spread(used: dict[tuple[int, int], int]) -> bool:
    """Whether the highest of `used` is within the tolerance of the lowest."""
    return max(used.values()) <= min(used.values()) * (1 + GROWTH_TOLERANCE)


def test_every_operation_is_measured_at_every_member_count_after_every_idle_stretch(
    measurements: list[GasMeasurement],
) -> None:
    assert {m.operation for m in measurements} == set(OPERATIONS)
    for operation in GROWTH_SENSITIVE:
        assert sorted(_gas(measurements, operation)) == sorted(product(MEMBER_COUNTS, EPOCHS_ELAPSED))
    for operation in set(OPERATIONS) - set(GROWTH_SENSITIVE):
        assert len(_gas(measurements, operation)) == 1
    # gasUsed includes the 21,000 every transaction pays.
    assert all(m.gas_used > 21_000 for m in measurements)


@pytest.mark.parametrize(("operation", "budget"), sorted(BUDGETS.items()))
def test_operation_stays_within_budget(
    measurements: list[GasMeasurement], operation: str, budget: int
) -> None:
    used = _gas(measurements, operation)

    assert used, f"{operation} was not measured"
    assert max(used.values()) <= budget, f"{operation}: {used} gas, budget {budget:,}"


@pytest.mark.parametrize("epochs", EPOCHS_ELAPSED)
@pytest.mark.parametrize("operation", GROWTH_SENSITIVE)
def test_cost_does_not_grow_with_members(
    measurements: list[GasMeasurement], operation: str, epochs: int
) -> None:
    used = {key: gas for key, gas in _gas(measurements, operation).items() if key[1] == epochs}

    assert sorted(members for members, _ in used) == sorted(MEMBER_COUNTS)
    assert _spread(used), f"{operation} after {epochs} epochs: {used}"


@pytest.mark.parametrize("members", MEMBER_COUNTS)
@pytest.mark.parametrize("operation", GROWTH_SENSITIVE)
def test_cost_does_not_grow_with_idle_epochs(
    measurements: list[GasMeasurement], operation: str, members: int
) -> None:
    used = {key: gas for key, gas in _gas(measurements, operation).items() if key[0] == members}

    assert sorted(epochs for _, epochs in used) == sorted(EPOCHS_ELAPSED)
    assert _spread(used), f"{operation} at {members} members: {used}"
