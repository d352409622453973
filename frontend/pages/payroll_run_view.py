"""The payroll run page's view: forecast table, send controls, dialogs, progress."""

from __future__ import annotations

import reflex as rx

from frontend.components.layout import page_frame
from frontend.components.text import tr
from frontend.pages.payroll_run import RunState
from frontend.send_logic import ForecastRow, OutcomeCount, SendPhase


def _forecast_row(row: rx.Var[ForecastRow]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.name),
        rx.table.cell(row.personnummer),
        rx.table.cell(
            rx.badge(
                tr(row.channel_sv, row.channel_en),  # type: ignore[arg-type]
                color_scheme=rx.cond(row.channel == "kivra", "green", "blue"),
            )
        ),
        rx.table.cell(
            rx.cond(
                row.reachable,
                rx.text(tr(row.reason_sv, row.reason_en), size="2"),  # type: ignore[arg-type]
                rx.text(
                    tr(row.reason_sv, row.reason_en),  # type: ignore[arg-type]
                    size="2",
                    color_scheme="red",
                    weight="medium",
                ),
            )
        ),
    )


def forecast_table() -> rx.Component:
    """Each payslip: who, where it goes, and why (problems in red)."""
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(tr("Anställd", "Employee")),
                    rx.table.column_header_cell(
                        tr("Personnummer", "Personal identity number")
                    ),
                    rx.table.column_header_cell(tr("Kanal", "Channel")),
                    rx.table.column_header_cell(
                        tr("Anledning / problem", "Reason / problem")
                    ),
                )
            ),
            rx.table.body(rx.foreach(RunState.rows, _forecast_row)),
            variant="surface",
            size="1",
            id="forecast-table",
        ),
        overflow_x="auto",
        width="100%",
    )


def _count(label: rx.Var, value: rx.Var, ident: str) -> rx.Component:
    return rx.card(
        rx.text(label, size="1", color_scheme="gray"),
        rx.heading(value, size="5", id=ident),
        min_width="120px",
    )


def forecast_counts() -> rx.Component:
    return rx.flex(
        _count(tr("Till Kivra", "To Kivra"), RunState.to_kivra, "count-kivra"),
        _count(tr("Till Min lön", "To Min lön"), RunState.to_min_lon, "count-min-lon"),
        _count(
            tr("Kan inte nås", "Unreachable"), RunState.unreachable, "count-unreachable"
        ),
        spacing="3",
        wrap="wrap",
    )


def send_controls() -> rx.Component:
    """Choose now or pay day, then send."""
    return rx.flex(
        rx.radio_group.root(
            rx.flex(
                rx.el.label(
                    rx.flex(
                        rx.radio_group.item(
                            value="now",
                            id="mode-now",
                            aria_label=tr("Skicka nu", "Send now"),
                        ),
                        tr("Skicka nu", "Send now"),
                        spacing="2",
                        align="center",
                    ),
                ),
                rx.el.label(
                    rx.flex(
                        rx.radio_group.item(
                            value="pay_date",
                            id="mode-pay-date",
                            aria_label=tr("Vänta till lönedagen", "Hold until pay day"),
                        ),
                        tr("Vänta till lönedagen ", "Hold until pay day "),
                        RunState.pay_date,
                        spacing="2",
                        align="center",
                    ),
                ),
                direction="column",
                spacing="2",
            ),
            value=RunState.mode,
            on_change=RunState.set_mode,
            aria_label=tr("När lönebeskeden skickas", "When the payslips are sent"),
        ),
        rx.button(
            rx.icon("send", size=16),
            tr("Skicka lönebesked", "Send payslips"),
            on_click=RunState.send,
            loading=RunState.phase == SendPhase.STARTING,
            disabled=~RunState.can_send,
            size="3",
            id="send-button",
        ),
        rx.cond(
            ~RunState.can_send,
            rx.text(
                tr(RunState.blocked_sv, RunState.blocked_en),
                color_scheme="red",
                size="2",
            ),  # type: ignore[arg-type]
        ),
        direction="column",
        spacing="3",
        align="start",
    )


def _outcome(outcome: rx.Var[OutcomeCount]) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(tr(outcome.label_sv, outcome.label_en)),  # type: ignore[arg-type]
        rx.data_list.value(outcome.count),
    )


def progress_panel() -> rx.Component:
    """The send's progress, then its summary per outcome."""
    return rx.card(
        rx.flex(
            rx.match(
                RunState.phase,
                (
                    SendPhase.SENDING,
                    rx.heading(
                        tr("Skickar lönebesked …", "Sending payslips …"), size="4"
                    ),
                ),
                (
                    SendPhase.HELD,
                    rx.heading(
                        tr("Väntar till lönedagen", "Held until pay day"), size="4"
                    ),
                ),
                (
                    SendPhase.CANCELLED,
                    rx.heading(
                        tr("Utskicket är avbrutet", "The send was cancelled"), size="4"
                    ),
                ),
                rx.heading(
                    tr("Utskicket är klart", "The send is complete"),
                    size="4",
                    id="send-done",
                ),
            ),
            rx.progress(
                value=RunState.progress,
                max=100,
                id="send-progress",
                aria_label=tr("Förlopp", "Progress"),
            ),
            rx.text(RunState.progress, " %", size="2", color_scheme="gray"),
            rx.cond(
                RunState.phase == SendPhase.HELD,
                rx.flex(
                    rx.text(
                        tr("Lönebeskeden skickas ", "The payslips are sent "),
                        RunState.release_at,
                    ),
                    rx.button(
                        tr("Avbryt utskicket", "Cancel the send"),
                        on_click=RunState.cancel_hold,
                        color_scheme="red",
                        variant="soft",
                        id="cancel-hold",
                    ),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
            ),
            rx.data_list.root(
                rx.foreach(RunState.outcomes, _outcome), id="send-summary"
            ),
            rx.link(
                tr("Se statussidan för Kivra", "See the Kivra status page"),
                href=RunState.status_link,
                id="status-link",
            ),
            direction="column",
            spacing="3",
        ),
        id="progress-panel",
    )


def activation_dialog() -> rx.Component:
    """The activation offer, then the agreement to read and approve."""
    offer = rx.flex(
        rx.dialog.title(tr(RunState.offer_title_sv, RunState.offer_title_en)),  # type: ignore[arg-type]
        rx.dialog.description(tr(RunState.offer_text_sv, RunState.offer_text_en)),  # type: ignore[arg-type]
        rx.flex(
            rx.dialog.close(
                rx.button(tr("Inte nu", "Not now"), variant="soft", color_scheme="gray")
            ),
            rx.button(
                tr("Aktivera Kivra", "Activate Kivra"),
                on_click=RunState.open_agreement,
                id="activate-kivra",
            ),
            spacing="3",
            justify="end",
        ),
        direction="column",
        spacing="4",
    )
    agreement = rx.flex(
        rx.dialog.title(tr(RunState.terms_title_sv, RunState.terms_title_en)),  # type: ignore[arg-type]
        rx.dialog.description(
            tr(
                "Läs villkoren och godkänn dem för att skicka till Kivra.",
                "Read the terms and approve them to send to Kivra.",
            ),
        ),
        rx.scroll_area(
            rx.text(
                tr(RunState.terms_text_sv, RunState.terms_text_en),  # type: ignore[arg-type]
                white_space="pre-wrap",
                padding_right="var(--space-4)",
                size="2",
            ),
            type="always",
            scrollbars="vertical",
            max_height="40vh",
            id="agreement-terms",
            tab_index=0,
        ),
        rx.text(
            tr("Version ", "Version "),
            RunState.terms_version,
            size="1",
            color_scheme="gray",
        ),
        rx.el.label(
            rx.flex(
                rx.checkbox(
                    checked=RunState.terms_accepted,
                    on_change=RunState.set_terms_accepted,
                    id="accept-terms",
                    aria_label=tr(
                        "Jag har läst och godkänner villkoren",
                        "I have read and accept the terms",
                    ),
                ),
                tr(
                    "Jag har läst och godkänner villkoren",
                    "I have read and accept the terms",
                ),
                spacing="2",
                align="center",
            ),
        ),
        rx.flex(
            rx.dialog.close(
                rx.button(tr("Avbryt", "Cancel"), variant="soft", color_scheme="gray")
            ),
            rx.button(
                tr("Godkänn och skicka", "Approve and send"),
                on_click=RunState.approve,
                disabled=~RunState.terms_accepted,
                loading=RunState.phase == SendPhase.APPROVING,
                id="approve-agreement",
            ),
            spacing="3",
            justify="end",
        ),
        direction="column",
        spacing="4",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.cond(RunState.phase == SendPhase.OFFER, offer, agreement),
            max_width="640px",
        ),
        open=RunState.dialog_open,
        on_open_change=RunState.close_dialog,
    )


def kivra_section() -> rx.Component:
    """ "Skicka och bokför till verifikation" with the Kivra button."""
    return rx.card(
        rx.flex(
            rx.heading(
                tr("Skicka och bokför till verifikation", "Send and book to voucher"),
                size="4",
                as_="h2",
            ),
            rx.cond(
                RunState.button_target == "status",
                rx.link(
                    rx.button(
                        rx.icon("mailbox", size=16),
                        tr("Kivra – se status", "Kivra – see status"),
                        variant="outline",
                    ),
                    href=RunState.status_link,
                    id="kivra-button",
                ),
                rx.link(
                    rx.button(
                        rx.icon("mailbox", size=16),
                        tr("Kivra – godkänn avtalet", "Kivra – approve the agreement"),
                        variant="outline",
                    ),
                    href="/fler-losningar",
                    id="kivra-button",
                ),
            ),
            direction="column",
            spacing="3",
            align="start",
        ),
    )


def payroll_run_page() -> rx.Component:
    """ "Lönekörning" for one period."""
    return page_frame(
        rx.flex(
            rx.heading(
                tr("Lönekörning ", "Payroll run "), RunState.period, size="6", as_="h1"
            ),
            rx.cond(
                RunState.error != "",
                rx.callout(
                    RunState.error,
                    icon="triangle_alert",
                    color_scheme="red",
                    role="alert",
                    id="run-error",
                ),
            ),
            rx.cond(
                ~RunState.run_loaded,
                rx.cond(
                    RunState.phase == SendPhase.LOADING,
                    rx.flex(
                        rx.spinner(),
                        tr("Hämtar lönekörningen …", "Loading the payroll run …"),
                        spacing="2",
                    ),
                ),
                rx.flex(
                    rx.text(tr("Lönedag: ", "Pay day: "), RunState.pay_date),
                    forecast_counts(),
                    rx.cond(
                        RunState.phase == SendPhase.CANCELLED,
                        rx.callout(
                            tr(
                                "Utskicket avbröts. Inga lönebesked skickades; du kan skicka igen.",
                                "The send was cancelled. No payslips were sent; you can send again.",
                            ),
                            icon="info",
                            id="send-cancelled",
                        ),
                    ),
                    rx.cond(
                        (RunState.phase == SendPhase.SENDING)
                        | (RunState.phase == SendPhase.HELD)
                        | (RunState.phase == SendPhase.DONE),
                        progress_panel(),
                        send_controls(),
                    ),
                    forecast_table(),
                    kivra_section(),
                    direction="column",
                    spacing="4",
                ),
            ),
            activation_dialog(),
            direction="column",
            spacing="4",
        ),
    )
