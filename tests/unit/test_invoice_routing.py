"""The invoice routing rule and the mail outbox's write-once notices."""

from __future__ import annotations

import email
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from backend.invoices.mail_outbox import Notice, messages, notice_message, write_once
from backend.invoices.routing import CustomerFacts, InvoiceReason, route_invoice


@pytest.mark.parametrize(
    ("customer", "in_kivra", "fallback", "expected"),
    [
        (CustomerFacts("person", "191212121212", True), True, "email", ("kivra", InvoiceReason.KIVRA_USER)),
        (CustomerFacts("company", "SE559900011301", True), True, "print", ("kivra", InvoiceReason.KIVRA_COMPANY)),
        (CustomerFacts("person", "191212121212", True), False, "email", ("email", InvoiceReason.NOT_IN_KIVRA_EMAIL)),
        (CustomerFacts("person", "191212121212", False), False, "email", ("print", InvoiceReason.NOT_IN_KIVRA_NO_EMAIL)),
        (CustomerFacts("company", "SE559900011301", True), False, "print", ("print", InvoiceReason.NOT_IN_KIVRA_PRINT)),
        (CustomerFacts("person", None, True), True, "email", ("email", InvoiceReason.NOT_IN_KIVRA_EMAIL)),
    ],
)  # fmt: skip
def test_route_invoice_takes_the_first_rule_that_applies(
    customer: CustomerFacts,
    in_kivra: bool,
    fallback: str,
    expected: tuple[str, InvoiceReason],
) -> None:
    route = route_invoice(customer, in_kivra=in_kivra, fallback=fallback)
    assert (route.channel, route.reason) == expected
    assert route.to_kivra is (expected[0] == "kivra")


def notice(**overrides: object) -> Notice:
    fields: dict[str, object] = {
        "sender_name": "Fakturabolaget AB",
        "sender_email": "faktura@fakturabolaget.example",
        "to_name": "Test Testsson",
        "to_email": "test@kund.example",
        "invoice_number": "1001",
        "kind_sv": "Faktura",
        "kind_en": "invoice",
        "amount": Decimal("1425.00"),
        "due_date": date(2026, 12, 2),
        "giro_kind": "bankgiro",
        "giro": "5050-1055",
        "reference": "10017",
        "reference_kind": "SE_OCR",
        "payable": True,
    }
    fields.update(overrides)
    return Notice(**fields)  # type: ignore[arg-type]


def test_notice_is_written_once_whatever_happens(tmp_path: Path) -> None:
    first = write_once(tmp_path, "invoice-1-7", notice_message(notice(), key="k"))
    again = write_once(tmp_path, "invoice-1-7", notice_message(notice(), key="k"))
    # A mail reader that has seen the message moves it to cur/ with flags.
    (tmp_path / "new" / "invoice-1-7").rename(tmp_path / "cur" / "invoice-1-7:2,S")
    after_read = write_once(tmp_path, "invoice-1-7", notice_message(notice(), key="k"))
    assert (first, again, after_read) == (True, False, False)
    assert [path.name for path in messages(tmp_path)] == ["invoice-1-7:2,S"]
    assert list((tmp_path / "tmp").iterdir()) == []


def test_notice_writes_the_amount_the_swedish_and_the_english_way() -> None:
    message = notice_message(notice(), key="k")
    text = email.message_from_bytes(bytes(message)).get_payload(decode=True)
    assert isinstance(text, bytes)
    body = text.decode("utf-8")
    # Digits grouped by a no-break space, a decimal comma, "kr" after.
    assert "Belopp att betala: 1\u00a0425,00\u00a0kr\n" in body
    assert "SEK 1,425.00 due 2026-12-02" in body


def test_credit_note_notice_asks_for_no_payment() -> None:
    message = notice_message(
        notice(kind_sv="Kreditnota", kind_en="credit note", amount=Decimal("-250.00"),
               due_date=None, payable=False),
        key="k",
    )  # fmt: skip
    text = email.message_from_bytes(bytes(message)).get_payload(decode=True)
    assert isinstance(text, bytes)
    body = text.decode("utf-8")
    assert "Krediterat belopp: -250,00\u00a0kr" in body
    assert "Credited amount: SEK -250.00." in body
    assert "Bankgiro" not in body
    assert message["Subject"] == "Kreditnota 1001 från Fakturabolaget AB"
