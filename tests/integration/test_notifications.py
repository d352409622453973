"""The notification centre's service on both databases: roles and once-only keys."""

from __future__ import annotations

from backend.db.session import create_db_engine, make_session_factory
from backend.notifications.models import Notification
from backend.notifications.service import list_notifications, notify_run_failures
from tests.payroll_fixtures import build_company


def test_notifications_reach_staff_once_per_key(migrated_database_url: str) -> None:
    engine = create_db_engine(migrated_database_url)
    factory = make_session_factory(engine)
    try:
        company = build_company(factory, employees=1, with_run=False)
        with factory.begin() as session:
            first = notify_run_failures(
                session, company.company_id, period="2026-11", send_job_id=7, failed=2
            )
            again = notify_run_failures(
                session, company.company_id, period="2026-11", send_job_id=7, failed=2
            )
            other_job = notify_run_failures(
                session, company.company_id, period="2026-11", send_job_id=8, failed=1
            )
        assert (len(first), len(again), len(other_job)) == (2, 0, 2)
        with factory() as session:
            roles = {
                notice.user_id
                for notice in session.query(Notification).filter_by(
                    company_id=company.company_id
                )
            }
            assert len(roles) == 2, "admin and payroll clerk, not the employee"
            items, unread = list_notifications(session, first[0].user_id)
            assert unread == 2
            assert [item.title_en for item in items] == [
                "1 payslips for 2026-11 could not be delivered",
                "2 payslips for 2026-11 could not be delivered",
            ]
    finally:
        engine.dispose()
