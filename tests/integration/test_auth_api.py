"""Sign-in over HTTP: tokens, the same refusal for every wrong credential, expiry."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from backend.auth.models import AuthSession, User
from backend.auth.service import hash_password, hash_token, verify_password
from backend.db.base import utcnow
from backend.db.session import transaction
from tests.payroll_fixtures import PASSWORD, ApiServer, DemoCompany, build_company

WRONG_SV = "Fel e-postadress eller lösenord."
WRONG_EN = "Wrong e-mail address or password."


@pytest.fixture(scope="module")
def company(api_server: ApiServer) -> DemoCompany:
    return build_company(api_server.session_factory, with_run=False, employees=1)


def _login(
    server: ApiServer, email: str, password: str, **headers: str
) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/auth/login",
        json={"email": email, "password": password},
        headers=headers,
    )


def test_auth_login_returns_token_and_user(
    api_server: ApiServer, company: DemoCompany
) -> None:
    response = _login(api_server, company.clerk_email.upper(), PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == company.clerk_email
    assert body["user"]["role"] == "payroll_clerk"
    assert body["user"]["company_id"] == company.company_id
    me = httpx.get(
        f"{api_server.base_url}/api/auth/me",
        headers={"Authorization": f"Bearer {body['token']}"},
    )
    assert me.status_code == 200
    assert me.json() == body["user"]


def test_auth_login_stores_only_the_token_hash(
    api_server: ApiServer, company: DemoCompany
) -> None:
    token = _login(api_server, company.admin_email, PASSWORD).json()["token"]
    with transaction(api_server.session_factory) as session:
        hashes = set(session.scalars(select(AuthSession.token_hash)))
    assert hash_token(token) in hashes
    assert token not in hashes


def test_auth_login_refuses_wrong_password_and_unknown_email_alike(
    api_server: ApiServer, company: DemoCompany
) -> None:
    wrong_password = _login(api_server, company.clerk_email, "fel-lösenord")
    unknown_email = _login(api_server, "ingen@example.se", PASSWORD)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["title"] == WRONG_SV
        assert response.json()["code"] == "not_authenticated"
    english = _login(
        api_server, "ingen@example.se", PASSWORD, **{"Accept-Language": "en"}
    )
    assert english.json()["title"] == WRONG_EN


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz"]
)
def test_auth_me_refuses_missing_or_unknown_token(
    api_server: ApiServer, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{api_server.base_url}/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_auth_logout_ends_the_session(
    api_server: ApiServer, company: DemoCompany
) -> None:
    token = _login(api_server, company.employee_email, PASSWORD).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        httpx.get(f"{api_server.base_url}/api/auth/me", headers=headers).status_code
        == 200
    )
    logout = httpx.post(f"{api_server.base_url}/api/auth/logout", headers=headers)
    assert logout.status_code == 204
    assert (
        httpx.get(f"{api_server.base_url}/api/auth/me", headers=headers).status_code
        == 401
    )


def test_auth_expired_session_is_refused(
    api_server: ApiServer, company: DemoCompany
) -> None:
    token = _login(api_server, company.admin_email, PASSWORD).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with transaction(api_server.session_factory) as session:
        session.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == hash_token(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = httpx.get(f"{api_server.base_url}/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert "gått ut" in response.json()["title"]


def test_auth_employee_user_knows_their_employee(
    api_server: ApiServer, company: DemoCompany
) -> None:
    body = _login(api_server, company.employee_email, PASSWORD).json()
    assert body["user"]["role"] == "employee"
    assert body["user"]["employee_id"] == company.employee_ids[0]
    with transaction(api_server.session_factory) as session:
        user = session.scalar(select(User).where(User.email == company.employee_email))
        assert user is not None
        assert user.password_hash.startswith("scrypt$")


def test_auth_password_hash_verifies_only_its_password() -> None:
    stored = hash_password("rätt lösenord")
    assert verify_password("rätt lösenord", stored)
    assert not verify_password("fel lösenord", stored)
    assert not verify_password("rätt lösenord", "not-a-hash")
    assert hash_password("rätt lösenord") != stored  # a new salt each time
