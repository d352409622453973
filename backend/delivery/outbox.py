"""The outbox: every delivery row, with its frozen Kivra body, before any send.

Rows for a whole run are written in one transaction, payslip by payslip, so
only one PDF is in memory at a time. A Kivra delivery stores the exact bytes
it will send; every attempt, also after a crash, sends those bytes again, so
Kivra's duplicate control (production) recognises a repeat.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import Integer, func, select, type_coerce
from sqlalchemy.orm import Session

from backend.delivery.models import (
    CHANNEL_KIVRA,
    CHANNEL_MIN_LON,
    FAILED,
    HELD,
    Delivery,
    SendJob,
)
from backend.delivery.routing import Route
from backend.kivra.content import (
    MAX_CONTENT_BYTES,
    build_content_body,
    salaryslip_content,
)
from backend.kivra.errors import KivraValidationError
from backend.kivra.models import UserContent
from backend.payroll.documents_salaryslip import build_salary_slip
from backend.payroll.finalise import document_input_for
from backend.payroll.models import (
    Company,
    Employee,
    PayrollRun,
    Payslip,
    PayslipDocument,
)

# Long enough for a payslip to wait for someone who joins Kivra within a year
# (Kivra's own payroll example uses 390 days).
RETENTION_DAYS = 390
FLUSH_EVERY = 50

TOO_LARGE_SV = (
    "Lönebeskedet är för stort för Kivra: {size} kB med PDF, webbversion och "
    "lönedata, och Kivra tar emot högst 1 MB ({limit} kB). Det beror oftast på "
    "väldigt många lönerader. Det skickas inte till Kivra; den anställda läser "
    "det i Min lön. Slå ihop rader av samma löneart i lönekörningen om det ska "
    "kunna gå till Kivra."
)
TOO_LARGE_EN = (
    "The payslip is too large for Kivra: {size} kB with PDF, web version and "
    "salary data, and Kivra accepts at most 1 MB ({limit} kB). This is usually "
    "caused by very many pay lines. It is not sent to Kivra; the employee reads "
    "it in Min lön. Merge lines of the same pay type in the payroll run for it "
    "to go to Kivra."
)
# A body this close to Kivra's limit (estimated from the stored sizes) is
# built in full to see whether it fits.
NEAR_LIMIT = 0.9


@dataclass(frozen=True, slots=True)
class PlannedPayslip:
    """One payslip of the run and the route the rule chose for it."""

    payslip_id: int
    employee_id: int
    personnummer: str
    route: Route


def payslip_subject(period: str) -> str:
    """The inbox title: short and free of personal data."""
    return f"Lönebesked {period}"


def current_salary_slip(
    session: Session, payslip_id: int, document: PayslipDocument
) -> dict[str, Any]:
    """Build a payslip's structured salary slip from the current data.

    The PDF stays as it was rendered at finalisation; the salary slip is
    built again from the company and employee as they are now, with the
    document's own timestamp, so corrected contact details reach the next
    body built, and unchanged data gives exactly the stored salary slip.
    """
    payslip = session.get(Payslip, payslip_id)
    assert payslip is not None  # the document's foreign key guarantees it
    return build_salary_slip(document_input_for(session, payslip), document.rendered_at)


def build_payslip_body(
    *,
    ssn: str,
    period: str,
    pay_date: date,
    document: PayslipDocument,
    retain: bool,
    salaryslip: Mapping[str, Any] | None = None,
) -> bytes:
    """Encode the Kivra `salaryslip` content for one payslip, once.

    `salaryslip` replaces the stored structured salary slip when given.

    Raises:
        KivraValidationError: when Kivra would refuse it (schema, > 1 MB).
    """
    return build_content_body(
        payslip_content(
            ssn=ssn,
            period=period,
            pay_date=pay_date,
            document=document,
            retain=retain,
            salaryslip=salaryslip,
        )
    )


def payslip_content(
    *,
    ssn: str,
    period: str,
    pay_date: date,
    document: PayslipDocument,
    retain: bool,
    salaryslip: Mapping[str, Any] | None = None,
) -> UserContent:
    """The Kivra `salaryslip` content for one payslip (see `build_payslip_body`)."""
    return salaryslip_content(
        ssn=ssn,
        subject=payslip_subject(period),
        generated_at=pay_date,
        pdf=document.pdf,
        html=document.html,
        pdf_name=f"lonebesked-{period}.pdf",
        salaryslip=json.loads(document.salary_slip)
        if salaryslip is None
        else salaryslip,
        retain=retain,
        retention_time=str(RETENTION_DAYS),  # type: ignore[arg-type]
    )


def too_large_message(body_size: int) -> tuple[str, str]:
    """Why a payslip of `body_size` bytes cannot go to Kivra, in Swedish and English."""
    size_kb = -(-body_size // 1000)
    limit_kb = MAX_CONTENT_BYTES // 1000
    return (
        TOO_LARGE_SV.format(size=size_kb, limit=limit_kb),
        TOO_LARGE_EN.format(size=size_kb, limit=limit_kb),
    )


def too_large_for_kivra(
    session: Session, run_id: int, personnummer: Mapping[int, str]
) -> dict[int, int]:
    """Payslips of the run whose Kivra body would exceed Kivra's limit.

    Returns the body size in bytes per payslip id. The stored sizes give an
    estimate (base64 grows the PDF and HTML by a third); only payslips near
    the limit are built in full, exactly as the send builds them.
    """
    run = session.get(PayrollRun, run_id)
    assert run is not None
    sizes = session.execute(
        select(
            PayslipDocument.payslip_id,
            type_coerce(func.length(PayslipDocument.pdf), Integer),
            type_coerce(func.length(PayslipDocument.html), Integer),
            type_coerce(func.length(PayslipDocument.salary_slip), Integer),
        )
        .join(Payslip, Payslip.id == PayslipDocument.payslip_id)
        .where(Payslip.payroll_run_id == run_id)
    ).all()
    near = [
        payslip_id
        for payslip_id, pdf, html, slip in sizes
        if (pdf or 0) * 4 // 3 + (html or 0) * 4 // 3 + (slip or 0)
        > MAX_CONTENT_BYTES * NEAR_LIMIT
    ]
    found: dict[int, int] = {}
    for payslip_id in near:
        document = session.get(PayslipDocument, payslip_id)
        if document is None or payslip_id not in personnummer:
            continue
        content = payslip_content(
            ssn=personnummer[payslip_id],
            period=run.period,
            pay_date=run.pay_date,
            document=document,
            retain=True,
            salaryslip=current_salary_slip(session, payslip_id, document),
        )
        size = len(msgspec.json.encode(content, order="sorted"))
        if size > MAX_CONTENT_BYTES:
            found[payslip_id] = size
        session.expunge(document)
    return found


def write_deliveries(
    session: Session,
    job: SendJob,
    *,
    period: str,
    pay_date: date,
    plan: list[PlannedPayslip],
    now: datetime,
) -> None:
    """Insert the job's delivery rows; Kivra rows carry their frozen bodies.

    The plan is written in chunks: each chunk's documents, payslips and
    employees are read with one query apiece (not one per payslip), its rows
    flushed, and its documents and bodies then let go from memory.
    """
    batch: list[Delivery] = []
    # Every body needs the run and the company: held here, they are read
    # once (the session keeps only weak references to what it loaded).
    shared = (
        session.get(PayrollRun, job.payroll_run_id),
        session.get(Company, job.company_id),
    )
    for start in range(0, len(plan), FLUSH_EVERY):
        chunk = plan[start : start + FLUSH_EVERY]
        to_kivra = [
            item.payslip_id
            for item in chunk
            if item.route.to_kivra or item.route.retain_in_kivra
        ]
        # The payslips and employees are held here: the session keeps only
        # weak references to what it has loaded.
        documents, held = _load_for_bodies(session, to_kivra)
        for item in chunk:
            route = item.route
            if not route.to_kivra:
                batch.append(
                    Delivery(
                        send_job_id=job.id,
                        company_id=job.company_id,
                        payslip_id=item.payslip_id,
                        employee_id=item.employee_id,
                        channel=CHANNEL_MIN_LON,
                        reason=route.reason.value,
                        state=HELD,
                        next_attempt_at=job.release_at,
                    )
                )
            if route.to_kivra or route.retain_in_kivra:
                batch.append(
                    _kivra_delivery(
                        session,
                        job,
                        item,
                        period,
                        pay_date,
                        now=now,
                        document=documents.get(item.payslip_id),
                    )
                )
        _flush(session, batch)
        del documents, held
    del shared


def _load_for_bodies(
    session: Session, payslip_ids: list[int]
) -> tuple[dict[int, PayslipDocument], list[object]]:
    """Read what the bodies of these payslips need, one query per table.

    Returns the documents by payslip id, and the payslips and employees
    (for `current_salary_slip`), which stay in the session while held.
    """
    if not payslip_ids:
        return {}, []
    payslips = session.scalars(select(Payslip).where(Payslip.id.in_(payslip_ids))).all()
    employee_ids = {payslip.employee_id for payslip in payslips}
    employees = session.scalars(
        select(Employee).where(Employee.id.in_(employee_ids))
    ).all()
    documents = {
        document.payslip_id: document
        for document in session.scalars(
            select(PayslipDocument).where(PayslipDocument.payslip_id.in_(payslip_ids))
        )
    }
    return documents, [*payslips, *employees]


def _flush(session: Session, batch: list[Delivery]) -> None:
    """Write a batch of rows and let their bodies go from memory."""
    session.add_all(batch)
    session.flush()
    for delivery in batch:
        session.expunge(delivery)
    batch.clear()


def _kivra_delivery(
    session: Session,
    job: SendJob,
    item: PlannedPayslip,
    period: str,
    pay_date: date,
    *,
    now: datetime,
    document: PayslipDocument | None,
) -> Delivery:
    delivery = Delivery(
        send_job_id=job.id,
        company_id=job.company_id,
        payslip_id=item.payslip_id,
        employee_id=item.employee_id,
        channel=CHANNEL_KIVRA,
        reason=item.route.reason.value,
        retain=item.route.retain_in_kivra,
        state=HELD,
        next_attempt_at=job.release_at,
    )
    if document is None:
        delivery.state = FAILED
        delivery.finished_at = now
        delivery.error_code = "not_rendered"
        delivery.error_sv = (
            "Lönebeskedet saknar PDF; lönekörningen är inte färdigställd."
        )
        delivery.error_en = "The payslip has no PDF; the payroll run is not finalised."
        return delivery
    content: UserContent | None = None
    try:
        content = payslip_content(
            ssn=item.personnummer,
            period=period,
            pay_date=pay_date,
            document=document,
            retain=item.route.retain_in_kivra,
            salaryslip=current_salary_slip(session, item.payslip_id, document),
        )
        body = build_content_body(content)
    except KivraValidationError as exc:
        delivery.state = FAILED
        delivery.finished_at = now
        if exc.field == "body" and content is not None:
            # Kivra would refuse it (413/41300); say why now, without sending.
            # The size is the whole body: PDF, HTML and salary slip.
            delivery.error_code = "41300"
            delivery.error_sv, delivery.error_en = too_large_message(
                len(msgspec.json.encode(content, order="sorted"))
            )
        else:
            delivery.error_code = "invalid_content"
            delivery.error_sv = exc.message_sv
            delivery.error_en = exc.message_en
        return delivery
    finally:
        session.expunge(document)
    delivery.body_size = len(body)
    delivery.body_sha256 = hashlib.sha256(body).hexdigest()
    delivery.body = body
    return delivery
