"""The signed-in session: who the user is, their token and their language.

This is the leaf every page's state derives from, so a page's handlers reach
the token as `self._token` without asking for another state. The token is a
backend-only var (leading underscore): it never travels to the browser.
"""

from __future__ import annotations

import contextlib

import reflex as rx
from reflex.event import EventSpec

from frontend.api import ApiClient, ApiError

STAFF_ROLES = ("admin", "payroll_clerk")


class SessionState(rx.State):
    """The user's session and the choices that follow them on every page."""

    language: str = "sv"
    user_name: str = ""
    user_email: str = ""
    role: str = ""
    company_id: int = 0
    employee_id: int = 0
    unread_notifications: int = 0
    _token: str = ""

    @rx.var
    def is_english(self) -> bool:
        return self.language == "en"

    @rx.var
    def signed_in(self) -> bool:
        return self.role != ""

    @rx.var
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @rx.var
    def is_admin(self) -> bool:
        return self.role == "admin"

    def api(self) -> ApiClient:
        """An API client acting as the signed-in user, in their language."""
        return ApiClient(self._token, self.language)

    @rx.event
    def set_language(self, language: str | list[str]) -> None:
        """Switch the UI (and the API's messages) between Swedish and English."""
        self.language = "en" if language == "en" else "sv"

    def start_session(
        self,
        *,
        token: str,
        name: str,
        email: str,
        role: str,
        company_id: int,
        employee_id: int | None,
        language: str,
    ) -> None:
        """Remember a successful sign-in."""
        self._token = token
        self.user_name = name
        self.user_email = email
        self.role = role
        self.company_id = company_id
        self.employee_id = employee_id or 0
        self.language = "en" if language == "en" else "sv"

    def end_session(self) -> None:
        """Forget the user; the language choice stays for the sign-in page."""
        self._token = ""
        self.user_name = ""
        self.user_email = ""
        self.role = ""
        self.company_id = 0
        self.employee_id = 0
        self.unread_notifications = 0

    def home_path(self) -> str:
        """Where this user starts: Min lön for employees, the start page for staff."""
        return "/min-lon" if self.role == "employee" else "/"

    @rx.event
    def require_staff(self) -> EventSpec | None:
        """Send anyone who is not signed-in staff to where they belong."""
        if not self._token:
            return rx.redirect("/login")
        if self.role not in STAFF_ROLES:
            return rx.redirect(self.home_path())
        return None

    @rx.event
    def require_employee(self) -> EventSpec | None:
        """Only a signed-in employee sees Min lön."""
        if not self._token:
            return rx.redirect("/login")
        if self.role != "employee":
            return rx.redirect(self.home_path())
        return None

    @rx.event
    async def sign_out(self) -> EventSpec:
        """End the session at the API (best effort) and here."""
        if self._token:
            # The session ends here either way; the API's token expires on its own.
            with contextlib.suppress(ApiError):
                await self.api().request("POST", "/api/auth/logout", type_=type(None))
        self.end_session()
        return rx.redirect("/login")

    def session_expired(self, error: ApiError) -> EventSpec | None:
        """When the API says the session has ended, sign out and go to sign-in."""
        if error.needs_sign_in:
            self.end_session()
            return rx.redirect("/login")
        return None
