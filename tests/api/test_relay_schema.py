"""schemathesis over the relayer's and the metadata store's operations, on the relayer's own
chain (the shared world is read-only): for generated valid and invalid requests, no server error,
and every response (refusals included) conforms to its documented status, type and schema."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from cmir.api.app import create_app
from tests.api.relay_world import RelayWorld, relay_world

EXAMPLES = int(os.environ.get("CMIR_SCHEMATHESIS_EXAMPLES", "60"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayWorld]:
    with relay_world(tmp_path_factory.mktemp("relay-schema")) as built:
        yield built


@pytest.fixture(scope="module")
def relay_schema(world: RelayWorld) -> Iterator[Any]:
    """The API's schema, loaded from the running application (lifespan started)."""
    app = create_app(world.settings())
    with TestClient(app):
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("relay_schema").include(path_regex=r"^/api/v1/(relay|ess/metadata)")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
    derandomize=True,
    database=None,
)
def test_every_relayer_response_conforms(case: Any) -> None:
    # A well-formed request is refused for what OpenAPI cannot say (a signature over other
    # fields, a nonce, a member): 4xx by design, not a rejected valid request.
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500
