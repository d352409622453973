"""Rules of a company's customer register and invoice settings.

A customer is a private person, known by personnummer, or a company, known by
organisation number and VAT number (momsregistreringsnummer); both need a
name, and an e-mail address and postal address for the fallback when they
are not Kivra users. The invoice settings hold the giro account every new
invoice is paid to; changing them never alters an invoice already issued.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.orm import Session

from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.invoices import repository
from backend.invoices.models import Customer, InvoiceSettings
from backend.invoices.validation import (
    InvalidCustomerError,
    InvalidInvoiceSettingsError,
    check_giro,
    check_swish,
    check_vat_number,
)
from backend.payroll import identity
from shared_types import invoices as api

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_NAME_LENGTH = 200


class InvoiceSettingsMissingError(ConflictError):
    code = "invoice_settings_missing"


def customer_not_found() -> NotFoundError:
    return NotFoundError("Kunden finns inte.", "The customer does not exist.")


def get_settings(session: Session, company_id: int) -> InvoiceSettings:
    """Return the company's invoice settings.

    Raises:
        InvoiceSettingsMissingError: the company has not given a giro account yet.
    """
    settings = repository.get_settings(session, company_id)
    if settings is None:
        raise InvoiceSettingsMissingError(
            "Ange först bankgiro eller plusgiro i fakturainställningarna.",
            "First give a bankgiro or plusgiro number in the invoice settings.",
        )
    return settings


def put_settings(
    session: Session, company_id: int, data: api.InvoiceSettings
) -> InvoiceSettings:
    """Create or replace the company's invoice settings after checking the giro."""
    giro_number = check_giro(data.giro_kind, data.giro_number)
    swish = (
        check_swish(data.swish_alias, error=InvalidInvoiceSettingsError)
        if data.swish_alias
        else None
    )
    settings = repository.get_settings(session, company_id)
    if settings is None:
        settings = InvoiceSettings(company_id=company_id)
        session.add(settings)
    settings.giro_kind = data.giro_kind
    settings.giro_number = giro_number
    settings.swish_alias = swish
    settings.fallback = data.fallback
    session.flush()
    return settings


def _text(value: str, field: str, *, required: bool, limit: int) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidCustomerError(
            field,
            "required",
            f"Fältet {field} måste fyllas i.",
            f"The field {field} is required.",
        )
    if len(text) > limit:
        raise InvalidCustomerError(
            field,
            "too_long",
            f"Fältet {field} får vara högst {limit} tecken långt.",
            f"The field {field} may be at most {limit} characters long.",
        )
    return text


def _personnummer(value: str | None) -> str:
    if value is None or not value.strip():
        raise InvalidCustomerError(
            "personnummer",
            "required",
            "En privatperson som kund måste ha personnummer (fältet personnummer).",
            "A private customer must have a personnummer (the field personnummer).",
        )
    try:
        return identity.normalise(value)
    except InvalidInputError as exc:
        raise InvalidCustomerError(
            "personnummer",
            "invalid_personnummer",
            f"{exc.message_sv.removesuffix('.')} (fältet personnummer).",
            f"{exc.message_en.removesuffix('.')} (the field personnummer).",
        ) from exc


def _orgnr(value: str | None) -> str:
    if value is None or not value.strip():
        raise InvalidCustomerError(
            "orgnr",
            "required",
            "Ett företag som kund måste ha organisationsnummer (fältet orgnr).",
            "A company customer must have an organisation number (the field orgnr).",
        )
    try:
        return identity.normalise_orgnr(value)
    except InvalidInputError as exc:
        raise InvalidCustomerError(
            "orgnr",
            "invalid_orgnr",
            f"{exc.message_sv.removesuffix('.')} (fältet orgnr).",
            f"{exc.message_en.removesuffix('.')} (the field orgnr).",
        ) from exc


def validate_customer(data: api.CustomerCreate) -> Customer:
    """Check a new customer and return it, not yet added to any session."""
    name = _text(data.name, "name", required=True, limit=MAX_NAME_LENGTH)
    email = _text(data.email, "email", required=False, limit=254)
    if email and not _EMAIL.fullmatch(email):
        raise InvalidCustomerError(
            "email",
            "invalid_email",
            "E-postadressen i fältet email är ogiltig.",
            "The e-mail address in the field email is invalid.",
        )
    customer = Customer(
        kind=data.kind,
        name=name,
        email=email,
        street_address=_text(
            data.street_address, "street_address", required=False, limit=200
        ),
        postal_code=_text(data.postal_code, "postal_code", required=False, limit=10),
        city=_text(data.city, "city", required=False, limit=100),
    )
    if data.kind == "person":
        customer.personnummer = _personnummer(data.personnummer)
    else:
        orgnr = _orgnr(data.orgnr)
        customer.orgnr = orgnr
        customer.vat_number = check_vat_number(data.vat_number, orgnr)
    return customer


def find_existing(
    session: Session, company_id: int, customer: Customer
) -> Customer | None:
    """Return the company's customer with the same personnummer or orgnr."""
    if customer.personnummer:
        return repository.customer_by_personnummer(
            session, company_id, customer.personnummer
        )
    if customer.orgnr:
        return repository.customer_by_orgnr(session, company_id, customer.orgnr)
    return None


def create_customer(
    session: Session, company_id: int, data: api.CustomerCreate
) -> Customer:
    """Add a customer to the company's register.

    Raises:
        InvalidCustomerError: a field breaks a rule; the error names it.
        ConflictError: the company already has this customer.
    """
    customer = validate_customer(data)
    if find_existing(session, company_id, customer) is not None:
        raise ConflictError(
            "Kunden finns redan i kundregistret.",
            "The customer is already in the customer register.",
            extra={"reason": "customer_exists"},
        )
    customer.company_id = company_id
    session.add(customer)
    session.flush()
    return customer


def list_customers(
    session: Session, company_id: int, *, limit: int, offset: int
) -> tuple[Sequence[Customer], int]:
    return repository.list_customers(session, company_id, limit=limit, offset=offset)


def get_customer(session: Session, company_id: int, customer_id: int) -> Customer:
    customer = repository.get_customer(session, company_id, customer_id)
    if customer is None:
        raise customer_not_found()
    return customer
