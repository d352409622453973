"""Pieces the invoices page and the status page's invoice section share."""

from __future__ import annotations

import reflex as rx

from frontend.components.text import tr
from frontend.invoice_logic import CountView, InvoiceRowView

# A native select that looks like one: a border, a caret, never wider than
# the screen (as on the status page).
SELECT_STYLE = {
    "padding": "6px 8px",
    "border": "1px solid var(--gray-a7)",
    "border_radius": "var(--radius-2)",
    "background": "var(--color-surface)",
    "color": "var(--gray-12)",
    "max_width": "100%",
    "min_height": "32px",
}


def outcome_badge(row: rx.Var[InvoiceRowView]) -> rx.Component:
    return rx.badge(
        tr(row.outcome_sv, row.outcome_en),  # type: ignore[arg-type]
        color_scheme=row.outcome_colour,  # type: ignore[arg-type]
        variant="soft",
        data_outcome=row.outcome,
    )


def payment_badge(row: rx.Var[InvoiceRowView]) -> rx.Component:
    return rx.badge(
        tr(row.payment_sv, row.payment_en),  # type: ignore[arg-type]
        color_scheme=row.payment_colour,  # type: ignore[arg-type]
        variant="soft",
        data_payment=row.payment,
    )


def _count(count: rx.Var[CountView]) -> rx.Component:
    return rx.box(
        rx.text(tr(count.label_sv, count.label_en), size="1", color_scheme="gray"),  # type: ignore[arg-type]
        rx.text(
            count.count,
            size="5",
            weight="bold",
            class_name="invoice-count",
            data_key=count.key,
        ),
        class_name="invoice-count-item",
    )


def count_table(
    counts: rx.Var[list[CountView]], title: rx.Var, id_: str
) -> rx.Component:
    """A card with the number of invoices in each state, side by side."""
    return rx.card(
        rx.flex(
            rx.text(title, weight="bold", size="2"),
            rx.grid(
                rx.foreach(counts, _count),
                # As many even columns as fit; the longest label on one line.
                grid_template_columns="repeat(auto-fill, minmax(9.5em, 1fr))",
                column_gap="var(--space-4)",
                row_gap="var(--space-2)",
            ),
            direction="column",
            spacing="2",
        ),
        id=id_,
    )
