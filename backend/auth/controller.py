"""Sign-in routes: `/api/auth/login`, `/api/auth/me`, `/api/auth/logout`."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from backend.auth import service
from backend.auth.guards import CurrentUserDep, bearer_token
from backend.auth.models import User
from backend.deps import AppSettings, DbSession
from shared_types.auth import LoginRequest, LoginResponse, UserInfo


def user_info(user: User | service.CurrentUser) -> UserInfo:
    return UserInfo(
        id=user.id,
        company_id=user.company_id,
        name=user.name,
        email=user.email,
        role=user.role,  # type: ignore[arg-type]
        employee_id=user.employee_id,
        language=user.language,  # type: ignore[arg-type]
    )


class AuthController(Controller):
    path = "/auth"
    tags = ("auth",)

    @post("/login", sync_to_thread=True, status_code=HTTP_200_OK)
    def login(
        self, data: JSONBody[LoginRequest], db_session: DbSession, settings: AppSettings
    ) -> LoginResponse:
        """Sign in with e-mail and password; answers a bearer token."""
        token, expires_at, user = service.login(
            db_session, data.email, data.password, session_hours=settings.session_hours
        )
        return LoginResponse(token=token, expires_at=expires_at, user=user_info(user))

    @get("/me", sync_to_thread=True)
    def me(self, current_user: CurrentUserDep) -> UserInfo:
        """Answer who is signed in."""
        return user_info(current_user)

    @post("/logout", sync_to_thread=True, status_code=HTTP_204_NO_CONTENT)
    def logout(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> None:
        """End the session of the bearer token used for this call."""
        token = bearer_token(request)
        if token is not None:
            service.logout(db_session, token)
