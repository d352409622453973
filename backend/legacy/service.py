"""The move from the old web product: first-send notice and export import."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.legacy.models import VlaImport
from backend.notifications.service import notify_company

MOVED_NOTICE_KEY = "vla_status_page_moved"


def status_page_path(company_id: int) -> str:
    """Where the Kivra status page lives in this product."""
    return f"/api/companies/{company_id}/status"


def announce_move_once(session: Session, company_id: int) -> bool:
    """Tell a moved company's users once that the status page moved here.

    Returns whether the notice went out now.
    """
    moved = session.scalar(select(VlaImport).where(VlaImport.company_id == company_id))
    if moved is None or moved.moved_notice_at is not None:
        return False
    notify_company(
        session,
        company_id,
        "status_page_moved",
        title_sv="Kivras statussida har flyttat",
        title_en="The Kivra status page has moved",
        body_sv=(
            "Statusen för lönebesked i Kivra och Min lön visas nu här i "
            "lönprogrammet, inte längre i den gamla webbtjänsten. Er historik "
            "från den gamla tjänsten finns med."
        ),
        body_en=(
            "The status of payslips in Kivra and Min lön is now shown here in "
            "the payroll program, no longer in the old web service. Your "
            "history from the old service is included."
        ),
        link=status_page_path(company_id),
        dedupe_key=MOVED_NOTICE_KEY,
    )
    moved.moved_notice_at = utcnow()
    return True
