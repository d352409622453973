"""The sign-in page: e-mail and password, then on to the user's start page."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from frontend import auth_logic
from frontend.api import ApiError
from frontend.auth_logic import LoginPhase
from frontend.components.layout import language_switch
from frontend.components.text import tr
from frontend.state import SessionState
from shared_types.auth import LoginRequest, LoginResponse


class LoginState(SessionState):
    """The sign-in form."""

    email: str = ""
    password: str = ""
    phase: LoginPhase = LoginPhase.EDITING
    error: str = ""

    @rx.event
    def set_email(self, value: str) -> None:
        self.email = value

    @rx.event
    def set_password(self, value: str) -> None:
        self.password = value

    @rx.event
    async def sign_in(self, _form: dict[str, str] | None = None) -> EventSpec | None:
        """Send the credentials; on success remember the session and go home."""
        invalid = auth_logic.validate_credentials(self.email, self.password)
        if invalid:
            self.phase = LoginPhase.FAILED
            self.error = invalid[1] if self.is_english else invalid[0]
            return None
        self.phase = auth_logic.submit(self.phase)
        try:
            answer = await self.api().request(
                "POST",
                "/api/auth/login",
                type_=LoginResponse,
                body=LoginRequest(email=self.email.strip(), password=self.password),
            )
        except ApiError as error:
            self.phase = auth_logic.finish(succeeded=False)
            self.error = error.message
            self.password = ""
            return None
        user = answer.user
        self.start_session(
            token=answer.token,
            name=user.name,
            email=user.email,
            role=user.role,
            company_id=user.company_id,
            employee_id=user.employee_id,
            language=self.language,
        )
        self.phase = auth_logic.finish(succeeded=True)
        self.error = ""
        self.password = ""
        return rx.redirect(self.home_path())


def login_page() -> rx.Component:
    """The sign-in form, centred, with the language switch above it."""
    return rx.center(
        rx.card(
            rx.form(
                rx.flex(
                    rx.flex(
                        rx.heading("Kivra i Lön", size="6", as_="h1"),
                        rx.spacer(),
                        language_switch(),
                        align="center",
                        wrap="wrap",
                        spacing="3",
                    ),
                    rx.text(
                        tr(
                            "Logga in för att skicka lönebesked.",
                            "Sign in to send payslips.",
                        ),
                        color_scheme="gray",
                    ),
                    rx.el.label(
                        tr("E-postadress", "E-mail address"),
                        html_for="login-email",
                        font_weight="500",
                    ),
                    rx.input(
                        id="login-email",
                        name="email",
                        type="email",
                        auto_complete="username",
                        value=LoginState.email,
                        on_change=LoginState.set_email,
                        size="3",
                        required=True,
                    ),
                    rx.el.label(
                        tr("Lösenord", "Password"),
                        html_for="login-password",
                        font_weight="500",
                    ),
                    rx.input(
                        id="login-password",
                        name="password",
                        type="password",
                        auto_complete="current-password",
                        value=LoginState.password,
                        on_change=LoginState.set_password,
                        size="3",
                        required=True,
                    ),
                    rx.cond(
                        LoginState.phase == LoginPhase.FAILED,
                        rx.callout(
                            LoginState.error,
                            icon="triangle_alert",
                            color_scheme="red",
                            role="alert",
                            id="login-error",
                        ),
                    ),
                    rx.button(
                        tr("Logga in", "Sign in"),
                        type="submit",
                        size="3",
                        loading=LoginState.phase == LoginPhase.SUBMITTING,
                        id="login-submit",
                    ),
                    direction="column",
                    spacing="3",
                ),
                on_submit=LoginState.sign_in,
                reset_on_submit=False,
            ),
            width="100%",
            max_width="420px",
            size="4",
        ),
        min_height="100vh",
        padding="var(--space-4)",
        lang=SessionState.language,
    )
