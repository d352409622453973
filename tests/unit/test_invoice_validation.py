"""Check digits, amounts, VAT numbers and totals of invoices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.invoices.amounts import (
    check_payable,
    line_amounts,
    parse_amount,
    parse_quantity,
    parse_vat_rate,
    totals,
)
from backend.invoices.validation import (
    InvalidCustomerError,
    InvalidInvoiceError,
    InvalidInvoiceSettingsError,
    check_bankgiro,
    check_free_reference,
    check_ocr,
    check_plusgiro,
    check_vat_number,
    format_giro,
    luhn_valid,
    make_ocr,
)


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("79927398713", True),  # the textbook Luhn example
        ("79927398710", False),
        ("50501055", True),  # Bankgirot's own example account
        ("50501056", False),
        ("10017", True),
        ("0", False),
        ("", False),
        ("12a4", False),
    ],
)
def test_luhn_valid_knows_the_check_digit(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


def test_make_ocr_appends_a_check_digit_the_checker_accepts() -> None:
    assert make_ocr("1001") == "10017"
    assert make_ocr("100") == "1008"
    for base in ("1", "12", "2026110001", "9" * 24):
        assert check_ocr(make_ocr(base)) == make_ocr(base)


def test_ocr_with_or_without_length_digit_only_needs_the_check_digit() -> None:
    # 1001 + length digit 6 (six digits in all) + check digit.
    with_length = make_ocr("10016")
    assert check_ocr(with_length) == with_length


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("10018", "ocr_check_digit"),
        ("1", "invalid_ocr"),
        ("12 345", "invalid_ocr"),
        ("ABC123", "invalid_ocr"),
        ("1" * 26, "invalid_ocr"),
    ],
)
def test_ocr_refused_names_the_field(value: str, reason: str) -> None:
    with pytest.raises(InvalidInvoiceError) as caught:
        check_ocr(value)
    assert caught.value.field == "reference"
    assert caught.value.reason == reason
    assert "reference" in caught.value.message_sv
    assert "reference" in caught.value.message_en


def test_free_reference_is_one_to_twenty_five_characters() -> None:
    assert check_free_reference("  Order 77/B ") == "Order 77/B"
    assert check_free_reference("R" * 25) == "R" * 25
    for bad in ("", "   ", "R" * 26, "tab\there"):
        with pytest.raises(InvalidInvoiceError) as caught:
            check_free_reference(bad)
        assert caught.value.field == "reference"


def test_bankgiro_has_seven_or_eight_digits_and_a_check_digit() -> None:
    assert check_bankgiro("5050-1055") == "50501055"
    assert check_bankgiro(" 5050 1055 ") == "50501055"
    assert check_bankgiro(make_ocr("123456")) == "1234566"
    assert format_giro("bankgiro", "50501055") == "5050-1055"
    for bad, reason in (
        ("5050-1056", "bankgiro_check_digit"),
        ("505-105", "invalid_bankgiro"),
        ("505010555", "invalid_bankgiro"),
        ("5050-105x", "invalid_bankgiro"),
    ):
        with pytest.raises(InvalidInvoiceSettingsError) as caught:
            check_bankgiro(bad)
        assert caught.value.reason == reason
        assert caught.value.field == "giro_number"


def test_plusgiro_has_two_to_eight_digits_and_a_check_digit() -> None:
    assert check_plusgiro("12345-5") == "123455"
    assert check_plusgiro("18") == "18"
    assert format_giro("plusgiro", "123455") == "12345-5"
    for bad, reason in (
        ("12345-6", "plusgiro_check_digit"),
        ("1", "invalid_plusgiro"),
        ("123456789", "invalid_plusgiro"),
    ):
        with pytest.raises(InvalidInvoiceSettingsError) as caught:
            check_plusgiro(bad)
        assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        ("1234.50", Decimal("1234.50")),
        ("1234,50", Decimal("1234.50")),
        ("1234,5", Decimal("1234.50")),
        (" 12 ", Decimal("12.00")),
        ("-99,95", Decimal("-99.95")),
        ("0", Decimal("0.00")),
    ],
)
def test_amount_accepts_a_point_or_a_comma(written: str, amount: Decimal) -> None:
    parsed = parse_amount(written, "unit_price")
    assert parsed == amount
    assert parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("1 234,50", "amount_grouped"),
        ("1\u00a0234,50", "amount_grouped"),
        ("1.234,50", "amount_grouped"),
        ("12 345 678", "amount_grouped"),
        ("1234.567", "invalid_amount"),
        ("12,3,4", "invalid_amount"),
        ("1e3", "invalid_amount"),
        ("NaN", "invalid_amount"),
        ("", "invalid_amount"),
        ("12 kr", "invalid_amount"),
        ("1000000000", "amount_too_large"),
    ],
)
def test_amount_refused_names_the_field(written: str, reason: str) -> None:
    with pytest.raises(InvalidInvoiceError) as caught:
        parse_amount(written, "lines[2].unit_price")
    assert caught.value.reason == reason
    assert caught.value.field == "lines[2].unit_price"
    assert "lines[2].unit_price" in caught.value.message_sv


def test_quantity_allows_three_decimals() -> None:
    assert parse_quantity("1,125", "quantity") == Decimal("1.125")
    with pytest.raises(InvalidInvoiceError):
        parse_quantity("1,1255", "quantity")


def test_vat_rate_is_one_of_the_swedish_rates() -> None:
    assert [parse_vat_rate(v, "vat_rate") for v in ("25", "12,0", "6%", "0")] == [
        Decimal("25.00"),
        Decimal("12.00"),
        Decimal("6.00"),
        Decimal("0.00"),
    ]
    for bad in ("20", "x", "", "Infinity"):
        with pytest.raises(InvalidInvoiceError):
            parse_vat_rate(bad, "vat_rate")


def test_payable_amount_is_at_least_one_krona() -> None:
    check_payable(Decimal("1.00"))
    with pytest.raises(InvalidInvoiceError) as caught:
        check_payable(Decimal("0.99"))
    assert caught.value.field == "total_amount"
    assert caught.value.reason == "amount_below_minimum"


def test_vat_number_must_belong_to_the_orgnr() -> None:
    assert check_vat_number("se 5599000113 01", "5599000113") == "SE559900011301"
    for bad, reason in ((None, "vat_number_missing"), ("", "vat_number_missing")):
        with pytest.raises(InvalidCustomerError) as caught:
            check_vat_number(bad, "5599000113")
        assert caught.value.reason == reason
        assert caught.value.field == "vat_number"
    with pytest.raises(InvalidCustomerError) as wrong:
        check_vat_number("SE559900012101", "5599000113")
    assert wrong.value.reason == "invalid_vat_number"


def test_totals_round_vat_per_rate_and_add_a_vat_free_fee() -> None:
    lines = [
        line_amounts("A", Decimal("3"), Decimal("33.33"), Decimal(25)),
        line_amounts("B", Decimal("0.333"), Decimal("10.00"), Decimal(25)),
        line_amounts("C", Decimal("1"), Decimal("99.99"), Decimal(12)),
        line_amounts("D", Decimal("2"), Decimal("149.50"), Decimal(6)),
        line_amounts("E", Decimal("1"), Decimal("50"), Decimal(0)),
    ]
    # 0.333 × 10.00 = 3.33 after rounding to öre.
    assert lines[1].net_amount == Decimal("3.33")
    result = totals(lines, Decimal(60))
    assert [(g.vat_rate, g.net_amount, g.vat_amount) for g in result.vat_groups] == [
        (Decimal(25), Decimal("103.32"), Decimal("25.83")),
        (Decimal(12), Decimal("99.99"), Decimal("12.00")),
        (Decimal(6), Decimal("299.00"), Decimal("17.94")),
        (Decimal(0), Decimal("50.00"), Decimal("0.00")),
    ]
    assert result.net_amount == Decimal("552.31")
    assert result.vat_amount == Decimal("55.77")
    assert result.total_amount == Decimal("668.08")


def test_totals_of_a_credit_note_are_negative_without_negative_zero() -> None:
    lines = [line_amounts("A", Decimal(-1), Decimal("950"), Decimal(0))]
    result = totals(lines)
    assert result.total_amount == Decimal("-950.00")
    assert str(result.vat_amount) == "0.00"
