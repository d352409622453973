"""Building content bodies for Kivra, checked before they leave the product.

A body is built once with `build_content_body`, stored by the caller, and
sent later as the same bytes by `KivraClient.send_content_bytes`. Kivra's
duplicate control (production only) compares whole bodies, so a retry or a
resend is safe only when it is byte-identical; that is why the encoding is
deterministic (sorted keys, no whitespace) and the PDF is never re-rendered.

`letter.salary` is refused: Kivra deprecated it from 2026-10-01 in favour of
`salaryslip`, and a product built after that date has no reason to send it.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import msgspec
from msgspec import UNSET

from backend.kivra.errors import KivraValidationError
from backend.kivra.identifiers import check_vat_number, normalise_ssn
from backend.kivra.invoices import validate_company_invoice, validate_payment
from backend.kivra.models import (
    CompanyContent,
    Content,
    FilePart,
    ResponsivePart,
    RetentionTime,
    UserContent,
)

# Kivra measures 1 MB on the whole JSON body, base64 included. The spec does
# not say whether a megabyte is 10^6 or 2^20 bytes; the smaller is safe.
MAX_CONTENT_BYTES = 1_000_000

PERSON_TYPES = frozenset(
    {
        "letter", "letter.salary", "salaryslip", "letter.creditnotice",
        "letter.form", "letter.signed", "invite.research", "invite.gift",
        "invite.sign", "invite.voucher", "invite.kyc", "invoice",
        "invoice.reminder", "invoice.debtcampaign", "invoice.renewal",
        "invoice.debtcollection", "invoice.donation", "invoice.paymentnotice",
        "booking", "registered.letter", "ticket.event",
    }
)  # fmt: skip
COMPANY_TYPES = frozenset(
    {
        "letter", "invoice", "letter.salary", "letter.creditnotice",
        "invite.research", "invite.kyc", "accounting.invoice",
        "accounting.invoicereminder", "accounting.invoicecreditnote",
    }
)  # fmt: skip
RETAIN_TYPES = frozenset(
    {
        "letter.salary",
        "salaryslip",
        "letter.creditnotice",
        "letter.signed",
        "invite.sign",
    }
)
DEPRECATED_TYPES = frozenset({"letter.salary"})

SALARY_SLIP_SCHEMA = (
    Path(__file__).parent / "spec" / "_partials" / "schema-salary-slip.json"
)


def _invalid(sv: str, en: str, field: str) -> KivraValidationError:
    return KivraValidationError(sv, en, field=field)


@functools.cache
def _salary_slip_validator() -> jsonschema.Draft6Validator:
    schema = json.loads(SALARY_SLIP_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft6Validator(schema)


@functools.cache
def _fast_salary_slip_validator() -> jsonschema_rs.Draft6Validator:
    # The schema's telephone pattern writes "{,2}", which Python reads as
    # "{0,2}" and the compiled validator's regex engine refuses; spelled out
    # it means the same to both. Formats are not checked, as in Python.
    text = SALARY_SLIP_SCHEMA.read_text(encoding="utf-8").replace("{,2}", "{0,2}")
    return jsonschema_rs.Draft6Validator(json.loads(text), validate_formats=False)


def validate_salary_slip(slip: Mapping[str, Any]) -> None:
    """Check a structured salary slip against Kivra's schema.

    A compiled validator answers in microseconds for the slips that pass,
    which is every slip of a bulk send; only a slip it refuses goes through
    the Python validator, which has the last word and names the error. The
    message names the failing field's path, never its value, because values
    can be personal data.

    Raises:
        KivraValidationError: on the first schema violation.
    """
    # A value the compiled validator cannot read (not plain JSON data) is
    # left to the Python validator too.
    with contextlib.suppress(ValueError):
        if _fast_salary_slip_validator().is_valid(slip):
            return
    error = jsonschema.exceptions.best_match(_salary_slip_validator().iter_errors(slip))
    if error is not None:
        path = "/".join(str(part) for part in error.absolute_path) or "(rot)"
        raise _invalid(
            f"Lönebeskedets data följer inte Kivras schema ({error.validator} vid {path}).",
            f"The salary slip does not follow Kivra's schema ({error.validator} at {path}).",
            f"salaryslip/{path}",
        )


def _check_type_and_retain(content: Content, allowed: frozenset[str]) -> None:
    if content.type in DEPRECATED_TYPES:
        raise _invalid(
            "Typen letter.salary är utfasad hos Kivra sedan 2026-10-01; använd salaryslip.",
            "The type letter.salary is deprecated at Kivra since 2026-10-01; use salaryslip.",
            "type",
        )
    if content.type not in allowed:
        raise _invalid(
            f"Kivra känner inte till typen {content.type!r} för den här mottagaren.",
            f"Kivra does not know the type {content.type!r} for this recipient.",
            "type",
        )
    if not content.subject.strip():
        raise _invalid("Rubrik saknas.", "The subject is missing.", "subject")


def validate_content(content: Content) -> None:
    """Run every check Kivra's schema cannot make on one content.

    Raises:
        KivraValidationError: naming the first rule broken.
    """
    if isinstance(content, CompanyContent):
        check_vat_number(content.vat_number)
        _check_type_and_retain(content, COMPANY_TYPES)
        if content.type.startswith("accounting.") and content.invoice is UNSET:
            raise _invalid(
                "Typen kräver ett invoice-objekt.",
                "The type requires an invoice object.",
                "invoice",
            )
        if content.invoice is not UNSET:
            validate_company_invoice(content.invoice, content.type)
        if content.payment_multiple_options is not UNSET:
            validate_payment(content.payment_multiple_options)
        return
    if (content.ssn is UNSET) == (content.email is UNSET):
        raise _invalid(
            "Ange exakt en mottagare: personnummer eller e-post.",
            "Give exactly one recipient: personnummer or e-mail.",
            "ssn",
        )
    if content.ssn is not UNSET and normalise_ssn(content.ssn) != content.ssn:
        raise _invalid(
            "Personnumret ska anges med tolv siffror utan bindestreck.",
            "The personnummer must be given as twelve digits without a hyphen.",
            "ssn",
        )
    _check_type_and_retain(content, PERSON_TYPES)
    if content.retain is True and content.type not in RETAIN_TYPES:
        raise _invalid(
            f"Typen {content.type} kan inte sparas för mottagare utan Kivra.",
            f"The type {content.type} cannot be retained for recipients outside Kivra.",
            "retain",
        )
    if content.retention_time is not UNSET and content.retain is not True:
        raise _invalid(
            "Lagringstid kräver att försändelsen sparas (retain).",
            "A retention time requires retain.",
            "retention_time",
        )
    if content.type.startswith("invoice"):
        if content.payment_multiple_options is UNSET:
            raise _invalid(
                "En faktura kräver betalningsuppgifter.",
                "An invoice requires payment details.",
                "payment_multiple_options",
            )
        validate_payment(content.payment_multiple_options)
    if content.type == "salaryslip":
        if content.salaryslip is UNSET:
            raise _invalid(
                "Lönebeskedet saknar strukturerad data.",
                "The payslip lacks its structured salary slip.",
                "salaryslip",
            )
        validate_salary_slip(content.salaryslip)


def check_body_size(body: bytes) -> None:
    """Refuse a body over Kivra's 1 MB per content.

    Raises:
        KivraValidationError: when the body is too large.
    """
    if len(body) > MAX_CONTENT_BYTES:
        raise _invalid(
            f"Försändelsen är {len(body)} byte; Kivra tar emot högst {MAX_CONTENT_BYTES} byte.",
            f"The content is {len(body)} bytes; Kivra accepts at most {MAX_CONTENT_BYTES} bytes.",
            "body",
        )


def build_content_body(content: Content) -> bytes:
    """Check `content` and encode it as the exact bytes to store and send.

    The encoding is deterministic: the same content gives the same bytes.

    Raises:
        KivraValidationError: when a check fails or the body exceeds 1 MB.
    """
    validate_content(content)
    body = msgspec.json.encode(content, order="sorted")
    check_body_size(body)
    return body


def pdf_part(pdf: bytes, *, name: str, html: str | bytes | None = None) -> FilePart:
    """Wrap a PDF, and optionally its responsive HTML version, as one part."""
    responsive: ResponsivePart | msgspec.UnsetType = UNSET
    if html is not None:
        raw = html.encode("utf-8") if isinstance(html, str) else html
        responsive = ResponsivePart(
            name=name.rsplit(".", 1)[0] + ".html",
            data=base64.b64encode(raw).decode("ascii"),
            content_type="text/html",
        )
    return FilePart(
        name=name,
        data=base64.b64encode(pdf).decode("ascii"),
        content_type="application/pdf",
        responsive_part=responsive,
    )


def salaryslip_content(
    *,
    ssn: str,
    subject: str,
    generated_at: date | str,
    pdf: bytes,
    salaryslip: Mapping[str, Any],
    html: str | bytes | None = None,
    pdf_name: str = "lonebesked.pdf",
    retain: bool = False,
    retention_time: RetentionTime = "390",
) -> UserContent:
    """Describe a payslip as Kivra's `salaryslip` content for one employee.

    With `retain`, Kivra keeps the payslip for `retention_time` days for an
    employee who is not (yet) in Kivra.
    """
    return UserContent(
        ssn=normalise_ssn(ssn),
        subject=subject,
        type="salaryslip",
        generated_at=generated_at.isoformat()
        if isinstance(generated_at, date)
        else generated_at,
        parts=[pdf_part(pdf, name=pdf_name, html=html)],
        salaryslip=dict(salaryslip),
        retain=True if retain else UNSET,
        retention_time=retention_time if retain else UNSET,
    )
