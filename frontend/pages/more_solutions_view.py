"""The "Fler lösningar" panel's view: Kivra card, agreement, scope switches, history."""

from __future__ import annotations

import reflex as rx

from frontend.agreement_logic import AgreementPhase, HistoryEntry
from frontend.components.layout import page_frame
from frontend.components.text import tr
from frontend.pages.more_solutions import MoreSolutionsState as S

_STATE_BADGES = {
    "not_active": ("Inte aktivt", "Not active", "gray"),
    "waiting_for_kivra": ("Väntar på Kivra", "Waiting for Kivra", "amber"),
    "kivra_unreachable": ("Kivra nås inte än", "Kivra not reached yet", "amber"),
    "active": ("Aktivt", "Active", "green"),
    "ended": ("Avslutat", "Ended", "red"),
}


def card_badge() -> rx.Component:
    return rx.match(
        S.card_state,
        *[
            (state, rx.badge(tr(sv, en), color_scheme=color, size="2", id="card-badge"))  # type: ignore[arg-type]
            for state, (sv, en, color) in _STATE_BADGES.items()
        ],
        rx.badge("–"),
    )


def kivra_card() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.flex(
                rx.icon("mailbox", size=28),
                rx.heading(tr(S.card_title_sv, S.card_title_en), size="5", as_="h2"),  # type: ignore[arg-type]
                card_badge(),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            rx.text(tr(S.card_text_sv, S.card_text_en), id="card-text"),  # type: ignore[arg-type]
            rx.cond(
                S.card_problem_sv != "",
                rx.callout(
                    tr(S.card_problem_sv, S.card_problem_en),
                    icon="triangle_alert",
                    color_scheme="amber",
                ),  # type: ignore[arg-type]
            ),
            direction="column",
            spacing="3",
        ),
        id="kivra-card",
    )


def _switch(
    label_sv: str, label_en: str, ident: str, checked: rx.Var, handler: object
) -> rx.Component:
    return rx.el.label(
        rx.flex(
            rx.switch(
                checked=checked,
                on_change=handler,
                disabled=~S.switches_enabled,
                id=ident,
            ),
            tr(label_sv, label_en),
            # A disabled switch is hard to read, so its state is also in words.
            rx.badge(
                rx.cond(checked, tr("På", "On"), tr("Av", "Off")),
                color_scheme=rx.cond(checked, "green", "gray"),
                variant="soft",
            ),
            spacing="2",
            align="center",
        ),
    )


def scopes_panel() -> rx.Component:
    """What the agreement covers; only admins can change it."""
    return rx.card(
        rx.flex(
            rx.heading(
                tr("Vad skickas till Kivra", "What is sent to Kivra"),
                size="4",
                as_="h2",
            ),
            _switch(
                "Lönebesked",
                "Payslips",
                "scope-payslips",
                S.payslips_on,
                S.toggle_payslips,
            ),
            _switch(
                "Fakturor",
                "Invoices",
                "scope-invoices",
                S.invoices_on,
                S.toggle_invoices,
            ),
            rx.cond(
                ~S.can_manage,
                rx.text(
                    tr(
                        "Endast administratörer kan ändra detta. Be en administratör om du behöver ändra något.",
                        "Only administrators can change this. Ask an administrator if something needs to change.",
                    ),
                    size="2",
                    color_scheme="gray",
                    id="scopes-read-only",
                ),
                rx.cond(
                    S.agreement_state != "active",
                    rx.text(
                        tr("Godkänn avtalet först.", "Approve the agreement first."),
                        size="2",
                        color_scheme="gray",
                    ),
                ),
            ),
            rx.cond(S.phase == AgreementPhase.SAVING, rx.spinner()),
            direction="column",
            spacing="3",
        ),
    )


def approve_panel() -> rx.Component:
    """The agreement's terms to read and approve, while it is not active."""
    return rx.cond(
        S.agreement_state != "active",
        rx.card(
            rx.flex(
                rx.heading(tr(S.terms_title_sv, S.terms_title_en), size="4", as_="h2"),  # type: ignore[arg-type]
                rx.scroll_area(
                    rx.text(
                        tr(S.terms_text_sv, S.terms_text_en),
                        white_space="pre-wrap",
                        padding_right="var(--space-4)",
                        size="2",
                    ),  # type: ignore[arg-type]
                    type="always",
                    scrollbars="vertical",
                    max_height="30vh",
                    tab_index=0,
                ),
                rx.el.label(
                    rx.flex(
                        rx.checkbox(
                            checked=S.terms_accepted,
                            on_change=S.set_terms_accepted,
                            id="panel-accept-terms",
                        ),
                        tr(
                            "Jag har läst och godkänner villkoren",
                            "I have read and accept the terms",
                        ),
                        spacing="2",
                        align="center",
                    ),
                ),
                rx.button(
                    tr("Godkänn avtalet", "Approve the agreement"),
                    on_click=S.approve,
                    disabled=~S.terms_accepted,
                    loading=S.phase == AgreementPhase.SAVING,
                    id="panel-approve",
                    align_self="start",
                ),
                direction="column",
                spacing="3",
            ),
        ),
    )


def _history_row(entry: rx.Var[HistoryEntry]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(entry.when),
        rx.table.cell(tr(entry.kind_sv, entry.kind_en)),  # type: ignore[arg-type]
        rx.table.cell(entry.who),
        rx.table.cell(tr(entry.scopes, entry.scopes_en)),  # type: ignore[arg-type]
    )


def history_panel() -> rx.Component:
    return rx.cond(
        S.history.length() > 0,  # type: ignore[attr-defined]
        rx.box(
            rx.heading(
                tr("Avtalets historik", "Agreement history"),
                size="4",
                as_="h2",
                margin_bottom="var(--space-2)",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(tr("När", "When")),
                        rx.table.column_header_cell(tr("Händelse", "Event")),
                        rx.table.column_header_cell(tr("Av", "By")),
                        rx.table.column_header_cell(tr("Omfattning", "Scope")),
                    )
                ),
                rx.table.body(rx.foreach(S.history, _history_row)),
                size="1",
            ),
            overflow_x="auto",
        ),
    )


def more_solutions_page() -> rx.Component:
    return page_frame(
        rx.flex(
            rx.heading(tr("Fler lösningar", "More solutions"), size="6", as_="h1"),
            rx.cond(
                S.error != "",
                rx.callout(
                    S.error,
                    icon="triangle_alert",
                    color_scheme="red",
                    role="alert",
                    id="panel-error",
                ),
            ),
            rx.cond(
                S.phase == AgreementPhase.LOADING,
                rx.flex(rx.spinner(), tr("Hämtar …", "Loading …"), spacing="2"),
                rx.flex(
                    kivra_card(),
                    approve_panel(),
                    scopes_panel(),
                    history_panel(),
                    direction="column",
                    spacing="4",
                ),
            ),
            direction="column",
            spacing="4",
        ),
    )
