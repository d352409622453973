"""The Reflex app: every page, its route and what it loads."""

from __future__ import annotations

import reflex as rx

from frontend.components.notices import NoticeState
from frontend.pages.invoices import InvoicesState
from frontend.pages.invoices_view import invoices_page
from frontend.pages.login import login_page
from frontend.pages.min_lon import MinLonState, min_lon_page
from frontend.pages.more_solutions import MoreSolutionsState
from frontend.pages.more_solutions_view import more_solutions_page
from frontend.pages.notifications import notifications_page
from frontend.pages.payroll_run import RunState
from frontend.pages.payroll_run_view import payroll_run_page
from frontend.pages.start import StartState, start_page
from frontend.pages.status import StatusState
from frontend.pages.status_invoices import StatusInvoicesState
from frontend.pages.status_view import status_page

app = rx.App()
app.add_page(login_page, route="/login", title="Logga in – Kivra i Lön")
app.add_page(
    start_page,
    route="/",
    title="Kivra i Lön",
    on_load=[StartState.load, NoticeState.refresh],
)
app.add_page(
    payroll_run_page,
    route="/lonekorning",
    title="Lönekörning – Kivra i Lön",
    on_load=[RunState.load, NoticeState.refresh],
)
app.add_page(
    more_solutions_page,
    route="/fler-losningar",
    title="Fler lösningar – Kivra i Lön",
    on_load=[MoreSolutionsState.load, NoticeState.refresh],
)
app.add_page(
    status_page,
    route="/kivra/status",
    title="Status för Kivra – Kivra i Lön",
    on_load=[StatusState.load, StatusInvoicesState.load, NoticeState.refresh],
)
app.add_page(
    invoices_page,
    route="/fakturor",
    title="Fakturor – Kivra i Lön",
    on_load=[InvoicesState.load, NoticeState.refresh],
)
app.add_page(
    notifications_page,
    route="/notiser",
    title="Notiser – Kivra i Lön",
    on_load=NoticeState.load_page,
)
app.add_page(
    min_lon_page,
    route="/min-lon",
    title="Min lön",
    on_load=[MinLonState.load, NoticeState.refresh],
)
