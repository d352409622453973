"""What every import parser produces: records and issues.

The parsers (`imports_paxml`, `imports_csv`, `imports_json`) are pure: bytes in,
records or a list of `ImportIssue` out. Each issue names the record it belongs
to (line number, or person element, with a masked personnummer) so that a
payroll clerk can find it in the file. A file with any issue is rejected whole
by `ImportRejectedError`; nothing is half imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Literal

from backend.errors import InvalidInputError, PayloadTooLargeError
from backend.logging import mask_personnummer
from backend.payroll.imports_values import IdKind

LineKind = Literal["earning", "absence", "benefit", "deduction"]

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One problem in an import file, in Swedish and English."""

    record_sv: str
    record_en: str
    message_sv: str
    message_en: str
    line: int | None = None
    field: str | None = None
    # Where the record comes in the file when it has no line (a JSON file's
    # n-th invoice): orders issues in file order whichever check found them.
    position: int | None = None

    def as_problem(self, language: str) -> dict[str, Any]:
        """Return the issue as one entry of the problem details' `errors`."""
        record, text = (
            (self.record_en, self.message_en)
            if language == "en"
            else (self.record_sv, self.message_sv)
        )
        message = f"{record}: {text}" if record else text
        return {"line": self.line, "field": self.field, "message": message}


class RecordRef:
    """Names one record of a file in messages: its line or element, masked."""

    def __init__(
        self, sv: str, en: str, line: int | None, position: int | None = None
    ) -> None:
        self.sv = sv
        self.en = en
        self.line = line
        self.position = position

    @classmethod
    def csv_line(cls, line: int, raw_personnummer: str = "") -> RecordRef:
        who = f" ({mask_personnummer(raw_personnummer)})" if raw_personnummer else ""
        return cls(f"Rad {line}{who}", f"Line {line}{who}", line)

    def issue(
        self, field_name: str | None, message_sv: str, message_en: str
    ) -> ImportIssue:
        return ImportIssue(
            record_sv=self.sv,
            record_en=self.en,
            message_sv=message_sv,
            message_en=message_en,
            line=self.line,
            field=field_name,
            position=self.position,
        )


# Issues about the whole file name no record.
FILE_REF = RecordRef("", "", None)


def repeated_column_issue(column: str, first: str, second: str) -> ImportIssue:
    """Name a CSV column the header row holds twice (`first` and `second`)."""
    return RecordRef("Rad 1", "Line 1", 1).issue(
        column,
        f"Rubrikraden har kolumnen {column} två gånger "
        f"(”{first.strip()}” och ”{second.strip()}”).",
        f"The header row has the column {column} twice "
        f"(“{first.strip()}” and “{second.strip()}”).",
    )


def field_count_issue(line: int, count: int, width: int) -> ImportIssue | None:
    """Name a CSV row whose number of fields differs from the header's.

    An unquoted decimal comma ("450,00" in a comma-separated file) shifts every
    later value one column on: nothing on such a row can be trusted, not even
    its personnummer, so the message names the line alone.
    """
    if count == width:
        return None
    return RecordRef("", "", line).issue(
        None,
        f"Rad {line} har {count} fält, rubriken har {width}. "
        "Sätt citattecken kring värden som innehåller avgränsaren.",
        f"Line {line} has {count} fields, the header has {width}. "
        "Quote values that hold the delimiter.",
    )


class ImportRejectedError(InvalidInputError):
    """The file had errors and nothing of it was imported."""

    code: ClassVar[str] = "import_rejected"

    def __init__(self, issues: list[ImportIssue]) -> None:
        count = len(issues)
        super().__init__(
            f"Filen innehåller {count} fel och har inte lästs in. Inget har ändrats.",
            f"The file has {count} error(s) and was not imported. Nothing was changed.",
        )
        self.issues = issues

    def problems(self, language: str) -> list[dict[str, Any]]:
        return [issue.as_problem(language) for issue in self.issues]


class ImportTooLargeError(PayloadTooLargeError):
    """The file is larger than the configured limit; it was not read."""

    def __init__(self, size: int, limit: int) -> None:
        limit_mb = limit / (1024 * 1024)
        size_mb = size / (1024 * 1024)
        # Swedish writes a decimal comma: "50,0 MB".
        size_sv = f"{size_mb:.1f}".replace(".", ",")
        limit_sv = f"{limit_mb:.1f}".replace(".", ",")
        super().__init__(
            f"Filen är för stor ({size_sv} MB). Största tillåtna storlek är "
            f"{limit_sv} MB. Inget har lästs in.",
            f"The file is too large ({size_mb:.1f} MB). The largest allowed size "
            f"is {limit_mb:.1f} MB. Nothing was imported.",
            extra={"max_bytes": limit},
        )


def check_size(size: int, limit: int) -> None:
    """Refuse a file by its size alone, before any of it is parsed."""
    if size > limit:
        raise ImportTooLargeError(size, limit)


@dataclass(frozen=True, slots=True)
class EmployeeRecord:
    """One person of an employee register, validated and normalised."""

    ref: RecordRef
    personnummer: str
    id_kind: IdKind
    first_name: str
    last_name: str
    email: str | None
    employment_start: date
    employment_end: date | None
    min_lon_enrolled: bool
    protected_identity: bool
    employee_number: str | None = None


@dataclass(slots=True)
class PayslipLineRecord:
    kind: LineKind
    code: str
    description: str
    amount: Decimal
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the line as stored in `Payslip.lines` (decimals as strings)."""
        return {
            "kind": self.kind,
            "code": self.code,
            "description": self.description,
            "quantity": None if self.quantity is None else str(self.quantity),
            "unit": self.unit,
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "amount": str(quantize(self.amount)),
        }


@dataclass(slots=True)
class PayslipRecord:
    """One employee's payslip input, before figures are computed."""

    ref: RecordRef
    personnummer: str
    lines: list[PayslipLineRecord] = field(default_factory=list)
    preliminary_tax: Decimal = Decimal(0)
    vacation_days_paid: Decimal = Decimal(0)
    vacation_days_remaining: Decimal = Decimal(0)
    # The net pay the payroll program stated, checked against our sum.
    stated_net_pay: Decimal | None = None


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT)


class DuplicateTracker:
    """Finds a personnummer that an earlier record of the same file already has.

    Every row whose number is valid is tracked, even when the row has other
    errors, so that one pass reports every problem of the file.
    """

    def __init__(self) -> None:
        self._first_seen: dict[str, RecordRef] = {}

    def check(
        self, ref: RecordRef, personnummer: str, field_name: str
    ) -> ImportIssue | None:
        earlier = self._first_seen.setdefault(personnummer, ref)
        if earlier is ref:
            return None
        return ref.issue(
            field_name,
            f"Personnumret förekommer redan ({earlier.sv.lower()}).",
            f"The personnummer already occurs ({earlier.en.lower()}).",
        )
