"""`POST /v2/tenant/{tenantKey}/content`: Kivra's checks, in Kivra's order.

The order matters to a client because only the first failure is reported:
sizes, JSON, recipient, SSN, schema (branch chosen by recipient key), type,
invoice (invoices.py), salary slip, files, retain types, rate limit, recipient state and,
in production mode only, duplicate control.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from backend.kivra.spec import validate_content
from backend.kivra_emulator.invoices import PaymentChecks, check_invoice
from backend.kivra_emulator.responses import KivraError
from backend.kivra_emulator.state import (
    RATE_LIMIT_PER_MINUTE,
    Content,
    EmulatorState,
    Mode,
    RecipientState,
    new_key,
)

MAX_REQUEST_BYTES = 10 * 1024 * 1024
MAX_CONTENT_BYTES = 1024 * 1024

PERSON_TYPES = frozenset(
    {
        "letter",
        "letter.salary",
        "salaryslip",
        "letter.creditnotice",
        "letter.form",
        "letter.signed",
        "invite.research",
        "invite.gift",
        "invite.sign",
        "invite.voucher",
        "invite.kyc",
        "invoice",
        "invoice.reminder",
        "invoice.debtcampaign",
        "invoice.renewal",
        "invoice.debtcollection",
        "invoice.donation",
        "invoice.paymentnotice",
        "booking",
        "registered.letter",
        "ticket.event",
    }
)
COMPANY_TYPES = frozenset(
    {
        "letter",
        "invoice",
        "letter.salary",
        "letter.creditnotice",
        "invite.research",
        "invite.kyc",
        "accounting.invoice",
        "accounting.invoicereminder",
        "accounting.invoicecreditnote",
    }
)
RETAIN_TYPES = frozenset(
    {
        "letter.salary",
        "salaryslip",
        "letter.creditnotice",
        "letter.signed",
        "invite.sign",
    }
)
DELIVERABLE = frozenset(
    {RecipientState.ACTIVE, RecipientState.DORMANT, RecipientState.GRACE}
)
RETAINABLE = frozenset({RecipientState.UNKNOWN, RecipientState.OPTED_OUT})

_SSN = re.compile(r"^\d{12}$")
_VAT = re.compile(r"^SE\d{10}01$")


@dataclass(frozen=True)
class Accepted:
    content: Content
    duplicate: bool


def luhn_ok(digits: str) -> bool:
    """Check the Luhn digit of a 10-digit personnummer or samordningsnummer."""
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def dedup_hash(body: dict[str, Any]) -> str:
    """Hash the canonical JSON of a body without `generated_at` (Kivra's duplicate rule)."""
    canonical = {k: v for k, v in body.items() if k != "generated_at"}
    text = json.dumps(
        canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _recipient(body: dict[str, Any]) -> str:
    keys = [k for k in ("ssn", "email", "vat_number") if body.get(k) not in (None, "")]
    if not keys:
        raise KivraError(40024)
    if len(keys) > 1:
        raise KivraError(
            40024, "Exactly one of 'ssn', 'email' or 'vat_number' must be given"
        )
    value = body[keys[0]]
    if keys[0] == "ssn" and (
        not isinstance(value, str) or not _SSN.match(value) or not luhn_ok(value[2:])
    ):
        raise KivraError(40009)
    if keys[0] == "vat_number" and (
        not isinstance(value, str) or not _VAT.match(value)
    ):
        raise KivraError(40000, "vat_number must match SE[0-9]{10}01")
    return str(value)


def _check_files(body: dict[str, Any]) -> None:
    parts = body.get("parts") or []
    for part in parts:
        files = [(part, "application/pdf")]
        if isinstance(part.get("responsive_part"), dict):
            files.append((part["responsive_part"], "text/html"))
        for item, content_type in files:
            try:
                base64.b64decode(str(item.get("data", "")), validate=True)
            except binascii.Error:
                raise KivraError(
                    40019, f"Part {item.get('name')!r} is not valid base64"
                ) from None
            if item.get("content_type") != content_type:
                raise KivraError(
                    40028, f"Part {item.get('name')!r} must be {content_type}"
                )


def _validate(raw: bytes, checks: PaymentChecks) -> tuple[dict[str, Any], str]:
    """Run the checks that need no state; return the body and recipient."""
    if len(raw) > MAX_REQUEST_BYTES or len(raw) > MAX_CONTENT_BYTES:
        raise KivraError(41300, "A content may be at most 1 MB including base64 data")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise KivraError(40008) from None
    if not isinstance(body, dict):
        raise KivraError(40026)
    recipient = _recipient(body)
    errors = validate_content(body)
    if errors:
        raise KivraError(40000, "Schema violation: " + "; ".join(errors[:5]))
    content_type = body.get("type", "letter")
    allowed = COMPANY_TYPES if "vat_number" in body else PERSON_TYPES
    if content_type not in allowed:
        raise KivraError(40012)
    check_invoice(body, content_type, checks)
    if content_type == "salaryslip" and not isinstance(body.get("salaryslip"), dict):
        raise KivraError(40000, "Type salaryslip needs a valid salaryslip object")
    _check_files(body)
    if body.get("retain") is True and content_type not in RETAIN_TYPES:
        raise KivraError(42221)
    return body, recipient


def accept_content(state: EmulatorState, tenant_key: str, raw: bytes) -> Accepted:
    """Validate and store one content; return it and whether it was a duplicate.

    Raises:
        KivraError: the first check that fails, with Kivra's status and code.
    """
    body, recipient = _validate(raw, state.payment_checks)
    with state.lock:
        if state.record_send(tenant_key, recipient) > RATE_LIMIT_PER_MINUTE:
            raise KivraError(42900, headers={"retry-after": "60"})
        who = state.recipient(tenant_key, recipient).state
        retain = body.get("retain") is True
        if who not in DELIVERABLE and not (retain and who in RETAINABLE):
            raise KivraError(40032)
        digest = dedup_hash(body)
        if state.mode is Mode.PRODUCTION:
            original_key = state.dedup.get((tenant_key, digest))
            if original_key is not None:
                original = state.contents[original_key]
                original.duplicates += 1
                return Accepted(original, duplicate=True)
        now = state.now()
        retained = who not in DELIVERABLE
        content = Content(
            key=new_key(now),
            tenant_key=tenant_key,
            recipient=recipient,
            type=str(body.get("type", "letter")),
            subject=str(body.get("subject", "")),
            retained=retained,
            sha256=hashlib.sha256(raw).hexdigest(),
            dedup_hash=digest,
            body=raw,
            received_at=now,
            delivered_at=None if retained else now,
            retention_days=390 if body.get("retention_time") == "390" else 30,
        )
        state.contents[content.key] = content
        state.dedup[(tenant_key, digest)] = content.key
        return Accepted(content, duplicate=False)


def response_body(content: Content) -> dict[str, Any]:
    """Echo subject, generated_at and type, as Kivra's 201 does."""
    body = json.loads(content.body)
    echoed = {"subject": body.get("subject"), "type": body.get("type")}
    if "generated_at" in body:
        echoed["generated_at"] = body["generated_at"]
    return {k: v for k, v in echoed.items() if isinstance(v, str)}
