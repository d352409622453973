"""The move from the old web product: first-send notice and export import."""

from __future__ import annotations

import hashlib
import logging

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.agreements.models import (
    AGREEMENT_ACTIVE,
    AGREEMENT_ENDED,
    ENTRY_VLA_IMPORT,
    TENANT_ACTIVE,
    TENANT_NONE,
    AgreementEvent,
    KivraActivation,
)
from backend.db.base import utcnow
from backend.errors import AppError, ConflictError, InvalidInputError, NotFoundError
from backend.legacy.export_format import VlaAgreement, decode_export
from backend.legacy.models import VlaDelivery, VlaImport
from backend.logging import mask_personnummer
from backend.notifications.service import notify_company
from backend.payroll.identity import normalise_orgnr
from backend.payroll.models import Company
from backend.validation_messages import translate_validation_message
from shared_types.agreements import VlaImportResult

logger = logging.getLogger(__name__)

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
            "löneprogrammet, inte längre i den gamla webbtjänsten. Er historik "
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


def _invalid_file(exc: msgspec.MsgspecError) -> InvalidInputError:
    reason = str(exc)
    reason_sv = (
        translate_validation_message(reason, "sv")
        if isinstance(exc, msgspec.ValidationError)
        else "filen är inte giltig JSON."
    )
    return InvalidInputError(
        f"Exportfilen från den gamla webbtjänsten kunde inte läsas: {reason_sv}",
        f"The export file from the old web service could not be read: {reason}",
    )


def import_vla_export(
    session: Session, data: bytes, *, company_id: int | None = None
) -> VlaImportResult:
    """Import a VLA export: the Kivra agreement and the delivery history.

    The company is found by the export's organisation number; when
    `company_id` is given (the API) it must be that company. Importing the
    same file again changes nothing; a different file for a company already
    moved is refused.

    Raises:
        InvalidInputError: when the file is not a valid export.
        NotFoundError: when no company has the export's organisation number.
        ConflictError: when the company was already moved with another file.
    """
    try:
        export = decode_export(data)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise _invalid_file(exc) from exc
    company = session.scalar(
        select(Company).where(Company.orgnr == export.company.orgnr)
    )
    if company is None or (company_id is not None and company.id != company_id):
        if company_id is not None:
            raise InvalidInputError(
                "Exportfilen gäller ett annat organisationsnummer än ert företags.",
                "The export file is for another organisation number than your company's.",
            )
        raise NotFoundError(
            "Inget företag har exportfilens organisationsnummer.",
            "No company has the export file's organisation number.",
        )
    # Hash the decoded export, so the same content in other whitespace is "the same file".
    digest = hashlib.sha256(msgspec.json.encode(export)).hexdigest()
    existing = session.scalar(
        select(VlaImport).where(VlaImport.company_id == company.id)
    )
    if existing is not None:
        if existing.source_sha256 != digest:
            raise ConflictError(
                "Företaget är redan flyttat från den gamla webbtjänsten med en annan fil.",
                "The company was already moved from the old web service with another file.",
            )
        count = len(
            session.scalars(
                select(VlaDelivery.id).where(VlaDelivery.company_id == company.id)
            ).all()
        )
        return VlaImportResult(
            company_id=company.id,
            deliveries=count,
            agreement_imported=False,
            already=True,
        )
    agreement = export.agreement
    session.add(
        VlaImport(
            company_id=company.id,
            orgnr=export.company.orgnr,
            source_sha256=digest,
            exported_at=export.exported_at,
            agreement=msgspec.to_builtins(agreement) if agreement else {},
        )
    )
    for record in export.deliveries:
        session.add(
            VlaDelivery(
                company_id=company.id,
                period=record.period,
                personnummer_masked=mask_personnummer(record.personnummer),
                employee_name=record.name,
                channel=record.channel,
                outcome=record.outcome,
                reason=record.reason,
                delivered_at=record.delivered_at,
            )
        )
    imported = agreement is not None and _import_agreement(
        session, company.id, agreement
    )
    session.flush()
    logger.info(
        "vla_export_imported",
        extra={"company_id": company.id, "deliveries": len(export.deliveries)},
    )
    return VlaImportResult(
        company_id=company.id,
        deliveries=len(export.deliveries),
        agreement_imported=imported,
        already=False,
    )


def _import_agreement(
    session: Session, company_id: int, agreement: VlaAgreement
) -> bool:
    if session.scalar(
        select(KivraActivation.id).where(KivraActivation.company_id == company_id)
    ):
        # An agreement made in this product wins over the old one.
        return False
    when = agreement.approved_at
    session.add(
        KivraActivation(
            company_id=company_id,
            state=AGREEMENT_ACTIVE if agreement.state == "active" else AGREEMENT_ENDED,
            terms_version=agreement.terms_version,
            scopes=list(agreement.scopes),
            entry_point=ENTRY_VLA_IMPORT,
            approved_at=when,
            ended_at=None if agreement.state == "active" else utcnow(),
            tenant_state=TENANT_ACTIVE if agreement.tenant_key else TENANT_NONE,
            tenant_key=agreement.tenant_key,
        )
    )
    session.add(
        AgreementEvent(
            company_id=company_id,
            kind="imported_from_vla",
            terms_version=agreement.terms_version,
            scopes=list(agreement.scopes),
            entry_point=ENTRY_VLA_IMPORT,
            detail={
                "approved_at": when.isoformat(),
                "approved_by": agreement.approved_by,
                "state": agreement.state,
            },
        )
    )
    return True


def moved_error(session: Session, orgnr: str, company_id: int, what: str) -> AppError:
    """The old product's answer after the move: 410 with where it went.

    The old product wrote org numbers as NNNNNN-NNNN; both forms find the
    company, and a number with a wrong check digit is refused as invalid.
    """
    orgnr = normalise_orgnr(orgnr)
    moved = session.scalar(
        select(VlaImport).where(
            VlaImport.orgnr == orgnr, VlaImport.company_id == company_id
        )
    )
    if moved is None:
        return NotFoundError(
            "Företaget har inte flyttats från den gamla webbtjänsten.",
            "The company has not been moved from the old web service.",
        )
    new_url = (
        f"/api/companies/{company_id}/agreement"
        if what == "agreement"
        else status_page_path(company_id)
    )
    return MovedError(
        "Sidan har flyttat till löneprogrammet.",
        "This page has moved to the payroll program.",
        extra={
            "moved_to": new_url,
            "moved_at": moved.imported_at.isoformat(),
            "links": {
                "agreement": f"/api/companies/{company_id}/agreement",
                "status": status_page_path(company_id),
            },
        },
    )


class MovedError(AppError):
    """The old product's page now lives in this product."""

    status_code = 410
    code = "moved"
