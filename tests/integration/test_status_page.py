"""The status page over HTTP: a month's deliveries, Min lön and Kivra side by side."""

from __future__ import annotations

import re
from datetime import date

from backend.agreements.terms import CURRENT
from backend.delivery.models import FAILED, Delivery
from backend.delivery.routing import REASON_TEXTS
from backend.payroll.models import Employee, PayrollRun
from tests.agreement_fixtures import ActivationWorld
from tests.payroll_fixtures import PERIOD, DemoCompany, build_company, client_for


def _held_company(world: ActivationWorld, employees: int) -> DemoCompany:
    """A company approved with its run's send resumed for a pay date far ahead.

    The send stays held, so no worker changes its deliveries meanwhile.
    """
    company = build_company(world.api.session_factory, employees=employees)
    with world.api.session_factory.begin() as session:
        run = session.get(PayrollRun, company.run_id)
        assert run is not None
        run.pay_date = date(2099, 1, 25)
    with client_for(world.api, company.admin_email) as admin:
        approved = admin.post(
            f"/api/companies/{company.company_id}/agreement/approve",
            json={
                "terms_version": CURRENT.version,
                "scopes": ["payslips"],
                "entry_point": "fler_losningar",
                "resume_send": {"period": PERIOD, "mode": "pay_date"},
            },
        )
        assert approved.status_code == 200, approved.text
    return company


def _fail_one_delivery(world: ActivationWorld, company_id: int) -> int:
    """Fail one delivery as a Kivra refusal would leave it; return its employee."""
    with world.api.session_factory.begin() as session:
        delivery = session.query(Delivery).filter_by(company_id=company_id).first()
        assert delivery is not None
        delivery.state = FAILED
        delivery.error_sv = "Kivra avvisade försändelsen."
        return delivery.employee_id


def test_status_page_shows_each_employee_masked_with_totals_and_failures(
    activation_world: ActivationWorld,
) -> None:
    company = _held_company(activation_world, employees=3)
    cid = company.company_id
    failed_id = _fail_one_delivery(activation_world, cid)
    with activation_world.api.session_factory() as session:
        failed_employee = session.get(Employee, failed_id)
        assert failed_employee is not None
        failed_name = f"{failed_employee.first_name} {failed_employee.last_name}"
    with client_for(activation_world.api, company.admin_email) as admin:
        response = admin.get(f"/api/companies/{cid}/status", params={"month": PERIOD})
        assert response.status_code == 200
        page = response.json()
        deliveries = admin.get(f"/api/companies/{cid}/deliveries").json()["items"]

    assert page["month"] == PERIOD
    assert len(page["rows"]) == 3
    assert all(
        re.fullmatch(r"\d{8}-\*{4}", row["personnummer"]) for row in page["rows"]
    )
    assert sum(total["count"] for total in page["totals"]) == len(deliveries)
    assert [(f["employee_name"], f["reason"]) for f in page["failures"]] == [
        (failed_name, "Kivra avvisade försändelsen.")
    ]
    # Held for the pay date: everything not failed is still waiting.
    assert {p["outcome"] for p in page["pending"]} == {"held"}
    assert len(page["pending"]) == len(deliveries) - 1
    sentences = {sv for sv, _en in REASON_TEXTS.values()} | {
        "Kivra avvisade försändelsen."
    }
    for row in page["rows"]:
        assert row["kivra"] is not None or row["min_lon"] is not None
        assert row["reason"] in sentences


def test_status_page_refuses_a_malformed_month(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory, with_run=False)
    with client_for(activation_world.api, company.clerk_email) as clerk:
        response = clerk.get(
            f"/api/companies/{company.company_id}/status", params={"month": "2026-13"}
        )
        default = clerk.get(f"/api/companies/{company.company_id}/status")
    assert response.status_code == 422
    assert re.fullmatch(r"\d{4}-\d{2}", default.json()["month"])


def test_status_page_pages_and_filters_rows_keeping_the_month_totals(
    activation_world: ActivationWorld,
) -> None:
    """`limit`/`offset` page the rows and `outcome` filters them; the totals,
    failures and pending deliveries still cover the whole month."""
    company = _held_company(activation_world, employees=5)
    cid = company.company_id
    failed_id = _fail_one_delivery(activation_world, cid)
    with client_for(activation_world.api, company.admin_email) as admin:
        url = f"/api/companies/{cid}/status"
        whole = admin.get(url, params={"month": PERIOD}).json()
        pages = [
            admin.get(url, params={"month": PERIOD, "limit": 2, "offset": offset})
            for offset in (0, 2, 4, 6)
        ]
        failed = admin.get(url, params={"month": PERIOD, "outcome": "failed"}).json()
        held = admin.get(
            url, params={"month": PERIOD, "outcome": "held", "limit": 3}
        ).json()
        refused = {
            name: admin.get(url, params={"month": PERIOD, **query})
            for name, query in {
                "limit": {"limit": 0},
                "limit_too_large": {"limit": 501},
                "offset": {"limit": 2, "offset": -1},
                "outcome": {"outcome": "lost"},
            }.items()
        }

    assert whole["page"] is None
    assert len(whole["rows"]) == 5
    answers = [page.json() for page in pages]
    assert all(page.status_code == 200 for page in pages)
    assert [len(a["rows"]) for a in answers] == [2, 2, 1, 0]
    assert [row for a in answers for row in a["rows"]] == whole["rows"]
    assert [a["page"] for a in answers] == [
        {"total": 5, "limit": 2, "offset": offset} for offset in (0, 2, 4, 6)
    ]
    for answer in [*answers, failed, held]:
        assert answer["totals"] == whole["totals"]
        assert answer["failures"] == whole["failures"]
        assert answer["pending"] == whole["pending"]
    assert [row["employee_id"] for row in failed["rows"]] == [failed_id]
    assert failed["page"] is None
    assert held["page"] == {"total": 4, "limit": 3, "offset": 0}
    assert [row["employee_id"] for row in held["rows"]] == [
        row["employee_id"] for row in whole["rows"] if row["employee_id"] != failed_id
    ][:3]
    for name, answer in refused.items():
        assert answer.status_code == 422, name
        assert answer.json()["errors"][0]["field"] == name.split("_")[0]


def test_status_page_pages_run_on_into_the_old_products_rows(
    activation_world: ActivationWorld,
) -> None:
    """A moved company's month: this product's rows first, then the imported
    ones, paged as one list; the outcome filter reaches both."""
    company = _held_company(activation_world, employees=3)
    cid = company.company_id
    export = {
        "format": "vla-kivra-export",
        "version": 1,
        "exported_at": "2026-11-30T12:00:00Z",
        "company": {"orgnr": company.orgnr, "name": "Flyttbolaget AB"},
        "agreement": None,
        "deliveries": [
            {
                "period": PERIOD,
                "personnummer": f"19121212{1212 + index:04d}",
                "name": f"Gammal Person{index}",
                "channel": "kivra",
                "outcome": "failed" if index == 2 else "delivered",
                "delivered_at": "2026-10-25T06:00:00Z",
                "reason": "Kivra svarade 40032" if index == 2 else "",
            }
            for index in range(3)
        ],
    }
    with client_for(activation_world.api, company.admin_email) as admin:
        imported = admin.post(f"/api/companies/{cid}/legacy/vla-import", json=export)
        assert imported.status_code == 200, imported.text
        url = f"/api/companies/{cid}/status"
        whole = admin.get(url, params={"month": PERIOD}).json()
        pages = [
            admin.get(
                url, params={"month": PERIOD, "limit": 2, "offset": offset}
            ).json()
            for offset in (0, 2, 4)
        ]
        failed = admin.get(
            url, params={"month": PERIOD, "outcome": "failed", "limit": 5}
        ).json()

    assert [row["source"] for row in whole["rows"]] == ["product"] * 3 + ["vla"] * 3
    assert [row for page in pages for row in page["rows"]] == whole["rows"]
    assert [page["page"]["total"] for page in pages] == [6, 6, 6]
    assert [row["employee_name"] for row in failed["rows"]] == ["Gammal Person2"]
    assert failed["page"] == {"total": 1, "limit": 5, "offset": 0}
    assert failed["totals"] == whole["totals"]
