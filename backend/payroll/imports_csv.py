"""Read an employee register or a payroll run from a CSV file.

Both files have a header row; columns may come in any order, names are matched
without case and with å/ä/ö read as a/a/o. Semicolon (as Swedish Excel
writes) or comma separates the columns; the file is UTF-8 (with or without a
BOM) or ISO-8859-1.

Employee register columns (* = required)::

    personnummer*; fornamn*; efternamn*; anstallningsdatum*; epost;
    slutdatum; min_lon (ja/nej); skyddad_identitet (ja/nej); anstid

Payroll run columns, one row per payslip line::

    personnummer*; typ*; kod; benamning; antal; enhet; apris; belopp

`typ` is one of `lon` (earning), `franvaro` (absence, negative), `forman`
(benefit), `avdrag` (deduction, negative), `skatt` (preliminary tax withheld,
positive), `semester` (vacation days paid, in `antal`), `semestersaldo`
(vacation days remaining, in `antal`) and `netto` (the net pay the payroll
program computed, checked against the lines).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from backend.payroll.imports_records import (
    FILE_REF,
    DuplicateTracker,
    EmployeeRecord,
    ImportIssue,
    PayslipLineRecord,
    PayslipRecord,
    RecordRef,
    field_count_issue,
    repeated_column_issue,
)
from backend.payroll.imports_values import (
    FieldProblem,
    check_email,
    check_line_sign,
    check_name,
    check_personnummer,
    decode_text,
    parse_amount,
    parse_date,
    parse_flag,
    parse_quantity,
)

_EMPLOYEE_COLUMNS: dict[str, tuple[str, ...]] = {
    "personnummer": ("personnummer", "persnr", "personal_number"),
    "fornamn": ("fornamn", "first_name"),
    "efternamn": ("efternamn", "last_name"),
    "anstallningsdatum": ("anstallningsdatum", "anstdatum", "employment_start"),
    "epost": ("epost", "e-post", "email"),
    "slutdatum": ("slutdatum", "employment_end"),
    "min_lon": ("min_lon", "minlon", "min_lon_enrolled"),
    "skyddad_identitet": (
        "skyddad_identitet",
        "skyddadidentitet",
        "protected_identity",
    ),
    "anstid": ("anstid", "anstallningsnummer", "employee_number"),
}
_EMPLOYEE_REQUIRED = ("personnummer", "fornamn", "efternamn", "anstallningsdatum")

_PAYROLL_COLUMNS: dict[str, tuple[str, ...]] = {
    "personnummer": ("personnummer", "persnr", "personal_number"),
    "typ": ("typ", "kind"),
    "kod": ("kod", "lonart", "code"),
    "benamning": ("benamning", "text", "description"),
    "antal": ("antal", "quantity"),
    "enhet": ("enhet", "unit"),
    "apris": ("apris", "a-pris", "unit_price"),
    "belopp": ("belopp", "amount"),
}
_PAYROLL_REQUIRED = ("personnummer", "typ")

_KINDS: dict[str, str] = {
    "lon": "earning",
    "earning": "earning",
    "franvaro": "absence",
    "absence": "absence",
    "forman": "benefit",
    "benefit": "benefit",
    "avdrag": "deduction",
    "deduction": "deduction",
    "skatt": "tax",
    "tax": "tax",
    "semester": "vacation_paid",
    "vacation_paid": "vacation_paid",
    "semestersaldo": "vacation_remaining",
    "vacation_remaining": "vacation_remaining",
    "netto": "net",
    "net": "net",
}


def fold_name(name: str) -> str:
    """A header or code as typed, folded to its key: lower case, å/ä/ö as a/a/o."""
    return (
        name.strip()
        .lower()
        .replace("å", "a")
        .replace("ä", "a")
        .replace("ö", "o")
        .replace(" ", "_")
    )


class CsvTable:
    """A decoded CSV file: the column map and its data rows with line numbers."""

    def __init__(
        self, columns: dict[str, int], width: int, rows: list[tuple[int, list[str]]]
    ) -> None:
        self.columns = columns
        self.width = width
        self.rows = rows

    def whole_rows(self, issues: list[ImportIssue]) -> Iterator[tuple[int, list[str]]]:
        """Yield the rows with as many fields as the header, noting the others."""
        for line, row in self.rows:
            if (mismatch := field_count_issue(line, len(row), self.width)) is not None:
                issues.append(mismatch)
            else:
                yield line, row

    def value(self, row: list[str], column: str) -> str:
        index = self.columns.get(column)
        if index is None or index >= len(row):
            return ""
        return row[index].strip()


class UnreadableCsvError(Exception):
    """The file cannot be read as a table; one issue says why."""

    def __init__(self, issue: ImportIssue) -> None:
        super().__init__(issue.message_en)
        self.issue = issue


def read_csv_table(
    data: bytes,
    charset: str | None,
    known: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
) -> CsvTable:
    """Decode a CSV file and map its header to the `known` columns.

    Raises:
        UnreadableCsvError: the file is empty, undecodable, not CSV, lacks a
            `required` column, names one twice or has no data row.
    """
    if not data.strip():
        raise UnreadableCsvError(
            FILE_REF.issue(None, "Filen är tom.", "The file is empty.")
        )
    try:
        text = decode_text(data, charset)
    except FieldProblem as problem:
        raise UnreadableCsvError(
            FILE_REF.issue(None, problem.message_sv, problem.message_en)
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise UnreadableCsvError(
            FILE_REF.issue(None, "Filen är tom.", "The file is empty.")
        ) from None
    aliases = {alias: column for column, names in known.items() for alias in names}
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        column = aliases.get(fold_name(name))
        if column is None:
            continue
        if column in columns:
            # Two columns for one value: which one was meant is anyone's guess.
            raise UnreadableCsvError(
                repeated_column_issue(column, header[columns[column]], name)
            )
        columns[column] = index
    missing = [column for column in required if column not in columns]
    if missing:
        names = ", ".join(missing)
        raise UnreadableCsvError(
            RecordRef("Rad 1", "Line 1", 1).issue(
                None,
                f"Rubrikraden saknar kolumnerna: {names}. Första raden ska vara rubriker.",
                f"The header row lacks the columns: {names}. The first row must be headers.",
            )
        )
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error:
        line = reader.line_num
        raise UnreadableCsvError(
            RecordRef(f"Rad {line}", f"Line {line}", line).issue(
                None, "Raden är inte giltig CSV.", "The line is not valid CSV."
            )
        ) from None
    if not rows:
        raise UnreadableCsvError(
            FILE_REF.issue(
                None,
                "Filen innehåller bara en rubrikrad.",
                "The file has only a header row.",
            )
        )
    return CsvTable(columns, len(header), rows)


class _RowChecker:
    """Collects the issues of one row while its values are parsed."""

    def __init__(self, ref: RecordRef, issues: list[ImportIssue]) -> None:
        self.ref = ref
        self.issues = issues
        self.failed = False

    def __call__(self, field: str, func: Callable[[str], Any], raw: str) -> Any:
        try:
            return func(raw)
        except FieldProblem as problem:
            self.fail(field, problem.message_sv, problem.message_en)
            return None

    def fail(self, field: str | None, message_sv: str, message_en: str) -> None:
        self.failed = True
        self.issues.append(self.ref.issue(field, message_sv, message_en))


def parse_csv_employees(
    data: bytes, charset: str | None = None
) -> tuple[list[EmployeeRecord], list[ImportIssue]]:
    """Parse an employee register CSV into records, or issues."""
    try:
        table = read_csv_table(data, charset, _EMPLOYEE_COLUMNS, _EMPLOYEE_REQUIRED)
    except UnreadableCsvError as unreadable:
        return [], [unreadable.issue]
    records: list[EmployeeRecord] = []
    issues: list[ImportIssue] = []
    duplicates = DuplicateTracker()
    for line, row in table.whole_rows(issues):
        raw_pnr = table.value(row, "personnummer")
        check = _RowChecker(RecordRef.csv_line(line, raw_pnr), issues)
        ident = check("personnummer", check_personnummer, raw_pnr)
        if ident is not None and (
            issue := duplicates.check(check.ref, ident[0], "personnummer")
        ):
            check.failed = True
            issues.append(issue)
        first_name = table.value(row, "fornamn")
        last_name = table.value(row, "efternamn")
        if not first_name:
            check.fail("fornamn", "Förnamn saknas.", "The first name is missing.")
        else:
            check("fornamn", check_name, first_name)
        if not last_name:
            check.fail("efternamn", "Efternamn saknas.", "The last name is missing.")
        else:
            check("efternamn", check_name, last_name)
        start = check(
            "anstallningsdatum", parse_date, table.value(row, "anstallningsdatum")
        )
        if start is None and not check.failed:
            check.fail(
                "anstallningsdatum",
                "Anställningsdatum saknas.",
                "The employment start date is missing.",
            )
        end = check("slutdatum", parse_date, table.value(row, "slutdatum"))
        if start is not None and end is not None and end < start:
            check.fail(
                "slutdatum",
                "Slutdatum ligger före anställningsdatum.",
                "The employment end date is before the start date.",
            )
        email = check("epost", check_email, table.value(row, "epost"))
        min_lon = check("min_lon", parse_flag, table.value(row, "min_lon"))
        protected = check(
            "skyddad_identitet", parse_flag, table.value(row, "skyddad_identitet")
        )
        if check.failed or ident is None or start is None:
            continue
        records.append(
            EmployeeRecord(
                ref=check.ref,
                personnummer=ident[0],
                id_kind=ident[1],
                first_name=first_name,
                last_name=last_name,
                email=email,
                employment_start=start,
                employment_end=end,
                min_lon_enrolled=bool(min_lon),
                protected_identity=bool(protected),
                employee_number=table.value(row, "anstid") or None,
            )
        )
    return records, issues


def parse_csv_payroll(
    data: bytes, charset: str | None = None
) -> tuple[list[PayslipRecord], list[ImportIssue]]:
    """Parse a payroll run CSV (one row per payslip line) into payslip records."""
    try:
        table = read_csv_table(data, charset, _PAYROLL_COLUMNS, _PAYROLL_REQUIRED)
    except UnreadableCsvError as unreadable:
        return [], [unreadable.issue]
    payslips: dict[str, PayslipRecord] = {}
    issues: list[ImportIssue] = []
    for line, row in table.whole_rows(issues):
        raw_pnr = table.value(row, "personnummer")
        check = _RowChecker(RecordRef.csv_line(line, raw_pnr), issues)
        ident = check("personnummer", check_personnummer, raw_pnr)
        raw_kind = table.value(row, "typ")
        kind = _KINDS.get(fold_name(raw_kind))
        if kind is None:
            check.fail(
                "typ",
                f"Okänd typ ”{raw_kind}”. Tillåtna: {', '.join(sorted(set(_KINDS) - set(_KINDS.values())))}.",
                f"Unknown kind “{raw_kind}”. Allowed: {', '.join(sorted(set(_KINDS.values())))}.",
            )
        quantity = check("antal", parse_quantity, table.value(row, "antal"))
        unit_price = check("apris", parse_quantity, table.value(row, "apris"))
        amount = check("belopp", parse_amount, table.value(row, "belopp"))
        if check.failed or ident is None or kind is None:
            continue
        payslip = payslips.setdefault(
            ident[0], PayslipRecord(ref=check.ref, personnummer=ident[0])
        )
        for problem in _apply_row(
            payslip,
            kind,
            table=table,
            row=row,
            quantity=quantity,
            unit_price=unit_price,
            amount=amount,
        ):
            check.fail(*problem)
    return list(payslips.values()), issues


def _apply_row(
    payslip: PayslipRecord,
    kind: str,
    *,
    table: CsvTable,
    row: list[str],
    quantity: Decimal | None,
    unit_price: Decimal | None,
    amount: Decimal | None,
) -> Iterator[tuple[str, str, str]]:
    """Add one row to its payslip; yield (field, sv, en) for what is wrong."""
    if kind in {"vacation_paid", "vacation_remaining"}:
        if quantity is None:
            yield ("antal", "Antal dagar saknas.", "The number of days is missing.")
        elif kind == "vacation_paid":
            payslip.vacation_days_paid += quantity
        else:
            payslip.vacation_days_remaining = quantity
        return
    if amount is None:
        yield ("belopp", "Belopp saknas.", "The amount is missing.")
        return
    if kind == "tax":
        if amount < 0:
            yield (
                "belopp",
                "Skatt anges som ett positivt belopp (det som dras).",
                "Tax is given as a positive amount (what is withheld).",
            )
        payslip.preliminary_tax += amount
        return
    if kind == "net":
        payslip.stated_net_pay = amount
        return
    try:
        check_line_sign(kind, amount)
    except FieldProblem as problem:
        yield ("belopp", problem.message_sv, problem.message_en)
        return
    payslip.lines.append(
        PayslipLineRecord(
            kind=kind,  # type: ignore[arg-type]  # narrowed by _KINDS above
            code=table.value(row, "kod"),
            description=table.value(row, "benamning"),
            amount=amount,
            quantity=quantity,
            unit=table.value(row, "enhet") or None,
            unit_price=unit_price,
        )
    )
