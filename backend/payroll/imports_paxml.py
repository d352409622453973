"""Read an employee register from a PAXml 2.x file (its `<personal>` section).

PAXml is the Swedish exchange format between payroll programs and their
feeder systems. A register looks like::

    <paxml>
      <header><version>2.2</version></header>
      <personal>
        <person anstid="17" persnr="196503149806">
          <fornamn>Anna</fornamn><efternamn>Berg</efternamn>
          <eposthem>anna@example.se</eposthem>
          <anstdatum>2019-03-01</anstdatum><avgdatum>2026-06-30</avgdatum>
        </person>
      </personal>
    </paxml>

The element names are PAXml 2's (`eposthem`/`epostarb`, `anstdatum`,
`avgdatum`); `epost` and `slutdatum`, which some exporters write, are read as
well. PAXml has no elements for Min lön enrolment or skyddad identitet; this
product reads them from the extension elements `<minlon>` and
`<skyddadidentitet>` (ja/nej) inside `<person>`. Files are parsed with defusedxml: a DTD, entity
declarations and external references are refused, so entity expansion bombs
and external-entity reads cannot happen. The encoding in the XML declaration
is honoured (older files are often ISO-8859-1).
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from backend.logging import mask_personnummer
from backend.payroll.imports_records import (
    FILE_REF,
    DuplicateTracker,
    EmployeeRecord,
    ImportIssue,
    RecordRef,
)
from backend.payroll.imports_values import (
    FieldProblem,
    check_email,
    check_name,
    check_personnummer,
    parse_date,
    parse_flag,
)

# Element names used by PAXml 2.0 and 2.2 and by common exporters, per field.
_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("fornamn", "förnamn"),
    "last_name": ("efternamn",),
    # PAXml 2 has a home and a work address; payslips are private, so home first.
    "email": ("eposthem", "epostarb", "epost", "e-post", "email"),
    "employment_start": ("anstdatum", "anstallningsdatum", "anställningsdatum"),
    "employment_end": ("avgdatum", "slutdatum", "anstslutdatum", "avgangsdatum"),
    "min_lon_enrolled": ("minlon", "minlön"),
    "protected_identity": ("skyddadidentitet", "skyddad"),
}

_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")


class _LineTreeBuilder(TreeBuilder):
    """A tree builder that remembers the line each element starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: Any = None
        self.lines: dict[int, int] = {}

    def start(self, tag: Any, attrs: Any) -> Element:
        element = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[id(element)] = self.parser.parser.CurrentLineNumber
        return element


def _local(tag: str) -> str:
    """Drop an XML namespace, so that namespaced and plain PAXml read alike."""
    return tag.rsplit("}", 1)[-1].lower()


def parse_paxml_employees(
    data: bytes,
) -> tuple[list[EmployeeRecord], list[ImportIssue]]:
    """Parse the persons of a PAXml register into records, or issues."""
    root, lines, issue = _parse_xml(data)
    if root is None:
        return [], [issue] if issue else []
    if _local(root.tag) != "paxml":
        return [], [
            FILE_REF.issue(
                None,
                f"Filen är XML men inte PAXml (rotelementet är <{_local(root.tag)}>, inte <paxml>).",
                f"The file is XML but not PAXml (the root element is <{_local(root.tag)}>, not <paxml>).",
            )
        ]
    persons = [
        person
        for section in root
        if _local(section.tag) == "personal"
        for person in section
        if _local(person.tag) == "person"
    ]
    if not persons:
        return [], [
            FILE_REF.issue(
                None,
                "Filen innehåller inga anställda (<personal><person> saknas).",
                "The file contains no employees (<personal><person> is missing).",
            )
        ]
    records: list[EmployeeRecord] = []
    issues: list[ImportIssue] = []
    duplicates = DuplicateTracker()
    for index, person in enumerate(persons, start=1):
        record, person_issues = _read_person(
            index, person, lines.get(id(person)), duplicates
        )
        issues.extend(person_issues)
        if record is not None:
            records.append(record)
    return records, issues


def _parse_xml(
    data: bytes,
) -> tuple[Element | None, dict[int, int], ImportIssue | None]:
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException:
        return (
            None,
            {},
            FILE_REF.issue(
                None,
                "Filen innehåller en DTD eller entitetsdeklarationer, vilket inte tillåts "
                "av säkerhetsskäl. Exportera filen utan DOCTYPE.",
                "The file contains a DTD or entity declarations, which are refused for "
                "security reasons. Export the file without a DOCTYPE.",
            ),
        )
    except ParseError as exc:
        return None, {}, _xml_error(data, exc)
    return root, builder.lines, None


def _xml_error(data: bytes, exc: ParseError) -> ImportIssue:
    line = exc.position[0] if exc.position else None
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        return FILE_REF.issue(
            None,
            "Filen är inte en XML-fil. Välj en PAXml-fil (.xml) eller en CSV-fil.",
            "The file is not an XML file. Choose a PAXml file (.xml) or a CSV file.",
        )
    declared = _DECLARED_ENCODING.match(data)
    encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if encoding in {"utf-8", "utf8"}:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return ImportIssue(
                record_sv=f"Rad {line}" if line else "",
                record_en=f"Line {line}" if line else "",
                message_sv="Filen är inte kodad i UTF-8 som XML-deklarationen anger. "
                'Ange rätt teckenkodning, t.ex. <?xml version="1.0" encoding="ISO-8859-1"?>.',
                message_en="The file is not encoded in UTF-8 as its XML declaration says. "
                'Declare the right encoding, e.g. <?xml version="1.0" encoding="ISO-8859-1"?>.',
                line=line,
            )
    return ImportIssue(
        record_sv=f"Rad {line}" if line else "",
        record_en=f"Line {line}" if line else "",
        message_sv="Filen är inte giltig XML; den går inte att läsa från den här raden.",
        message_en="The file is not valid XML; it cannot be read from this line on.",
        line=line,
    )


def _text(person: Element, field: str) -> str:
    children = {_local(child.tag): child for child in reversed(person)}
    for name in _ALIASES[field]:
        if name in children:
            return (children[name].text or "").strip()
    return ""


def _read_person(
    index: int, person: Element, line: int | None, duplicates: DuplicateTracker
) -> tuple[EmployeeRecord | None, list[ImportIssue]]:
    raw_pnr = (person.get("persnr") or "").strip()
    anstid = (person.get("anstid") or "").strip() or None
    who = ", ".join(
        part
        for part in (
            f"anstid {anstid}" if anstid else "",
            mask_personnummer(raw_pnr) if raw_pnr else "",
        )
        if part
    )
    suffix = f" ({who})" if who else ""
    ref = RecordRef(f"Person {index}{suffix}", f"Person {index}{suffix}", line)
    issues: list[ImportIssue] = []

    def check(field: str, func: Any, raw: str) -> Any:
        try:
            return func(raw)
        except FieldProblem as problem:
            issues.append(ref.issue(field, problem.message_sv, problem.message_en))
            return None

    ident = None
    if not raw_pnr:
        issues.append(
            ref.issue(
                "persnr",
                "Personnummer (persnr) saknas.",
                "The personnummer (persnr) is missing.",
            )
        )
    else:
        ident = check("persnr", check_personnummer, raw_pnr)
        if ident is not None and (issue := duplicates.check(ref, ident[0], "persnr")):
            issues.append(issue)
    first_name = _text(person, "first_name")
    last_name = _text(person, "last_name")
    for field, value, sv, en in (
        ("fornamn", first_name, "Förnamn saknas.", "The first name is missing."),
        ("efternamn", last_name, "Efternamn saknas.", "The last name is missing."),
    ):
        if not value:
            issues.append(ref.issue(field, sv, en))
        else:
            check(field, check_name, value)
    start = check("anstdatum", parse_date, _text(person, "employment_start"))
    if start is None and not any(i.field == "anstdatum" for i in issues):
        issues.append(
            ref.issue(
                "anstdatum",
                "Anställningsdatum saknas.",
                "The employment start date is missing.",
            )
        )
    end = check("slutdatum", parse_date, _text(person, "employment_end"))
    if start is not None and end is not None and end < start:
        issues.append(
            ref.issue(
                "slutdatum",
                "Slutdatum ligger före anställningsdatum.",
                "The employment end date is before the start date.",
            )
        )
    email = check("epost", check_email, _text(person, "email"))
    min_lon = check("minlon", parse_flag, _text(person, "min_lon_enrolled"))
    protected = check(
        "skyddadidentitet", parse_flag, _text(person, "protected_identity")
    )
    if issues or ident is None or start is None:
        return None, issues
    return (
        EmployeeRecord(
            ref=ref,
            personnummer=ident[0],
            id_kind=ident[1],
            first_name=first_name,
            last_name=last_name,
            email=email,
            employment_start=start,
            employment_end=end,
            min_lon_enrolled=bool(min_lon),
            protected_identity=bool(protected),
            employee_number=anstid,
        ),
        [],
    )
