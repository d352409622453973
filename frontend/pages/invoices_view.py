"""The invoices page's view: month, counts, the list with choices, "Skicka via Kivra"."""

from __future__ import annotations

import reflex as rx

from frontend.components.invoice_parts import (
    SELECT_STYLE,
    count_table,
    outcome_badge,
    payment_badge,
)
from frontend.components.layout import page_frame
from frontend.components.text import tr
from frontend.invoice_logic import InvoiceRowView, InvoiceSendPhase, InvoicesPhase
from frontend.pages.invoices import InvoicesState


def month_picker() -> rx.Component:
    return rx.flex(
        rx.el.label(tr("Månad", "Month"), html_for="invoice-month", font_weight="500"),
        rx.el.select(
            rx.foreach(InvoicesState.months, lambda m: rx.el.option(m, value=m)),
            id="invoice-month",
            value=InvoicesState.month,
            on_change=InvoicesState.choose_month,
            **SELECT_STYLE,
        ),
        spacing="2",
        align="center",
    )


def _send_message() -> rx.Var:
    return tr(InvoicesState.send_message_sv, InvoicesState.send_message_en)  # type: ignore[arg-type]


def _row(row: rx.Var[InvoiceRowView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                row.sendable,
                rx.checkbox(
                    checked=InvoicesState.selected.contains(row.invoice_id),  # type: ignore[attr-defined]
                    on_change=lambda checked: InvoicesState.toggle_invoice(
                        row.invoice_id, checked
                    ),
                    aria_label=tr("Välj faktura ", "Choose invoice ") + row.number,  # type: ignore[operator]
                    class_name="invoice-choice",
                ),
            ),
        ),
        rx.table.row_header_cell(row.number, class_name="invoice-number"),
        rx.table.cell(row.customer_name),
        rx.table.cell(tr(row.kind_sv, row.kind_en)),  # type: ignore[arg-type]
        rx.table.cell(
            tr(row.total, row.total_en),  # type: ignore[arg-type]
            white_space="nowrap",
            text_align="right",
        ),
        rx.table.cell(
            rx.text(row.due_date, white_space="nowrap"),
            rx.cond(
                row.due_warning_sv != "",
                rx.text(
                    tr(row.due_warning_sv, row.due_warning_en),  # type: ignore[arg-type]
                    size="1",
                    color_scheme="amber",
                ),
            ),
        ),
        rx.table.cell(tr(row.channel_sv, row.channel_en)),  # type: ignore[arg-type]
        rx.table.cell(
            outcome_badge(row),
            rx.cond(
                row.error_sv != "",
                rx.text(
                    tr(row.error_sv, row.error_en),  # type: ignore[arg-type]
                    size="1",
                    color_scheme="red",
                    class_name="invoice-error",
                ),
            ),
            class_name="invoice-outcome",
        ),
        rx.table.cell(payment_badge(row), class_name="invoice-payment"),
        rx.table.cell(
            rx.button(
                rx.icon("file_down", size=14),
                "PDF",
                on_click=InvoicesState.download_pdf(row.invoice_id),
                variant="ghost",
                size="1",
                aria_label=tr("Ladda ner PDF för faktura ", "Download PDF of invoice ")
                + row.number,  # type: ignore[operator]
                class_name="invoice-pdf",
            ),
        ),
        id="invoice-row-" + row.invoice_id.to_string(),  # type: ignore[attr-defined]
    )


def invoice_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(
                        rx.checkbox(
                            checked=InvoicesState.all_selected,
                            on_change=InvoicesState.toggle_all,
                            disabled=InvoicesState.sendable_count == 0,
                            aria_label=tr(
                                "Välj alla som kan skickas",
                                "Choose all that can be sent",
                            ),
                            id="choose-all-invoices",
                        ),
                    ),
                    rx.table.column_header_cell(tr("Nummer", "Number")),
                    rx.table.column_header_cell(tr("Kund", "Customer")),
                    rx.table.column_header_cell(tr("Typ", "Kind")),
                    rx.table.column_header_cell(
                        tr("Belopp", "Amount"), text_align="right"
                    ),
                    rx.table.column_header_cell(tr("Förfaller", "Due")),
                    rx.table.column_header_cell(tr("Kanal", "Channel")),
                    rx.table.column_header_cell(tr("Utskick", "Delivery")),
                    rx.table.column_header_cell(tr("Betalning", "Payment")),
                    rx.table.column_header_cell(""),
                )
            ),
            rx.table.body(rx.foreach(InvoicesState.all_rows, _row)),
            variant="surface",
            size="1",
            id="invoice-rows",
        ),
        overflow_x="auto",
        width="100%",
        max_width="100%",
    )


def send_bar() -> rx.Component:
    """ "Skicka via Kivra" for the chosen invoices."""
    return rx.flex(
        rx.button(
            rx.icon("send", size=16),
            tr("Skicka via Kivra", "Send via Kivra"),
            on_click=InvoicesState.send,
            disabled=InvoicesState.selected_count == 0,
            loading=InvoicesState.send_phase == InvoiceSendPhase.SENDING,
            id="send-invoices",
        ),
        rx.text(
            InvoicesState.selected_count,
            tr(" valda", " chosen"),
            size="2",
            color_scheme="gray",
            id="invoices-chosen",
        ),
        rx.cond(
            InvoicesState.send_phase == InvoiceSendPhase.SENT,
            rx.flex(
                rx.spinner(size="1"),
                rx.text(_send_message(), size="2"),
                spacing="2",
                align="center",
                id="invoices-sending",
            ),
        ),
        spacing="3",
        align="center",
        wrap="wrap",
    )


def send_result() -> rx.Component:
    """What the last send did; a refusal says what to do about it."""
    return rx.match(
        InvoicesState.send_phase,
        (
            InvoiceSendPhase.DONE,
            rx.callout(
                _send_message(),
                icon="check",
                color_scheme="green",
                id="invoices-sent",
            ),
        ),
        (
            InvoiceSendPhase.NOT_APPROVED,
            rx.callout(
                rx.flex(
                    rx.text(_send_message()),
                    rx.link(
                        tr(
                            "Godkänn fakturor under Fler lösningar",
                            "Approve invoices under More solutions",
                        ),
                        href="/fler-losningar",
                        id="approve-invoices-link",
                        weight="medium",
                    ),
                    direction="column",
                    spacing="1",
                ),
                icon="triangle_alert",
                color_scheme="red",
                role="alert",
                id="invoices-not-approved",
            ),
        ),
        (
            InvoiceSendPhase.REFUSED,
            rx.callout(
                _send_message(),
                icon="triangle_alert",
                color_scheme="red",
                role="alert",
                id="invoices-refused",
            ),
        ),
        rx.fragment(),
    )


def scope_hint() -> rx.Component:
    """Before anyone presses the button: the agreement does not cover invoices."""
    return rx.cond(
        ~InvoicesState.in_scope
        & (InvoicesState.send_phase != InvoiceSendPhase.NOT_APPROVED),
        rx.callout(
            rx.flex(
                rx.text(
                    tr(
                        "Avtalet med Kivra omfattar inte fakturor ännu. "
                        "En administratör godkänner fakturor under Fler lösningar.",
                        "The agreement with Kivra does not cover invoices yet. "
                        "An administrator approves invoices under More solutions.",
                    )
                ),
                rx.link(
                    tr("Till Fler lösningar", "Go to More solutions"),
                    href="/fler-losningar",
                    weight="medium",
                ),
                direction="column",
                spacing="1",
            ),
            icon="info",
            id="invoices-scope-hint",
        ),
    )


def invoices_page() -> rx.Component:
    return page_frame(
        rx.flex(
            rx.heading(tr("Fakturor", "Invoices"), size="6", as_="h1"),
            month_picker(),
            rx.match(
                InvoicesState.phase,
                (
                    InvoicesPhase.LOADING,
                    rx.flex(
                        rx.spinner(),
                        tr("Hämtar fakturor …", "Loading invoices …"),
                        spacing="2",
                    ),
                ),
                (
                    InvoicesPhase.FAILED,
                    rx.callout(
                        InvoicesState.error,
                        icon="triangle_alert",
                        color_scheme="red",
                        role="alert",
                        id="invoices-error",
                    ),
                ),
                rx.flex(
                    rx.grid(
                        count_table(
                            InvoicesState.outcomes,
                            tr("Utskick", "Delivery"),
                            "invoice-outcomes",
                        ),
                        count_table(
                            InvoicesState.payments,
                            tr("Betalning", "Payment"),
                            "invoice-payments",
                        ),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="4",
                    ),
                    scope_hint(),
                    send_result(),
                    rx.cond(
                        InvoicesState.pdf_error != "",
                        rx.callout(
                            InvoicesState.pdf_error,
                            icon="triangle_alert",
                            color_scheme="red",
                            role="alert",
                        ),
                    ),
                    rx.cond(
                        InvoicesState.all_rows.length() == 0,  # type: ignore[attr-defined]
                        rx.text(
                            tr(
                                "Inga fakturor den här månaden.",
                                "No invoices this month.",
                            ),
                            color_scheme="gray",
                            id="invoices-empty",
                        ),
                        rx.flex(
                            send_bar(),
                            invoice_table(),
                            direction="column",
                            spacing="3",
                            min_width="0",
                            width="100%",
                        ),
                    ),
                    direction="column",
                    spacing="4",
                ),
            ),
            direction="column",
            spacing="4",
        ),
    )
