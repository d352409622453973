"""The `current_user` dependency and the checks every handler makes with it.

`authenticate_request`, the guard of the `/api` router, resolves the bearer
token of every handler that names `current_user` (`current_user:
CurrentUserDep`) before Litestar reads the request's body or query, so a
missing or expired token answers 401 and a user of the wrong company or role
404/403 whatever the request carries. The `current_user` dependency then
hands the handler the user the guard found. Handlers under
`/api/companies/{company_id}/` still call one of the `require_*` checks:
another company's id answers 404, as if the company did not exist, so ids of
other customers are not revealed; a user of the right company without the
role answers 403. Employees (role `employee`) are refused every company route
and reach only `/api/me/...`.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeAlias

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from sqlalchemy.orm import Session, sessionmaker

from backend.auth.service import CurrentUser, authenticate
from backend.errors import AuthenticationError, ForbiddenError, NotFoundError

CurrentUserDep: TypeAlias = NamedDependency[CurrentUser]


def bearer_token(request: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """Return the token of an `Authorization: Bearer <token>` header."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _sign_in_required() -> AuthenticationError:
    return AuthenticationError("Du behöver logga in.", "You need to sign in.")


def _authenticate_with(factory: sessionmaker[Session], token: str) -> CurrentUser:
    with factory() as session:
        return authenticate(session, token)


async def authenticate_request(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Resolve the bearer token before the body is read, for handlers that need a user.

    On a company route, another company's id answers 404 and an employee 403
    here too, so a malformed body never tells an outsider more than that.
    """
    if "current_user" not in handler.parsed_fn_signature.parameters:
        return
    token = bearer_token(connection)
    if token is None:
        raise _sign_in_required()
    factory: sessionmaker[Session] = connection.app.state.session_factory
    user = await asyncio.to_thread(_authenticate_with, factory, token)
    connection.state.current_user = user
    company_id = connection.path_params.get("company_id")
    if company_id is not None:
        require_staff(user, int(company_id))


def provide_current_user(request: Request[Any, Any, Any]) -> CurrentUser:
    """Return the user `authenticate_request` found for this request."""
    user: CurrentUser | None = request.state.get("current_user")
    if user is None:
        # Only a route outside the guarded `/api` router could get here.
        raise _sign_in_required()
    return user


def company_not_found() -> NotFoundError:
    return NotFoundError("Företaget finns inte.", "The company does not exist.")


def require_company(user: CurrentUser, company_id: int) -> None:
    """Let only users of `company_id` through; others get 404."""
    if user.company_id != company_id:
        raise company_not_found()


def require_staff(user: CurrentUser, company_id: int) -> None:
    """Let only the company's admins and payroll clerks through."""
    require_company(user, company_id)
    if not user.is_staff:
        raise ForbiddenError(
            "Bara företagets administratörer och lönehandläggare har tillgång till detta.",
            "Only the company's administrators and payroll clerks have access to this.",
        )


def require_admin(user: CurrentUser, company_id: int) -> None:
    """Let only the company's admins through."""
    require_company(user, company_id)
    if not user.is_admin:
        raise ForbiddenError(
            "Bara företagets administratörer får göra detta.",
            "Only the company's administrators may do this.",
        )


def require_employee(user: CurrentUser) -> int:
    """Let only an employee through (Min lön); return their employee id."""
    if user.employee_id is None:
        raise ForbiddenError(
            "Min lön är bara för anställda.", "Min lön is for employees only."
        )
    return user.employee_id
