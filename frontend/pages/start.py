"""The start page for staff: the company, its payroll runs and Kivra's state."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx
from reflex.event import EventSpec

from frontend.api import ApiError
from frontend.components.layout import page_frame
from frontend.components.text import tr
from frontend.state import SessionState


@dataclass(frozen=True)
class RunRow:
    """One payroll run in the start page's list."""

    period: str
    pay_date: str
    final: bool
    payslips: int
    invalid: int
    href: str


class StartState(SessionState):
    """What the start page shows."""

    company_name: str = ""
    runs: list[RunRow] = []
    card_state: str = ""
    loaded: bool = False
    error: str = ""

    @rx.event
    async def load(self) -> EventSpec | None:
        """Read the company, its runs and the Kivra card."""
        if not self._token:
            return rx.redirect("/login")
        if self.role == "employee":
            return rx.redirect("/min-lon")
        api = self.api()
        try:
            company = await api.company(self.company_id)
            runs = await api.payroll_runs(self.company_id)
            card = await api.kivra_card(self.company_id)
            notices = await api.notifications()
        except ApiError as error:
            self.error = error.message
            self.loaded = True
            return self.session_expired(error)
        self.company_name = company.name
        self.runs = [
            RunRow(
                period=run.period,
                pay_date=run.pay_date.isoformat(),
                final=run.state == "final",
                payslips=run.payslip_count,
                invalid=run.invalid_payslip_count,
                href=f"/lonekorning?period={run.period}",
            )
            for run in runs.items
        ]
        self.card_state = card.state
        self.unread_notifications = notices.unread
        self.error = ""
        self.loaded = True
        return None


def _run_row(run: rx.Var[RunRow]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(run.period, href=run.href)),
        rx.table.cell(run.pay_date),
        rx.table.cell(
            rx.cond(
                run.final,
                rx.badge(tr("Slutlig", "Final"), color_scheme="green"),
                rx.badge(tr("Utkast", "Draft"), color_scheme="gray"),
            )
        ),
        rx.table.cell(run.payslips),
        rx.table.cell(
            rx.cond(
                run.invalid > 0, rx.text(run.invalid, color_scheme="red"), rx.text("0")
            )
        ),
    )


_CARD_TEXT = {
    "not_active": ("Kivra är inte aktiverat.", "Kivra is not activated."),
    "waiting_for_kivra": ("Väntar på Kivra.", "Waiting for Kivra."),
    "kivra_unreachable": (
        "Kivra kunde inte nås än; vi försöker igen.",
        "Kivra could not be reached yet; we try again.",
    ),
    "active": ("Kivra är aktivt.", "Kivra is active."),
    "ended": ("Kivra är avslutat.", "Kivra has ended."),
}


def start_page() -> rx.Component:
    return page_frame(
        rx.flex(
            rx.heading(StartState.company_name, size="6", as_="h1", id="company-name"),
            rx.cond(
                StartState.error != "",
                rx.callout(
                    StartState.error,
                    icon="triangle_alert",
                    color_scheme="red",
                    role="alert",
                ),
            ),
            rx.card(
                rx.flex(
                    rx.icon("mailbox"),
                    rx.text(
                        rx.match(
                            StartState.card_state,
                            *[
                                (state, tr(sv, en))
                                for state, (sv, en) in _CARD_TEXT.items()
                            ],
                            "",
                        ),
                        id="card-state",
                    ),
                    rx.link(
                        tr("Fler lösningar", "More solutions"), href="/fler-losningar"
                    ),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
            ),
            rx.heading(tr("Lönekörningar", "Payroll runs"), size="4", as_="h2"),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(tr("Period", "Period")),
                            rx.table.column_header_cell(tr("Lönedag", "Pay day")),
                            rx.table.column_header_cell(tr("Status", "State")),
                            rx.table.column_header_cell(tr("Lönebesked", "Payslips")),
                            rx.table.column_header_cell(tr("Med fel", "With errors")),
                        )
                    ),
                    rx.table.body(rx.foreach(StartState.runs, _run_row)),
                    variant="surface",
                    id="runs-table",
                ),
                overflow_x="auto",
            ),
            rx.cond(
                StartState.loaded
                & (StartState.error == "")
                & (StartState.runs.length() == 0),  # type: ignore[attr-defined]
                rx.text(
                    tr(
                        "Inga lönekörningar ännu. Importera en lönekörning för att börja.",
                        "No payroll runs yet. Import a payroll run to begin.",
                    ),
                    color_scheme="gray",
                    id="no-runs",
                ),
            ),
            direction="column",
            spacing="4",
        ),
    )
