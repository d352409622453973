"""The emulator's auth, scopes, tenants and access requests over HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.emulator_fixtures import EmulatorHandle, KivraTestClient

VAT = "SE556840226601"
FOREIGN_VAT = "SE559408724801"


def _code(response: httpx.Response) -> int:
    return int(str(response.json()["code"]))


def test_auth_issues_bearer_token_for_eight_hours(kivra_api: KivraTestClient) -> None:
    response = kivra_api.authenticate()
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 28800
    assert body["access_token"]
    assert kivra_api.problems == []


@pytest.mark.parametrize(
    ("credentials", "data", "status", "code"),
    [
        pytest.param(
            ("kivra-lon-test", "wrong"),
            {"grant_type": "client_credentials"},
            401,
            40104,
            id="bad-secret",
        ),
        pytest.param(
            ("nobody", "x"),
            {"grant_type": "client_credentials"},
            401,
            40104,
            id="unknown-client",
        ),
        pytest.param(
            None, {"grant_type": "client_credentials"}, 401, 40104, id="no-credentials"
        ),
        pytest.param("ok", {"grant_type": "password"}, 400, 40001, id="bad-grant-type"),
    ],
)
def test_auth_refuses_bad_requests(
    kivra_emulator: EmulatorHandle,
    credentials: tuple[str, str] | str | None,
    data: dict[str, str],
    status: int,
    code: int,
) -> None:
    auth = (
        (kivra_emulator.client_id, kivra_emulator.client_secret)
        if credentials == "ok"
        else credentials
    )
    response = httpx.post(f"{kivra_emulator.base_url}/v1/auth", auth=auth, data=data)  # type: ignore[arg-type]
    assert response.status_code == status
    assert _code(response) == code
    assert response.headers["x-error-code"] == str(code)


def test_api_without_valid_token_answers_401(kivra_api: KivraTestClient) -> None:
    kivra_api.token = "not-a-token"
    response = kivra_api.request("GET", "/v2/tenant")
    assert response.status_code == 401
    assert _code(response) == 40100


def test_token_expires_after_its_lifetime(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle
) -> None:
    assert kivra_api.request("GET", "/v2/tenant").status_code == 200
    kivra_emulator.operator.advance_clock(28801)
    response = kivra_api.request("GET", "/v2/tenant")
    assert response.status_code == 401
    assert _code(response) == 40100


def test_operator_can_expire_tokens(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle
) -> None:
    assert kivra_emulator.operator.expire_tokens() >= 1
    assert kivra_api.request("GET", "/v2/tenant").status_code == 401
    kivra_api.authenticate()
    assert kivra_api.request("GET", "/v2/tenant").status_code == 200


def test_token_scope_is_frozen_at_issue(kivra_api: KivraTestClient) -> None:
    """A tenant created after the token was issued is outside it until re-auth."""
    response = kivra_api.request(
        "POST",
        "/v2/tenant",
        json={
            "name": "Lenas Konditori AB",
            "company_id": [{"name": "Lenas Konditori AB", "orgnr": VAT}],
        },
    )
    key = response.headers["kivra-objkey"]

    before = kivra_api.request("GET", f"/v2/tenant/{key}")
    kivra_api.authenticate()
    after = kivra_api.request("GET", f"/v2/tenant/{key}")

    assert before.status_code == 403
    assert _code(before) == 40300
    assert after.status_code == 200
    assert kivra_api.problems == []


def test_auth_scope_narrows_token(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle
) -> None:
    key = kivra_api.create_tenant()
    kivra_emulator.operator.seed_recipient("191212121212", "active")
    response = kivra_api.authenticate(scope=f"post:kivra.v1.tenant.{key}.content")
    assert response.json()["scope"] == f"post:kivra.v1.tenant.{key}.content"

    letter = {"ssn": "191212121212", "subject": "Hej", "type": "letter"}
    assert kivra_api.send(key, letter).status_code == 201
    denied = kivra_api.request("GET", f"/v2/tenant/{key}")
    assert denied.status_code == 403
    assert _code(denied) == 40300


def test_auth_refuses_scope_beyond_the_clients_grant(
    kivra_api: KivraTestClient,
) -> None:
    response = kivra_api.authenticate(
        scope="post:kivra.v2.tenant.1700000000abcdefabcdefabcdefabcdefabcdefab.content"
    )
    assert response.status_code == 400
    assert _code(response) == 40003


def test_tenant_create_then_again_answers_200_with_same_key(
    kivra_api: KivraTestClient,
) -> None:
    body = {
        "name": "Lenas Konditori AB",
        "company_id": [{"name": "Lenas Konditori AB", "orgnr": VAT}],
    }
    first = kivra_api.request("POST", "/v2/tenant", json=body)
    second = kivra_api.request("POST", "/v2/tenant", json=body)

    assert first.status_code == 201
    assert second.status_code == 200
    key = first.headers["kivra-objkey"]
    assert second.headers["kivra-objkey"] == key
    assert first.headers["location"].endswith(f"/v2/tenant/{key}")
    assert len(key) == 42
    assert key[:10].isdigit()
    assert int(key[10:], 16) >= 0
    assert first.json()["company_id"] == body["company_id"]
    assert kivra_api.problems == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param({"name": "Utan orgnr"}, 40000, id="no-company-id"),
        pytest.param(
            {"name": "X", "company_id": [{"name": "X", "orgnr": "5568402266"}]},
            40018,
            id="orgnr-not-vat",
        ),
    ],
)
def test_tenant_create_validates_body(
    kivra_api: KivraTestClient, body: dict[str, object], code: int
) -> None:
    response = kivra_api.request("POST", "/v2/tenant", json=body)
    assert response.status_code == 400
    assert _code(response) == code


def test_tenant_of_another_client_answers_409_naming_it(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle
) -> None:
    foreign = kivra_emulator.operator.seed_foreign_tenant(
        "559408-7248", name="Bolaget Annat AB"
    )
    body = {
        "name": "Vårt namn",
        "company_id": [{"name": "Vårt namn", "orgnr": FOREIGN_VAT}],
    }
    response = kivra_api.request("POST", "/v2/tenant", json=body)

    assert response.status_code == 409
    error = response.json()
    assert error["code"] == "40915"
    assert foreign["key"] in error["long_message"]
    assert "Bolaget Annat AB" in error["long_message"]
    assert FOREIGN_VAT in error["long_message"]
    assert kivra_api.problems == []


def test_tenant_list_rename_and_company_ids(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle
) -> None:
    key = kivra_api.create_tenant()
    assert kivra_api.request("GET", "/v2/tenant").json() == [{"key": key}]
    assert kivra_api.request("GET", "/v2/tenant", params={"orgnr": VAT}).json() == [
        {"key": key}
    ]
    assert (
        kivra_api.request("GET", "/v2/tenant", params={"orgnr": FOREIGN_VAT}).json()
        == []
    )

    assert (
        kivra_api.request(
            "PUT", f"/v2/tenant/{key}/name", json={"name": "Nytt Namn AB"}
        ).status_code
        == 200
    )
    extra = {"company_id": {"name": "Dotterbolaget AB", "orgnr": "SE556917354401"}}
    assert (
        kivra_api.request(
            "POST", f"/v2/tenant/{key}/company_id", json=extra
        ).status_code
        == 204
    )
    tenant = kivra_api.request("GET", f"/v2/tenant/{key}").json()
    assert tenant["name"] == "Nytt Namn AB"
    assert [c["orgnr"] for c in tenant["company_id"]] == [VAT, "SE556917354401"]

    assert (
        kivra_api.request(
            "DELETE", f"/v2/tenant/{key}/company_id/SE556917354401"
        ).status_code
        == 204
    )
    assert [
        c["orgnr"]
        for c in kivra_api.request("GET", f"/v2/tenant/{key}").json()["company_id"]
    ] == [VAT]

    kivra_emulator.operator.seed_foreign_tenant(FOREIGN_VAT)
    taken = {"company_id": {"name": "Annat", "orgnr": FOREIGN_VAT}}
    assert (
        _code(kivra_api.request("POST", f"/v2/tenant/{key}/company_id", json=taken))
        == 40915
    )
    assert kivra_api.problems == []


def test_access_request_accepted_applies_to_new_tokens_only(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle
) -> None:
    foreign = kivra_emulator.operator.seed_foreign_tenant(
        FOREIGN_VAT, name="Bolaget Annat AB"
    )
    first = kivra_api.request(
        "POST", "/v2/tenant/request_access", json={"vat_number": FOREIGN_VAT}
    )
    again = kivra_api.request(
        "POST", "/v2/tenant/request_access", json={"vat_number": FOREIGN_VAT}
    )

    assert first.status_code == 201
    request_key = first.headers["kivra-objkey"]
    assert again.headers["kivra-objkey"] == request_key
    assert first.headers["location"].endswith(
        f"/v2/tenant/request_access/{request_key}"
    )
    assert first.json()["status"] == "pending"
    assert first.json()["tenant_key"] == foreign["key"]

    kivra_emulator.operator.accept_access_request(request_key)
    polled = kivra_api.request("GET", f"/v2/tenant/request_access/{request_key}")
    assert polled.json()["status"] == "accepted"
    assert kivra_api.request("GET", f"/v2/tenant/{foreign['key']}").status_code == 403

    kivra_api.authenticate()
    assert kivra_api.request("GET", f"/v2/tenant/{foreign['key']}").status_code == 200
    body = {
        "name": "Vårt namn",
        "company_id": [{"name": "Vårt namn", "orgnr": FOREIGN_VAT}],
    }
    assert kivra_api.request("POST", "/v2/tenant", json=body).status_code == 200
    assert kivra_api.problems == []


def test_access_request_rejected_keeps_tenant_out(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle
) -> None:
    foreign = kivra_emulator.operator.seed_foreign_tenant(FOREIGN_VAT)
    created = kivra_api.request(
        "POST", "/v2/tenant/request_access", json={"vat_number": FOREIGN_VAT}
    )
    kivra_emulator.operator.reject_access_request(created.headers["kivra-objkey"])
    kivra_api.authenticate()

    polled = kivra_api.request(
        "GET", f"/v2/tenant/request_access/{created.headers['kivra-objkey']}"
    )
    assert polled.json()["status"] == "rejected"
    assert kivra_api.request("GET", f"/v2/tenant/{foreign['key']}").status_code == 403


def test_access_request_unknown_key_answers_404(kivra_api: KivraTestClient) -> None:
    response = kivra_api.request(
        "GET", "/v2/tenant/request_access/1700000000abcdefabcdefabcdefabcdefabcdefab"
    )
    assert response.status_code == 404
    assert _code(response) == 40400
    assert kivra_api.problems == []


def test_unknown_path_answers_kivra_404(kivra_api: KivraTestClient) -> None:
    response = kivra_api.request("GET", "/v9/nothing")
    assert response.status_code == 404
    assert _code(response) == 40400
    assert response.headers["x-correlation-id"]
