"""Kivra's structured salary slip: valid against Kivra's schema, same numbers as the PDF."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft6Validator

from backend.payroll.documents import (
    EmployeeInfo,
    PayslipDocumentInput,
    PayslipLine,
    build_salary_slip,
)
from backend.payroll.documents_sample import sample_payslip_input

SCHEMA_FILE = (
    Path(__file__).parents[2]
    / "backend"
    / "kivra"
    / "spec"
    / "_partials"
    / "schema-salary-slip.json"
)
CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def validator() -> Draft6Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema, format_checker=Draft6Validator.FORMAT_CHECKER)


def _errors(validator: Draft6Validator, slip: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(slip)]


def _money(value: dict[str, str]) -> Decimal:
    assert value["currency"] == "SEK"
    return Decimal(value["monetary_amount"])


def test_salary_slip_of_the_sample_is_valid_and_carries_its_numbers(
    validator: Draft6Validator,
) -> None:
    inp = sample_payslip_input()
    slip = build_salary_slip(inp, CREATED)

    assert _errors(validator, slip) == []
    period = slip["pay_period"]
    assert _money(period["gross_pay"]) == inp.gross_pay
    assert _money(period["tax_deducted"]) == inp.preliminary_tax
    assert _money(period["net_pay"]) == inp.net_pay
    assert _money(period["basic_contractual_salary"]) == Decimal("34500.00")
    assert period["payout_date"] == "2026-11-25"
    assert (period["start_date"], period["end_date"]) == ("2026-11-01", "2026-11-30")
    assert _money(slip["yearly_accumulated_gross_pay"]) == inp.ytd_gross
    assert _money(slip["yearly_accumulated_taxes"]) == inp.ytd_tax
    assert slip["holidays"]["days_remaining_in_period"] == "18.50"
    employer = slip["employment"]["employer"]
    assert employer["legal_identifiers"] == {
        "vat_number": "SE556677889901",
        "org_number": "556677-8899",
    }
    assert slip["tax_information"]["tax_code"]["identifier"] == "Tabell 33, kolumn 1"
    assert slip["document_metadata"] == {
        "creation_timestamp": "2026-11-20T09:30:00Z",
        "source_system": "Kivra i Lön",
    }


def test_salary_slip_keeps_the_sign_of_deductions_and_absences(
    validator: Draft6Validator,
) -> None:
    slip = build_salary_slip(sample_payslip_input(), CREATED)

    payments = {
        p["type"]: p["monetary_amount"]
        for p in slip["pay_period"]["additional_payments"]
    }
    assert payments == {
        "OB-tillägg kväll": "727.50",
        "Övertid enkel": "1248.00",
        "Sjukavdrag dag 2–14": "-2544.80",
        "Fackföreningsavgift": "-420.00",
    }
    assert slip["pay_period"]["absences"] == [
        {"type": "Sjukavdrag dag 2–14", "duration_in_hours": "16.00"}
    ]
    assert slip["pay_period"]["employee_benefits"][0]["monetary_amount"] == "3250.00"
    assert _errors(validator, slip) == []


def test_salary_slip_with_zero_tax_and_no_optional_parts_is_valid(
    validator: Draft6Validator,
) -> None:
    inp = msgspec.structs.replace(
        sample_payslip_input(),
        lines=(),
        gross_pay=Decimal("4000.00"),
        preliminary_tax=Decimal(0),
        net_pay=Decimal("4000.00"),
        tax_table=None,
        tax_column=None,
        bank_account=None,
        issued_at=None,
    )
    slip = build_salary_slip(inp, CREATED)

    assert _errors(validator, slip) == []
    assert slip["pay_period"]["tax_deducted"]["monetary_amount"] == "0.00"
    assert slip["pay_period"]["effective_tax_rate_percentage"] == "0.00"
    assert "tax_information" not in slip
    assert "recipient_account" not in slip
    assert "additional_payments" not in slip["pay_period"]


def test_salary_slip_for_a_samordningsnummer_employee_is_valid(
    validator: Draft6Validator,
) -> None:
    employee = EmployeeInfo(
        name="Jan Kowalski",
        personnummer="198506759821",
        id_kind="samordningsnummer",
        employment_start=date(2026, 6, 1),
    )
    inp = msgspec.structs.replace(sample_payslip_input(), employee=employee)
    slip = build_salary_slip(inp, CREATED)

    assert _errors(validator, slip) == []
    assert slip["employment"]["start_date"] == "2026-06-01"
    assert "198506759821" not in json.dumps(slip)


def test_salary_slip_cleans_a_phone_number_kivra_would_refuse(
    validator: Draft6Validator,
) -> None:
    inp = sample_payslip_input()
    employer = msgspec.structs.replace(inp.employer, phone="+46 (0)910-123 45")
    slip = build_salary_slip(msgspec.structs.replace(inp, employer=employer), CREATED)

    assert _errors(validator, slip) == []
    phone = slip["employment"]["employer"]["contact_information"]["telephone_number"]
    assert phone == "+46 0910-123 45"


def test_salary_slip_writes_the_timestamp_in_utc() -> None:
    stockholm_winter = timezone(timedelta(hours=1))
    slip = build_salary_slip(
        sample_payslip_input(),
        datetime(2026, 11, 20, 10, 30, 15, 999, tzinfo=stockholm_winter),
    )
    assert slip["document_metadata"]["creation_timestamp"] == "2026-11-20T09:30:15Z"


def test_salary_slip_refuses_a_naive_timestamp() -> None:
    with pytest.raises(ValueError, match="timezone"):
        build_salary_slip(sample_payslip_input(), datetime(2026, 11, 20, 9, 30))  # noqa: DTZ001


_amounts = st.decimals(min_value=-(10**9), max_value=10**9, places=2)
_lines = st.lists(
    st.builds(
        PayslipLine,
        kind=st.sampled_from(["earning", "deduction", "benefit", "absence"]),
        code=st.text(min_size=1, max_size=6),
        description=st.text(min_size=1, max_size=40),
        amount=_amounts,
        quantity=st.none() | st.decimals(min_value=-1000, max_value=1000, places=2),
        unit=st.sampled_from([None, "tim", "mån", "dag", "st"]),
        unit_price=st.none() | _amounts,
    ),
    max_size=8,
)


@st.composite
def _payslip_inputs(draw: st.DrawFn) -> PayslipDocumentInput:
    return msgspec.structs.replace(
        sample_payslip_input(),
        lines=tuple(draw(_lines)),
        gross_pay=draw(_amounts),
        preliminary_tax=draw(st.decimals(min_value=0, max_value=10**8, places=2)),
        net_pay=draw(_amounts),
        ytd_gross=draw(_amounts),
        vacation_days_remaining=draw(st.decimals(min_value=0, max_value=400, places=1)),
    )


@settings(max_examples=60, deadline=None)
@given(inp=_payslip_inputs())
def test_salary_slip_is_valid_for_any_amounts(
    validator: Draft6Validator, inp: PayslipDocumentInput
) -> None:
    slip = build_salary_slip(inp, CREATED)

    assert _errors(validator, slip) == []
    assert _money(slip["pay_period"]["gross_pay"]) == inp.gross_pay
    assert _money(slip["pay_period"]["tax_deducted"]) == inp.preliminary_tax
    assert _money(slip["pay_period"]["net_pay"]) == inp.net_pay
    assert _money(slip["yearly_accumulated_gross_pay"]) == inp.ytd_gross


def test_salary_slip_of_a_sole_trader_without_orgnr_invents_no_identifiers(
    validator: Draft6Validator,
) -> None:
    inp = sample_payslip_input()
    employer = msgspec.structs.replace(inp.employer, orgnr="")
    slip = build_salary_slip(msgspec.structs.replace(inp, employer=employer), CREATED)

    assert _errors(validator, slip) == []
    identifiers = slip["employment"]["employer"]["legal_identifiers"]
    assert identifiers == {"vat_number": "", "org_number": ""}
