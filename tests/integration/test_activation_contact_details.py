"""Activation of a company whose contact details cannot make a Kivra payslip.

Through the API over HTTP against the emulator: the send names the details
to correct before it offers activation, and an approval that resumes the
send still approves but says why nothing was sent.
"""

from __future__ import annotations

from sqlalchemy import update

from backend.agreements.terms import CURRENT
from backend.payroll.models import Company
from tests.agreement_fixtures import ActivationWorld
from tests.payroll_fixtures import PERIOD, build_company, client_for, fake_personnummer


def _strip_contact_details(world: ActivationWorld, company_id: int) -> None:
    with world.api.session_factory() as session, session.begin():
        session.execute(
            update(Company)
            .where(Company.id == company_id)
            .values(street_address="", postal_code="", email="", phone="")
        )


def test_activation_send_names_missing_contact_details_before_the_offer(
    activation_world: ActivationWorld,
) -> None:
    """No offer, agreement or tenant while the details cannot reach Kivra."""
    company = build_company(activation_world.api.session_factory)
    _strip_contact_details(activation_world, company.company_id)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.clerk_email) as clerk:
        forecast = clerk.get(f"{base}/payroll-runs/{PERIOD}/forecast").json()
        assert forecast["activation_required"] is True
        assert forecast["can_send"] is False
        assert "kivra-lon update-company" in forecast["blocked_sv"]
        sent = clerk.post(f"{base}/payroll-runs/{PERIOD}/send", json={"mode": "now"})
        assert sent.status_code == 409, sent.text
        problem = sent.json()
        assert problem["code"] == "run_not_sendable"
        assert problem["company_fields"] == [
            "street_address",
            "postal_code",
            "email",
            "phone",
        ]
        assert "kivra-lon update-company" in problem["detail"]
        agreement = clerk.get(f"{base}/agreement").json()
        assert agreement["state"] == "not_approved"
    assert activation_world.kivra.operator.tenants() == []


def test_activation_approval_with_resume_reports_why_nothing_was_sent(
    activation_world: ActivationWorld,
) -> None:
    """Approving stands; the answer has no job and names the details to fix."""
    company = build_company(activation_world.api.session_factory)
    for index in range(3):
        activation_world.kivra.operator.seed_recipient(
            fake_personnummer(index), "active"
        )
    _strip_contact_details(activation_world, company.company_id)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.clerk_email) as clerk:
        approved = clerk.post(
            f"{base}/agreement/approve",
            json={
                "terms_version": CURRENT.version,
                "scopes": ["payslips"],
                "entry_point": "payroll_run",
                "resume_send": {"period": PERIOD, "mode": "now"},
            },
        )
        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert body["agreement"]["state"] == "active"
        assert body["send_job"] is None
        assert body["send_blocked_fields"] == [
            "street_address",
            "postal_code",
            "email",
            "phone",
        ]
        assert "inget har skickats" in body["send_blocked_sv"]
        assert "nothing was sent" in body["send_blocked_en"]
        assert clerk.get(f"{base}/deliveries").json()["items"] == []
