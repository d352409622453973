"""A rendered payslip travels to Kivra as a salary slip and arrives unchanged."""

from __future__ import annotations

import base64
import json

import httpx

from backend.kivra import spec
from backend.kivra.client import KivraClient, KivraClientConfig
from backend.kivra.content import build_content_body, pdf_part
from backend.kivra.models import UserContent
from backend.payroll.documents import (
    build_salary_slip,
    format_period_sv,
    render_html,
    render_pdf,
)
from backend.payroll.documents_sample import sample_payslip_input
from tests.emulator_fixtures import EmulatorHandle


async def test_payslip_documents_are_delivered_by_kivra_as_sent(
    kivra_emulator: EmulatorHandle,
) -> None:
    """The three documents form a content Kivra's spec and the emulator accept."""
    inp = sample_payslip_input()
    assert inp.issued_at is not None
    ssn = inp.employee.personnummer
    pdf, html = render_pdf(inp), render_html(inp)
    slip = build_salary_slip(inp, inp.issued_at)
    content = UserContent(
        ssn=ssn,
        subject=f"Lönebesked {format_period_sv(inp.period)}",
        type="salaryslip",
        generated_at=inp.pay_date.isoformat(),
        retain=True,
        retention_time="390",
        parts=[pdf_part(pdf, name=f"lonebesked-{inp.period}.pdf", html=html)],
        salaryslip=slip,
    )
    body = build_content_body(content)
    assert spec.validate_content(json.loads(body)) == []

    kivra_emulator.operator.seed_recipient(ssn, "active")
    config = KivraClientConfig(
        client_id=kivra_emulator.client_id, client_secret=kivra_emulator.client_secret
    )
    async with httpx.AsyncClient(base_url=kivra_emulator.base_url) as http:
        client = KivraClient(http, config)
        tenant = await client.create_tenant(
            name=inp.employer.name, orgnr=f"SE{inp.employer.orgnr}01"
        )
        client.invalidate_token()
        result = await client.send_content_bytes(tenant.tenant_key, body)

    assert result.status == 201
    assert not result.retained
    received = kivra_emulator.operator.content(result.content_key)["body"]
    part = received["parts"][0]
    # A resend re-renders nothing, but a re-render must still match exactly.
    assert base64.b64decode(part["data"]) == render_pdf(sample_payslip_input())
    assert base64.b64decode(part["responsive_part"]["data"]).decode("utf-8") == html
    assert received["salaryslip"] == slip
