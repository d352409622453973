"""Two first sends of a new customer at once record one implied approval."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from backend.agreements.gate import check_send
from backend.agreements.models import AgreementEvent, KivraActivation
from backend.db.session import create_db_engine, make_session_factory
from backend.payroll.service import create_company
from tests.payroll_fixtures import fake_orgnr


def test_gate_new_customer_first_checks_at_once_record_one_approval(
    migrated_database_url: str,
) -> None:
    engine = create_db_engine(migrated_database_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        company_id = create_company(
            session, name="Samtidigt AB", orgnr=fake_orgnr(), is_new_customer=True
        ).id

    barrier = threading.Barrier(2)
    results: list[object] = []

    def first_send() -> None:
        barrier.wait()
        try:
            with factory.begin() as session:
                gate = check_send(session, company_id)
                # Hold the transaction open so the other check must wait on
                # this one's uncommitted row.
                time.sleep(0.3)
            results.append(gate)
        except Exception as exc:  # the assertion below names it
            results.append(exc)

    threads = [threading.Thread(target=first_send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with factory() as session:
        activations = session.scalar(
            select(func.count())
            .select_from(KivraActivation)
            .where(KivraActivation.company_id == company_id)
        )
        approvals = session.scalar(
            select(func.count())
            .select_from(AgreementEvent)
            .where(
                AgreementEvent.company_id == company_id,
                AgreementEvent.kind == "approved",
            )
        )
    engine.dispose()
    assert [type(r).__name__ for r in results] == ["SendGate", "SendGate"]
    assert all(not r.activation_required for r in results)  # type: ignore[attr-defined]
    assert activations == 1
    assert approvals == 1
