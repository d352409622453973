"""The agreement history is append-only below the API too, on both databases."""

from __future__ import annotations

import pytest

from backend.agreements.models import AgreementEvent, AppendOnlyError
from backend.db.session import create_db_engine, make_session_factory
from tests.payroll_fixtures import build_company


def test_agreement_events_refuse_update_and_delete(migrated_database_url: str) -> None:
    engine = create_db_engine(migrated_database_url)
    factory = make_session_factory(engine)
    try:
        company = build_company(factory, employees=0, with_run=False)
        with factory.begin() as session:
            event = AgreementEvent(
                company_id=company.company_id,
                kind="approved",
                scopes=["payslips"],
                detail={},
            )
            session.add(event)
        with factory() as session:
            stored = session.get(AgreementEvent, event.id)
            assert stored is not None
            stored.kind = "ended"
            with pytest.raises(AppendOnlyError):
                session.flush()
            session.rollback()
            stored = session.get(AgreementEvent, event.id)
            session.delete(stored)
            with pytest.raises(AppendOnlyError):
                session.flush()
            session.rollback()
        with factory() as session:
            kept = session.get(AgreementEvent, event.id)
            assert kept is not None
            assert kept.kind == "approved"
    finally:
        engine.dispose()
