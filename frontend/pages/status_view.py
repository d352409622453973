"""The Kivra status page's view: month, totals, chart, table, failures, end Kivra."""

from __future__ import annotations

import reflex as rx

from frontend.components.layout import page_frame
from frontend.components.text import tr
from frontend.pages.status import StatusState
from frontend.pages.status_invoices import invoice_section
from frontend.status_logic import (
    EndPhase,
    FailureView,
    ResendPhase,
    RowView,
    StatusPhase,
    TotalView,
    filter_options,
)

# A native select that looks like one: a border, a caret, and never wider
# than the screen.
_SELECT_STYLE = {
    "padding": "6px 8px",
    "border": "1px solid var(--gray-a7)",
    "border_radius": "var(--radius-2)",
    "background": "var(--color-surface)",
    "color": "var(--gray-12)",
    "max_width": "100%",
    "min_height": "32px",
}


def month_picker() -> rx.Component:
    return rx.flex(
        rx.el.label(tr("Månad", "Month"), html_for="month-picker", font_weight="500"),
        rx.el.select(
            rx.foreach(StatusState.months, lambda m: rx.el.option(m, value=m)),
            id="month-picker",
            value=StatusState.month,
            on_change=StatusState.choose_month,
            **_SELECT_STYLE,
        ),
        spacing="2",
        align="center",
    )


def _total(total: rx.Var[TotalView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.cond(total.channel == "kivra", "Kivra", "Min lön")),
        rx.table.cell(tr(total.outcome_sv, total.outcome_en)),  # type: ignore[arg-type]
        rx.table.cell(total.count, class_name="total-count"),
    )


def totals_panel() -> rx.Component:
    """Totals per channel and outcome, as numbers and as a chart."""
    return rx.grid(
        rx.card(
            rx.flex(
                rx.flex(
                    rx.box(
                        rx.text("Kivra", size="1", color_scheme="gray"),
                        rx.heading(StatusState.total_kivra, size="6", id="total-kivra"),
                    ),
                    rx.box(
                        rx.text("Min lön", size="1", color_scheme="gray"),
                        rx.heading(
                            StatusState.total_min_lon, size="6", id="total-min-lon"
                        ),
                    ),
                    spacing="6",
                ),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(tr("Kanal", "Channel")),
                            rx.table.column_header_cell(tr("Utfall", "Outcome")),
                            rx.table.column_header_cell(tr("Antal", "Count")),
                        )
                    ),
                    rx.table.body(rx.foreach(StatusState.totals, _total)),
                    size="1",
                    id="totals-table",
                ),
                direction="column",
                spacing="3",
            ),
        ),
        rx.card(
            rx.recharts.responsive_container(
                rx.recharts.bar_chart(
                    rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
                    rx.recharts.x_axis(
                        data_key=rx.cond(
                            StatusState.is_english, "outcome_en", "outcome_sv"
                        )
                    ),
                    rx.recharts.y_axis(allow_decimals=False),
                    rx.recharts.legend(),
                    rx.recharts.bar(
                        data_key="kivra", name="Kivra", fill="var(--green-9)"
                    ),
                    rx.recharts.bar(
                        data_key="min_lon", name="Min lön", fill="var(--blue-9)"
                    ),
                    data=StatusState.chart,
                ),
                width="100%",
                height=240,
            ),
            aria_label=tr(
                "Diagram över utfall per kanal", "Chart of outcomes per channel"
            ),
            role="img",
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
    )


def _row(row: rx.Var[RowView]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.name),
        rx.table.cell(row.personnummer),
        rx.table.cell(tr(row.kivra_sv, row.kivra_en)),  # type: ignore[arg-type]
        rx.table.cell(tr(row.min_lon_sv, row.min_lon_en)),  # type: ignore[arg-type]
        rx.table.cell(
            rx.cond(
                row.failed,
                rx.text(tr(row.reason_sv, row.reason_en), color_scheme="red"),
                rx.text(tr(row.reason_sv, row.reason_en)),
            )
        ),
    )


def employee_table() -> rx.Component:
    """Every employee of the month, with search and an outcome filter."""
    return rx.flex(
        rx.flex(
            rx.box(
                rx.el.label(
                    tr("Sök anställd", "Search employee"),
                    html_for="status-search",
                    font_weight="500",
                ),
                rx.input(
                    id="status-search",
                    value=StatusState.search,
                    on_change=StatusState.set_search,
                    placeholder=tr("Namn eller personnummer", "Name or personnummer"),
                ),
            ),
            rx.box(
                rx.el.label(
                    tr("Utfall", "Outcome"),
                    html_for="outcome-filter",
                    font_weight="500",
                ),
                rx.el.select(
                    *[
                        rx.el.option(tr(sv, en), value=key)
                        for key, sv, en in filter_options()
                    ],
                    id="outcome-filter",
                    value=StatusState.outcome_filter,
                    on_change=StatusState.set_outcome_filter,
                    display="block",
                    width="100%",
                    **_SELECT_STYLE,
                ),
                max_width="100%",
            ),
            spacing="4",
            wrap="wrap",
            align="end",
        ),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(tr("Anställd", "Employee")),
                        rx.table.column_header_cell(
                            tr("Personnummer", "Personal identity number")
                        ),
                        rx.table.column_header_cell("Kivra"),
                        rx.table.column_header_cell("Min lön"),
                        rx.table.column_header_cell(tr("Anledning", "Reason")),
                    )
                ),
                rx.table.body(rx.foreach(StatusState.shown_rows, _row)),
                variant="surface",
                size="1",
                id="status-rows",
            ),
            overflow_x="auto",
            width="100%",
            max_width="100%",
        ),
        rx.cond(
            StatusState.shown_rows.length() == 0,  # type: ignore[attr-defined]
            rx.text(
                rx.cond(
                    StatusState.all_rows.length() == 0,  # type: ignore[attr-defined]
                    tr(
                        "Inga lönebesked skickades den här månaden.",
                        "No payslips were sent this month.",
                    ),
                    tr(
                        "Ingen anställd matchar sökningen eller filtret.",
                        "No employee matches the search or filter.",
                    ),
                ),
                color_scheme="gray",
                id="status-empty",
            ),
        ),
        direction="column",
        spacing="3",
        min_width="0",
        width="100%",
    )


def _failure(failure: rx.Var[FailureView]) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.text(
                failure.name,
                " (",
                failure.personnummer,
                ") – ",
                failure.channel,
                weight="bold",
            ),
            rx.text(tr(failure.reason, failure.reason_en), color_scheme="red"),  # type: ignore[arg-type]
            rx.text(tr(failure.advice_sv, failure.advice_en), size="2"),  # type: ignore[arg-type]
            direction="column",
            spacing="1",
        ),
    )


def failures_panel() -> rx.Component:
    return rx.cond(
        StatusState.failures.length() > 0,  # type: ignore[attr-defined]
        rx.flex(
            rx.heading(
                tr("Misslyckade lönebesked", "Failed payslips"), size="4", as_="h2"
            ),
            rx.foreach(StatusState.failures, _failure),
            rx.flex(
                rx.button(
                    rx.icon("rotate_cw", size=16),
                    tr("Skicka om misslyckade", "Resend failed"),
                    on_click=StatusState.resend_failed,
                    loading=StatusState.resend_phase == ResendPhase.RESENDING,
                    id="resend-failed",
                ),
                spacing="3",
                align="center",
            ),
            direction="column",
            spacing="3",
            id="failures",
        ),
    )


def resend_result() -> rx.Component:
    """What the last "Skicka om misslyckade" did, also when it failed again."""
    return rx.match(
        StatusState.resend_phase,
        (
            ResendPhase.DONE,
            rx.callout(
                StatusState.resend_message,
                icon="check",
                color_scheme="green",
                id="resend-done",
            ),
        ),
        (
            ResendPhase.FAILED_AGAIN,
            rx.callout(
                tr(
                    "Lönebesked misslyckades igen. Se anledningen och vad ni kan göra ovan.",
                    "Payslips failed again. See the reason and what you can do above.",
                ),
                icon="triangle_alert",
                color_scheme="red",
                role="alert",
                id="resend-failed-again",
            ),
        ),
        (
            ResendPhase.REFUSED,
            rx.callout(
                StatusState.resend_message,
                icon="triangle_alert",
                color_scheme="red",
                role="alert",
                id="resend-refused",
            ),
        ),
        rx.fragment(),
    )


def end_kivra() -> rx.Component:
    """ "Avsluta Kivra" with a dialog that says what ending means."""
    return rx.cond(
        StatusState.is_admin & StatusState.kivra_enabled,
        rx.flex(
            rx.button(
                tr("Avsluta Kivra", "End Kivra"),
                color_scheme="red",
                variant="outline",
                on_click=StatusState.ask_end,
                id="end-kivra",
            ),
            rx.alert_dialog.root(
                rx.alert_dialog.content(
                    rx.alert_dialog.title(tr("Avsluta Kivra?", "End Kivra?")),
                    rx.alert_dialog.description(
                        tr(
                            "Lönebesked skickas då inte längre till Kivra. Kommande utskick går till Min lön. "
                            "Lönebesked som redan finns i de anställdas Kivra ligger kvar, och historiken här finns kvar. "
                            "Ni kan aktivera Kivra igen senare.",
                            "Payslips are then no longer sent to Kivra; later sends go to Min lön. "
                            "Payslips already in the employees' Kivra stay there, and the history here remains. "
                            "You can activate Kivra again later.",
                        )
                    ),
                    rx.flex(
                        rx.alert_dialog.cancel(
                            rx.button(
                                tr("Behåll Kivra", "Keep Kivra"),
                                variant="soft",
                                color_scheme="gray",
                            )
                        ),
                        rx.button(
                            tr("Ja, avsluta Kivra", "Yes, end Kivra"),
                            color_scheme="red",
                            on_click=StatusState.end_kivra,
                            loading=StatusState.end_phase == EndPhase.ENDING,
                            id="confirm-end-kivra",
                        ),
                        spacing="3",
                        justify="end",
                        margin_top="var(--space-4)",
                    ),
                ),
                open=StatusState.end_dialog_open,
                on_open_change=StatusState.end_dialog_changed,
            ),
        ),
        rx.cond(
            StatusState.end_phase == EndPhase.ENDED,
            rx.callout(
                tr(
                    "Kivra är avslutat. Kommande lönebesked går till Min lön.",
                    "Kivra has ended. Later payslips go to Min lön.",
                ),
                icon="info",
                id="kivra-ended",
            ),
        ),
    )


def status_page() -> rx.Component:
    return page_frame(
        rx.flex(
            rx.heading(tr("Status för Kivra", "Kivra status"), size="6", as_="h1"),
            rx.cond(
                StatusState.notice_sv != "",
                rx.callout(
                    tr(StatusState.notice_sv, StatusState.notice_en),
                    icon="info",
                    id="status-notice",
                ),  # type: ignore[arg-type]
            ),
            month_picker(),
            rx.match(
                StatusState.phase,
                (
                    StatusPhase.LOADING,
                    rx.flex(
                        rx.spinner(),
                        tr("Hämtar status …", "Loading status …"),
                        spacing="2",
                    ),
                ),
                (
                    StatusPhase.FAILED,
                    rx.callout(
                        StatusState.error,
                        icon="triangle_alert",
                        color_scheme="red",
                        role="alert",
                    ),
                ),
                rx.flex(
                    totals_panel(),
                    rx.cond(
                        StatusState.pending_count > 0,
                        rx.callout(
                            rx.text(
                                StatusState.pending_count,
                                tr(
                                    " lönebesked väntar på lönedagen eller på ett nytt försök.",
                                    " payslips wait for the pay day or for another attempt.",
                                ),
                            ),
                            icon="clock",
                            id="status-pending",
                        ),
                    ),
                    failures_panel(),
                    resend_result(),
                    rx.heading(tr("Anställda", "Employees"), size="4", as_="h2"),
                    employee_table(),
                    invoice_section(),
                    end_kivra(),
                    direction="column",
                    spacing="4",
                ),
            ),
            direction="column",
            spacing="4",
        ),
    )
