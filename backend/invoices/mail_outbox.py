"""The mail outbox: e-mail notices to invoice customers outside Kivra.

The product sends no e-mail itself. A notice is written as one message file
into a Maildir (`Settings.mail_outbox_dir`, `var/mail` by default), where the
operator reads it (`mutt -f var/mail`, any Maildir reader) or hands it to the
mail system. The notice tells the customer that an invoice was issued and how
to pay it; the invoice itself is not attached.

Each message's file name is derived from its outbox row, and a message is
written only when no file of that name exists, so a worker that repeats the
write after a crash adds no second notice. Files are written into `tmp/` and
renamed into `new/`, as the Maildir format asks, so a reader never sees half
a message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from backend.db.base import utcnow
from backend.payroll.documents_format import format_sek

SUBFOLDERS = ("tmp", "new", "cur")


@dataclass(frozen=True, slots=True)
class Notice:
    """What a customer is told about an invoice they get outside Kivra."""

    sender_name: str
    sender_email: str
    to_name: str
    to_email: str
    invoice_number: str
    kind_sv: str
    kind_en: str
    # The invoice's total in kronor; written "1 425,00 kr" and "SEK 1,425.00".
    amount: Decimal
    due_date: date | None
    giro_kind: str
    giro: str
    reference: str
    # "SE_OCR" or "TENANT_REF".
    reference_kind: str
    # False for a credit note: nothing to pay, so no payment details.
    payable: bool


def notice_message(notice: Notice, *, key: str) -> EmailMessage:
    """Build the notice e-mail (Swedish, with an English summary)."""
    message = EmailMessage()
    message["From"] = f"{notice.sender_name} <{notice.sender_email}>"
    message["To"] = f"{notice.to_name} <{notice.to_email}>"
    message["Subject"] = (
        f"{notice.kind_sv} {notice.invoice_number} från {notice.sender_name}"
    )
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(idstring=key, domain="kivra-lon.invalid")
    giro = "Bankgiro" if notice.giro_kind == "bankgiro" else "Plusgiro"
    due = notice.due_date.isoformat() if notice.due_date else "-"
    label = "OCR-nummer" if notice.reference_kind == "SE_OCR" else "Referens"
    amount_sv, amount_en = format_sek(notice.amount), english_sek(notice.amount)
    if notice.payable:
        payment_sv = (
            f"Belopp att betala: {amount_sv}\n"
            f"Förfallodag: {due}\n"
            f"{giro}: {notice.giro}\n"
            f"{label}: {notice.reference}\n"
        )
        payment_en = (
            f"{amount_en} due {due}, {giro} {notice.giro}, "
            f"reference {notice.reference}."
        )
    else:
        payment_sv = f"Krediterat belopp: {amount_sv}\n"
        payment_en = f"Credited amount: {amount_en}."
    message.set_content(
        f"Hej {notice.to_name},\n\n"
        f"{notice.sender_name} har skickat {notice.kind_sv.lower()} "
        f"{notice.invoice_number} till dig.\n\n"
        f"{payment_sv}\n"
        "Fakturan finns inte bifogad. Kontakta oss om du vill ha den på "
        f"annat sätt: {notice.sender_email}.\n\n"
        "Med Kivra får du fakturor direkt i din digitala brevlåda.\n\n"
        "--\n"
        f"In English: {notice.sender_name} has sent you {notice.kind_en} "
        f"{notice.invoice_number}. {payment_en} The document is not attached.\n"
    )
    return message


def english_sek(amount: Decimal) -> str:
    """Kronor as English text writes them: "SEK 1,425.00"."""
    return f"SEK {amount:,.2f}"


def _exists(root: Path, name: str) -> bool:
    if (root / "new" / name).exists():
        return True
    # A reader that has seen the message moves it to cur/ with flags appended.
    return any((root / "cur").glob(f"{name}:*")) or (root / "cur" / name).exists()


def write_once(directory: str | Path, name: str, message: EmailMessage) -> bool:
    """Put `message` into the Maildir under `name` unless it is already there.

    Returns whether it was written now.
    """
    root = Path(directory)
    for sub in SUBFOLDERS:
        (root / sub).mkdir(parents=True, exist_ok=True)
    if _exists(root, name):
        return False
    temporary = root / "tmp" / name
    temporary.write_bytes(bytes(message))
    os.replace(temporary, root / "new" / name)
    return True


def messages(directory: str | Path) -> list[Path]:
    """The message files in the outbox, new and seen, by name."""
    root = Path(directory)
    found = [path for sub in ("new", "cur") for path in (root / sub).glob("*")]
    return sorted(found, key=lambda path: path.name)
