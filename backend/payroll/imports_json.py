"""Read a payroll run from a JSON file.

The shape (money and days as strings or numbers, decimals with a point)::

    {
      "payslips": [
        {
          "personnummer": "19850412-9816",
          "lines": [
            {"kind": "earning", "code": "11", "description": "Månadslön",
             "quantity": "1", "unit": "mån", "unit_price": "32000", "amount": "32000"},
            {"kind": "deduction", "code": "810", "description": "Friskvård",
             "amount": "-200"}
          ],
          "preliminary_tax": "7850",
          "vacation_days_paid": "2",
          "vacation_days_remaining": "23",
          "net_pay": "23950"
        }
      ]
    }

`kind` is earning, absence (negative), benefit or deduction (negative);
`preliminary_tax` is the tax withheld, positive; `net_pay` is optional and,
when given, is checked against the lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

import msgspec

from backend.logging import mask_personnummer
from backend.payroll.imports_records import (
    FILE_REF,
    ImportIssue,
    PayslipLineRecord,
    PayslipRecord,
    RecordRef,
)
from backend.payroll.imports_values import (
    FieldProblem,
    check_amount,
    check_line_sign,
    check_personnummer,
    check_quantity,
)
from backend.validation_messages import translate_validation_message

T = TypeVar("T")


class _Number(Decimal):
    """An amount or quantity whose text holds only the digits 0-9.

    msgspec reads a plain `Decimal` from a string with Python's `Decimal()`,
    which takes "١٢٣" (Arabic-Indic digits) as 123; this type sends every
    value through `_decode_number` instead.
    """


def _decode_number(kind: type, value: Any) -> Any:
    if kind is not _Number:
        raise NotImplementedError(kind)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise TypeError("Expected `decimal`")
    # A JSON number is ASCII already, and comes exact (the decoder's float_hook).
    text = str(value).strip()
    if not text.isascii():
        raise ValueError("Only the digits 0-9 may be used in a number")
    try:
        number = _Number(text)
    except InvalidOperation:
        raise ValueError("Expected `decimal`") from None
    if not number.is_finite():
        raise ValueError("Expected `decimal`")
    return number


class _Line(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["earning", "absence", "benefit", "deduction"]
    amount: _Number
    code: str = ""
    description: str = ""
    quantity: _Number | None = None
    unit: str | None = None
    unit_price: _Number | None = None


class _Payslip(msgspec.Struct, forbid_unknown_fields=True):
    personnummer: str
    lines: list[_Line]
    preliminary_tax: _Number = _Number(0)
    vacation_days_paid: _Number = _Number(0)
    vacation_days_remaining: _Number = _Number(0)
    net_pay: _Number | None = None


class _PayrollFile(msgspec.Struct, forbid_unknown_fields=True):
    payslips: list[_Payslip]
    # Accepted so that an exported file can carry them; the import's own
    # period and pay date decide.
    period: str | None = None
    pay_date: str | None = None


# Built once and reused; every Decimal accepts a JSON number or a string.
_DECODER = msgspec.json.Decoder(
    _PayrollFile, dec_hook=_decode_number, float_hook=Decimal
)


def decode_json_file(
    data: bytes, decoder: msgspec.json.Decoder[T], kind: tuple[str, str]
) -> T | ImportIssue:
    """Decode an import file, or say how it breaks `kind`, the format (sv, en).

    msgspec ends a validation message with the JSON path ("... - at
    `$.payslips[0]`"), which becomes the issue's field.
    """
    if not data.strip():
        return FILE_REF.issue(None, "Filen är tom.", "The file is empty.")
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        reason, _, path = str(exc).partition(" - at ")
        sv_reason = translate_validation_message(reason, "sv").removesuffix(".")
        return FILE_REF.issue(
            path.strip("`") or None,
            f"Filen följer inte {kind[0]} ({sv_reason}).",
            f"The file does not follow {kind[1]} ({reason}).",
        )
    except msgspec.DecodeError:
        return FILE_REF.issue(
            None, "Filen är inte giltig JSON.", "The file is not valid JSON."
        )


def parse_json_payroll(data: bytes) -> tuple[list[PayslipRecord], list[ImportIssue]]:
    """Parse a payroll run JSON into payslip records, or issues."""
    parsed = decode_json_file(
        data, _DECODER, ("formatet för en lönekörning", "the payroll run format")
    )
    if isinstance(parsed, ImportIssue):
        return [], [parsed]
    if not parsed.payslips:
        return [], [
            FILE_REF.issue(
                None,
                "Filen innehåller inga lönebesked.",
                "The file contains no payslips.",
            )
        ]
    records: list[PayslipRecord] = []
    issues: list[ImportIssue] = []
    for index, payslip in enumerate(parsed.payslips, start=1):
        masked = mask_personnummer(payslip.personnummer)
        ref = RecordRef(
            f"Lönebesked {index} ({masked})", f"Payslip {index} ({masked})", None
        )
        failed = False
        try:
            number, _kind = check_personnummer(payslip.personnummer)
        except FieldProblem as problem:
            issues.append(
                ref.issue("personnummer", problem.message_sv, problem.message_en)
            )
            continue
        number_issues = list(_number_issues(ref, payslip))
        if number_issues:
            issues.extend(number_issues)
            continue
        if payslip.preliminary_tax < 0:
            failed = True
            issues.append(
                ref.issue(
                    "preliminary_tax",
                    "Skatt anges som ett positivt belopp (det som dras).",
                    "Tax is given as a positive amount (what is withheld).",
                )
            )
        lines: list[PayslipLineRecord] = []
        for line_no, line in enumerate(payslip.lines, start=1):
            try:
                check_line_sign(line.kind, line.amount)
            except FieldProblem as problem:
                failed = True
                issues.append(
                    ref.issue(
                        f"lines[{line_no - 1}].amount",
                        problem.message_sv,
                        problem.message_en,
                    )
                )
                continue
            lines.append(
                PayslipLineRecord(
                    kind=line.kind,
                    code=line.code,
                    description=line.description,
                    amount=line.amount,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=line.unit_price,
                )
            )
        if failed:
            continue
        records.append(
            PayslipRecord(
                ref=ref,
                personnummer=number,
                lines=lines,
                preliminary_tax=payslip.preliminary_tax,
                vacation_days_paid=payslip.vacation_days_paid,
                vacation_days_remaining=payslip.vacation_days_remaining,
                stated_net_pay=payslip.net_pay,
            )
        )
    return records, issues


def _number_issues(ref: RecordRef, payslip: _Payslip) -> Iterator[ImportIssue]:
    """Yield an issue for each amount or number of `payslip` out of range."""
    checks: list[tuple[str, Decimal | None, Callable[[Decimal], Decimal]]] = [
        ("preliminary_tax", payslip.preliminary_tax, check_amount),
        ("net_pay", payslip.net_pay, check_amount),
        ("vacation_days_paid", payslip.vacation_days_paid, check_quantity),
        ("vacation_days_remaining", payslip.vacation_days_remaining, check_quantity),
    ]
    for index, line in enumerate(payslip.lines):
        checks += [
            (f"lines[{index}].amount", line.amount, check_amount),
            (f"lines[{index}].quantity", line.quantity, check_quantity),
            (f"lines[{index}].unit_price", line.unit_price, check_quantity),
        ]
    for name, value, check in checks:
        if value is None:
            continue
        try:
            check(value)
        except FieldProblem as problem:
            yield ref.issue(name, problem.message_sv, problem.message_en)
