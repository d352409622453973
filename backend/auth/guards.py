"""The `current_user` dependency and the checks every handler makes with it.

The app provides `current_user` to every handler that names it
(`current_user: CurrentUserDep`); it answers 401 when the bearer token is
missing, unknown or expired. Handlers under `/api/companies/{company_id}/`
then call one of the `require_*` checks: another company's id answers 404,
as if the company did not exist, so ids of other customers are not revealed;
a user of the right company without the role answers 403. Employees (role
`employee`) are refused every company route and reach only `/api/me/...`.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from litestar import Request
from litestar.di import NamedDependency

from backend.auth.service import CurrentUser, authenticate
from backend.deps import DbSession
from backend.errors import AuthenticationError, ForbiddenError, NotFoundError

CurrentUserDep: TypeAlias = NamedDependency[CurrentUser]


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    """Return the token of an `Authorization: Bearer <token>` header."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def provide_current_user(
    request: Request[Any, Any, Any], db_session: DbSession
) -> CurrentUser:
    """Resolve the request's bearer token to its user, or answer 401."""
    token = bearer_token(request)
    if token is None:
        raise AuthenticationError("Du behöver logga in.", "You need to sign in.")
    return authenticate(db_session, token)


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
