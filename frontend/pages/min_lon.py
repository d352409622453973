"""Min lön (`/min-lon`): the signed-in employee's own payslips as PDF."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import reflex as rx
from reflex.event import EventSpec

from frontend.api import ApiError
from frontend.components.layout import page_frame
from frontend.components.text import tr
from frontend.formatting import kronor, kronor_en
from frontend.state import SessionState
from shared_types.delivery import MinLonPayslip


@dataclass(frozen=True)
class MyPayslip:
    id: int
    period: str
    pay_date: str
    company_name: str
    gross_pay: str
    preliminary_tax: str
    deductions: str
    has_deductions: bool
    net_pay: str
    # The same amounts the English way ("SEK 41,500.00").
    gross_pay_en: str
    preliminary_tax_en: str
    deductions_en: str
    net_pay_en: str


def my_payslip(p: MinLonPayslip) -> MyPayslip:
    """The card's figures: gross pay − tax + deductions (negative) = net pay."""
    return MyPayslip(
        id=p.id,
        period=p.period,
        pay_date=p.pay_date.isoformat(),
        company_name=p.company_name,
        gross_pay=kronor(p.gross_pay),
        preliminary_tax=kronor(p.preliminary_tax),
        deductions=kronor(p.deductions),
        has_deductions=Decimal(p.deductions) != 0,
        net_pay=kronor(p.net_pay),
        gross_pay_en=kronor_en(p.gross_pay),
        preliminary_tax_en=kronor_en(p.preliminary_tax),
        deductions_en=kronor_en(p.deductions),
        net_pay_en=kronor_en(p.net_pay),
    )


class MinLonState(SessionState):
    """The employee's payslips."""

    payslips: list[MyPayslip] = []
    loaded: bool = False
    error: str = ""

    @rx.event
    async def load(self) -> EventSpec | None:
        if not self._token:
            return rx.redirect("/login")
        if self.role != "employee":
            return rx.redirect(self.home_path())
        try:
            answer = await self.api().my_payslips()
        except ApiError as error:
            self.error = error.message
            self.loaded = True
            return self.session_expired(error)
        self.payslips = [my_payslip(p) for p in answer.items]
        self.error = ""
        self.loaded = True
        return None

    @rx.event
    async def download(self, payslip_id: int) -> EventSpec | None:
        """Fetch the PDF with the user's token and hand it to the browser."""
        period = next((p.period for p in self.payslips if p.id == payslip_id), "")
        try:
            pdf = await self.api().my_payslip_pdf(payslip_id)
        except ApiError as error:
            self.error = error.message
            return self.session_expired(error)
        return rx.download(
            data=pdf, filename=f"lonebesked-{period}.pdf", mime_type="application/pdf"
        )


def _amount(sv: str, en: str) -> rx.Var:
    """An amount in the user's language."""
    return tr(sv, en)


def _payslip(p: rx.Var[MyPayslip]) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.box(
                rx.heading(tr("Lönebesked ", "Payslip "), p.period, size="4", as_="h2"),
                rx.text(p.company_name, size="2", color_scheme="gray"),
                rx.text(tr("Utbetalning ", "Paid "), p.pay_date, size="2"),
            ),
            rx.data_list.root(
                rx.data_list.item(
                    rx.data_list.label(tr("Bruttolön", "Gross pay")),
                    rx.data_list.value(_amount(p.gross_pay, p.gross_pay_en)),
                ),
                rx.data_list.item(
                    rx.data_list.label(tr("Preliminärskatt", "Preliminary tax")),
                    rx.data_list.value(
                        _amount(p.preliminary_tax, p.preliminary_tax_en)
                    ),
                ),
                rx.cond(
                    p.has_deductions,
                    rx.data_list.item(
                        rx.data_list.label(
                            tr("Avdrag efter skatt", "Deductions after tax")
                        ),
                        rx.data_list.value(_amount(p.deductions, p.deductions_en)),
                    ),
                ),
                rx.data_list.item(
                    rx.data_list.label(tr("Att betala ut", "Net pay")),
                    rx.data_list.value(_amount(p.net_pay, p.net_pay_en)),
                ),
                size="2",
            ),
            rx.button(
                rx.icon("download", size=16),
                tr("Ladda ner PDF", "Download PDF"),
                on_click=MinLonState.download(p.id),
                variant="soft",
                class_name="download-pdf",
                align_self="start",
            ),
            direction="column",
            spacing="3",
        ),
        class_name="my-payslip",
    )


def min_lon_page() -> rx.Component:
    return page_frame(
        rx.flex(
            rx.cond(
                MinLonState.error != "",
                rx.callout(
                    MinLonState.error,
                    icon="triangle_alert",
                    color_scheme="red",
                    role="alert",
                ),
            ),
            rx.foreach(MinLonState.payslips, _payslip),
            rx.cond(
                MinLonState.loaded & (MinLonState.payslips.length() == 0),  # type: ignore[attr-defined]
                rx.text(
                    tr("Du har inga lönebesked ännu.", "You have no payslips yet."),
                    id="no-payslips",
                ),
            ),
            direction="column",
            spacing="3",
        ),
        title_sv="Min lön",
        title_en="Min lön",
    )
