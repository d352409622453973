"""A bounded schemathesis run of Kivra's swagger.yml against the running emulator.

Only the operations the emulator implements are exercised, each with the
spec's own examples plus a few generated cases. Every answer must be free of
5xx, conform to the spec's response schema where one exists and carry
`x-correlation-id`.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from backend.kivra import spec
from tests.emulator_fixtures import EmulatorHandle, KivraTestClient

IMPLEMENTED = [
    ("POST", "/v2/tenant"),
    ("GET", "/v2/tenant"),
    ("GET", "/v2/tenant/{tenantKey}"),
    ("PUT", "/v2/tenant/{tenantKey}/name"),
    ("POST", "/v2/tenant/{tenantKey}/company_id"),
    ("DELETE", "/v2/tenant/{tenantKey}/company_id/{orgNr}"),
    ("POST", "/v2/tenant/request_access"),
    ("GET", "/v2/tenant/request_access/{requestKey}"),
    ("POST", "/v2/tenant/{tenantKey}/usermatch/ssn"),
    ("POST", "/v2/tenant/{tenantKey}/usermatch/verified_email"),
    ("POST", "/v2/tenant/{tenantKey}/companymatch/vatnr"),
    ("POST", spec.CONTENT_PATH),
    ("GET", "/v2/webhooks/payments"),
    ("POST", "/v2/webhooks/payments"),
    ("PATCH", "/v2/webhooks/payments/{id}"),
    ("DELETE", "/v2/webhooks/payments/{id}"),
    ("POST", "/v2/webhooks/payments/{id}/test"),
]

SCHEMA = schemathesis.openapi.from_dict(spec.openapi_for_tools())


def _operation(method: str, path: str) -> Any:
    for result in SCHEMA.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == method and operation.path == path:
            return operation
    raise LookupError(f"{method} {path} not in the spec")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "path"), IMPLEMENTED, ids=[f"{m} {p}" for m, p in IMPLEMENTED]
)
def test_emulator_conforms_to_kivra_spec_under_schemathesis(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, method: str, path: str
) -> None:
    tenant = kivra_api.create_tenant()
    kivra_emulator.operator.seed_recipient("191212121212", "active")
    kivra_emulator.operator.seed_foreign_tenant("SE559408724801")
    # A definition whose URL refuses connections, so test deliveries go nowhere.
    webhook = kivra_api.request(
        "POST", "/v2/webhooks/payments", json={"url": "http://127.0.0.1:9/hooks"}
    ).json()["id"]
    headers = {"authorization": f"Bearer {kivra_api.token}"}
    operation = _operation(method, path)

    @settings(
        max_examples=6,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def exercise(case: Any) -> None:
        if case.path_parameters and "tenantKey" in case.path_parameters:
            # A random key is just 403; the real one reaches the handler's checks.
            case.path_parameters["tenantKey"] = tenant
        if case.path_parameters and "id" in case.path_parameters:
            case.path_parameters["id"] = webhook
        response = case.call(
            base_url=kivra_emulator.base_url, headers=headers, timeout=10
        )
        assert response.headers.get("x-correlation-id")
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance]
        )

    exercise()
