"""The spec judge: Kivra's own examples pass, broken bodies are named."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from backend.kivra import spec


def _examples() -> dict[str, dict[str, Any]]:
    operation = spec.load_spec()["paths"][spec.CONTENT_PATH]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    return {name: item["value"] for name, item in examples.items()}


EXAMPLES = _examples()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_spec_content_examples_pass_their_branch(name: str) -> None:
    assert spec.validate_content(EXAMPLES[name]) == []


def test_spec_content_branch_follows_recipient_key() -> None:
    assert (
        spec.content_schema_name({"vat_number": "SE556840226601"}) == "Content_company"
    )
    assert spec.content_schema_name({"ssn": "191212121212"}) == "Content_user_v2"
    assert spec.content_schema_name({"email": "a@example.com"}) == "Content_user_v2"


def test_spec_company_example_matches_both_branches() -> None:
    """Why the branch is chosen by key: matching both, it fails the operation's oneOf."""
    body = EXAMPLES["invoice to company"]
    assert spec.validate_schema("Content_company", body) == []
    assert spec.validate_schema("Content_user_v2", body) == []


def test_spec_content_missing_subject_is_named() -> None:
    body = copy.deepcopy(EXAMPLES["letter to user"])
    del body["subject"]
    assert spec.validate_content(body) == ["$: 'subject' is a required property"]


def test_spec_broken_salary_slip_is_caught_through_the_content_ref() -> None:
    body = copy.deepcopy(EXAMPLES["salary slip to user"])
    body["salaryslip"]["pay_period"]["gross_pay"]["monetary_amount"] = "12,50"
    body["salaryslip"]["employment"]["employer"]["nickname"] = "typo"
    errors = spec.validate_content(body)
    assert len(errors) == 2
    assert any("gross_pay.monetary_amount" in e for e in errors)
    assert any("'nickname' was unexpected" in e for e in errors)


def test_spec_salary_slip_validates_on_its_own() -> None:
    slip = copy.deepcopy(EXAMPLES["salary slip to user"]["salaryslip"])
    assert spec.validate_salary_slip(slip) == []
    del slip["document_metadata"]
    assert spec.validate_salary_slip(slip) == [
        "$: 'document_metadata' is a required property"
    ]


@pytest.mark.parametrize(
    ("name", "instance", "valid"),
    [
        (
            "Tenant_v2",
            {"name": "A", "company_id": [{"name": "A", "orgnr": "SE556840226601"}]},
            True,
        ),
        ("Tenant_v2", {"name": "A"}, False),
        ("UserMatchV2SSN", {"list": ["191212121212"]}, True),
        ("UserMatchV2SSN", {"list": [191212121212]}, False),
        ("RequestAccess", {"status": "pending", "tenant_key": "x"}, True),
        ("CompanyId", {"name": "A"}, False),
    ],
)
def test_spec_component_schema_by_name(name: str, instance: Any, valid: bool) -> None:
    assert (spec.validate_schema(name, instance) == []) is valid


def test_spec_unknown_schema_name_raises() -> None:
    with pytest.raises(KeyError):
        spec.validate_schema("NoSuchSchema", {})


def test_spec_response_is_judged_by_operation_and_status() -> None:
    tenant = {"name": "A", "company_id": [{"name": "A", "orgnr": "SE556840226601"}]}
    assert spec.validate_response("POST", "/v2/tenant", 201, tenant) == []
    assert spec.validate_response("POST", "/v2/tenant", 201, {"name": 1}) != []
    conflict = {"code": "40915", "short_message": "s", "long_message": "l"}
    assert spec.validate_response("post", "/v2/tenant", 409, conflict) == []
    assert spec.validate_response("post", spec.CONTENT_PATH, 201, {"subject": 5}) == [
        "$.subject: 5 is not of type 'string'"
    ]


def test_spec_response_without_schema_accepts_anything() -> None:
    assert not spec.has_response_schema("put", "/v2/tenant/{tenantKey}/name", 200)
    assert spec.validate_response("put", "/v2/tenant/{tenantKey}/name", 200, [1]) == []
    assert spec.validate_response("get", "/nowhere", 200, None) == []


def test_spec_path_template_prefers_static_segments() -> None:
    assert (
        spec.path_template("/v2/tenant/request_access") == "/v2/tenant/request_access"
    )
    assert spec.path_template("/v2/tenant/abc/content") == spec.CONTENT_PATH
    assert spec.path_template("/v1/auth") is None


def test_spec_error_catalogue_lookup() -> None:
    entry = spec.error_message("40915")
    assert entry is not None
    assert entry.code == 40915
    assert entry.short_message
    assert spec.error_message(42900) == spec.error_message("42900")
    assert spec.error_message(12345) is None
    assert spec.error_message("abc") is None


def test_spec_openapi_for_tools_is_repaired() -> None:
    document = spec.openapi_for_tools()
    assert document["info"]["version"]
    flows = document["components"]["securitySchemes"]["oAuth2Client"]["flows"]
    assert flows["clientCredentials"]["scopes"] == {}
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                assert all(isinstance(key, str) for key in operation["responses"])
    assert "$ref" not in document["paths"][spec.CONTENT_PATH]


def test_spec_response_headers_are_listed() -> None:
    assert spec.response_headers("post", spec.CONTENT_PATH, 201) == [
        "kivra-objkey",
        "kivra-retained",
        "location",
    ]
    assert spec.response_headers("post", "/v2/tenant", 409) == []
    assert spec.response_headers("get", "/nowhere", 200) == []
