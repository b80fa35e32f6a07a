"""Gas budgets: what a member pays (receipts' `gasUsed`, base cost included), measured by
`cmir.gas.measure`, the function behind `ape run gas_report`."""

from __future__ import annotations

import pytest

from cmir.deployment import Deployment
from cmir.gas import GROWTH_SENSITIVE, MEMBER_COUNTS, OPERATIONS, GasMeasurement, measure

BUDGETS = {"join": 120_000, "cast_vote": 66_500, "pay_relation": 150_000, "claim": 65_000}
# pay_relation may not cost more with more members: at most 1 % apart across member counts.
GROWTH_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def measurements(module_chain_state: None, system: Deployment) -> list[GasMeasurement]:
    """Every operation measured once on the session's deployment (reverted after this module)."""
    return measure(system, MEMBER_COUNTS)


def _gas(measurements: list[GasMeasurement], operation: str) -> dict[int, int]:
    """Gas used by `operation`, by member count."""
    return {m.members: m.gas_used for m in measurements if m.operation == operation}


def test_every_operation_is_measured_at_the_expected_member_counts(
    measurements: list[GasMeasurement],
) -> None:
    assert {m.operation for m in measurements} == set(OPERATIONS)
    for operation in GROWTH_SENSITIVE:
        assert sorted(_gas(measurements, operation)) == sorted(MEMBER_COUNTS)
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


@pytest.mark.parametrize("operation", GROWTH_SENSITIVE)
def test_cost_does_not_grow_with_members(measurements: list[GasMeasurement], operation: str) -> None:
    used = _gas(measurements, operation)

    assert max(used.values()) <= min(used.values()) * (1 + GROWTH_TOLERANCE), f"{operation}: {used}"
