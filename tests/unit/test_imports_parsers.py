"""The import parsers turn files into records, or into precise, masked issues."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from backend.errors import PayloadTooLargeError
from backend.payroll.imports import (
    ImportFile,
    compute_figures,
    default_pay_date,
    parse_employee_file,
    parse_payroll_file,
)
from backend.payroll.imports_csv import parse_csv_employees, parse_csv_payroll
from backend.payroll.imports_json import parse_json_payroll
from backend.payroll.imports_paxml import parse_paxml_employees
from backend.payroll.imports_records import (
    ImportRejectedError,
    check_size,
)
from backend.payroll.imports_values import (
    FieldProblem,
    check_personnummer,
)

DATA = Path(__file__).parent.parent / "data"
CSV_HEADER = "personnummer;fornamn;efternamn;anstallningsdatum\n"


def _messages(issues: list, language: str = "sv") -> list[str]:
    return [issue.as_problem(language)["message"] for issue in issues]


def test_paxml_register_reads_latin1_file_with_flags() -> None:
    records, issues = parse_paxml_employees(
        (DATA / "register_paxml22_latin1.xml").read_bytes()
    )
    assert issues == []
    by_number = {record.employee_number: record for record in records}
    assert by_number["101"].first_name == "Åsa"
    assert by_number["101"].last_name == "Öberg"
    assert by_number["101"].min_lon_enrolled is True
    assert by_number["102"].personnummer == "198803749814"
    assert by_number["102"].id_kind == "samordningsnummer"
    assert by_number["103"].protected_identity is True
    assert by_number["103"].employment_end == date(2026, 6, 30)


def test_paxml_and_csv_registers_agree() -> None:
    from_xml, _ = parse_paxml_employees(
        (DATA / "register_paxml22_latin1.xml").read_bytes()
    )
    from_csv, issues = parse_csv_employees((DATA / "register_bom.csv").read_bytes())
    assert issues == []

    def fields(records: list) -> list[tuple]:
        return sorted(
            (
                r.personnummer,
                r.first_name,
                r.last_name,
                r.email,
                r.employment_start,
                r.employment_end,
                r.min_lon_enrolled,
                r.protected_identity,
            )
            for r in records
        )

    assert fields(from_xml) == fields(from_csv)


def test_paxml_billion_laughs_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        b' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        b' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
        b']>\n<paxml><personal><person persnr="&lol3;"/></personal></paxml>'
    )
    records, issues = parse_paxml_employees(bomb)
    assert records == []
    assert "DTD" in _messages(issues)[0]
    assert "security" in _messages(issues, "en")[0]


def test_paxml_external_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?>\n<!DOCTYPE paxml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        b"<paxml><personal><person><fornamn>&secret;</fornamn></person></personal></paxml>"
    )
    records, issues = parse_paxml_employees(xxe)
    assert records == []
    assert len(issues) == 1
    assert "root:" not in _messages(issues)[0]
    assert "DTD" in _messages(issues)[0]


def test_paxml_non_xml_file_is_refused_clearly() -> None:
    records, issues = parse_paxml_employees(b"%PDF-1.4 not a register")
    assert records == []
    assert _messages(issues) == [
        "Filen är inte en XML-fil. Välj en PAXml-fil (.xml) eller en CSV-fil."
    ]


def test_paxml_wrong_encoding_names_the_declaration() -> None:
    text = (DATA / "register_paxml22_latin1.xml").read_text(encoding="iso-8859-1")
    lying = text.replace('encoding="ISO-8859-1"', 'encoding="UTF-8"').encode(
        "iso-8859-1"
    )
    records, issues = parse_paxml_employees(lying)
    assert records == []
    assert "UTF-8" in _messages(issues)[0]
    assert issues[0].line is not None


def test_paxml_other_xml_is_not_a_register() -> None:
    _, issues = parse_paxml_employees(b"<invoice><row/></invoice>")
    assert "<invoice>" in _messages(issues)[0]


def test_register_issue_names_line_field_and_masked_personnummer() -> None:
    data = (
        CSV_HEADER
        + "19650314-9814;Åsa;Öberg;2015-08-01\n19650314-9815;Bo;Ek;2020-01-01\n"
    ).encode()
    records, issues = parse_csv_employees(data)
    assert len(records) == 1
    problem = issues[0].as_problem("sv")
    assert problem["line"] == 3
    assert problem["field"] == "personnummer"
    assert (
        problem["message"]
        == "Rad 3 (19650314-****): Personnumret har fel kontrollsiffra."
    )
    assert "9815" not in problem["message"]
    assert issues[0].as_problem("en")["message"] == (
        "Line 3 (19650314-****): The personnummer has an invalid check digit."
    )


def test_register_impossible_dates_are_named() -> None:
    data = (
        CSV_HEADER
        + "19650230-9814;Åsa;Öberg;2015-08-01\n19650314-9814;Bo;Ek;2021-02-29\n"
    ).encode()
    _, issues = parse_csv_employees(data)
    messages = _messages(issues)
    assert "Personnumret innehåller ett datum som inte finns." in messages[0]
    assert messages[1] == "Rad 3 (19650314-****): Datumet 2021-02-29 finns inte."


def test_register_duplicate_personnummer_rejects_the_file() -> None:
    data = (
        CSV_HEADER
        + "19650314-9814;Åsa;Öberg;2015-08-01\n196503149814;Åsa;Ö;2015-08-01\n"
    ).encode()
    with pytest.raises(ImportRejectedError) as caught:
        parse_employee_file(ImportFile(data=data, filename="personal.csv"))
    problems = caught.value.problems("sv")
    assert problems == [
        {
            "line": 3,
            "field": "personnummer",
            "message": "Rad 3 (19650314-****): Personnumret förekommer redan (rad 2 (19650314-****)).",
        }
    ]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.csv", b""),
        ("blank.csv", b"  \n\n"),
        ("empty.xml", b""),
        ("header.csv", CSV_HEADER.encode()),
    ],
)
def test_empty_register_is_rejected(name: str, data: bytes) -> None:
    with pytest.raises(ImportRejectedError) as caught:
        parse_employee_file(ImportFile(data=data, filename=name))
    assert len(caught.value.issues) == 1


def test_comma_separated_latin1_register_is_read() -> None:
    text = "personnummer,fornamn,efternamn,anstallningsdatum,min_lon\n196503149814,Åsa,Öberg,20150801,x\n"
    records, issues = parse_csv_employees(text.encode("iso-8859-1"))
    assert issues == []
    assert records[0].first_name == "Åsa"
    assert records[0].employment_start == date(2015, 8, 1)
    assert records[0].min_lon_enrolled is True


def test_utf16_register_is_refused_as_wrong_encoding() -> None:
    data = (CSV_HEADER + "19650314-9814;Åsa;Öberg;2015-08-01\n").encode("utf-16")
    _, issues = parse_csv_employees(data)
    assert "UTF-16" in _messages(issues)[0]


def test_declared_charset_that_does_not_fit_is_refused() -> None:
    data = (CSV_HEADER + "19650314-9814;Åsa;Öberg;2015-08-01\n").encode("iso-8859-1")
    _, issues = parse_csv_employees(data, charset="utf-8")
    assert "utf-8" in _messages(issues)[0]


def test_missing_columns_are_listed() -> None:
    _, issues = parse_csv_employees(b"personnummer;namn\n196503149814;Asa\n")
    assert "fornamn, efternamn, anstallningsdatum" in _messages(issues)[0]


def test_size_is_checked_before_parsing() -> None:
    check_size(10, 10)
    with pytest.raises(PayloadTooLargeError) as caught:
        check_size(50 * 1024 * 1024, 10 * 1024 * 1024)
    assert "50,0 MB" in caught.value.message_sv
    assert caught.value.status_code == 413


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19121212-1212", ("191212121212", "personnummer")),
        ("121212+1212", ("191212121212", "personnummer")),
        ("650314-9814", ("196503149814", "personnummer")),
        ("198803749814", ("198803749814", "samordningsnummer")),
    ],
)
def test_personnummer_forms_are_normalised(raw: str, expected: tuple[str, str]) -> None:
    assert check_personnummer(raw) == expected


def test_personnummer_shape_is_checked() -> None:
    with pytest.raises(FieldProblem) as caught:
        check_personnummer("1912-12-12")
    assert "format" in caught.value.message_sv


def test_payroll_csv_groups_lines_and_computes_figures() -> None:
    records, issues = parse_csv_payroll((DATA / "payroll_run.csv").read_bytes())
    assert issues == []
    first = records[0]
    assert first.personnummer == "196503149814"
    assert [line.kind for line in first.lines] == [
        "earning",
        "earning",
        "absence",
        "benefit",
        "deduction",
    ]
    assert first.vacation_days_paid == Decimal(2)
    assert first.vacation_days_remaining == Decimal(23)
    figures = compute_figures(first)
    expected_gross = Decimal("38500") + Decimal("1400") - Decimal("1772")
    assert figures.gross_pay == expected_gross
    assert figures.net_pay == expected_gross - Decimal("10850") - Decimal("450")
    assert first.stated_net_pay == figures.net_pay


def test_payroll_json_reads_strings_and_numbers() -> None:
    records, issues = parse_json_payroll((DATA / "payroll_run.json").read_bytes())
    assert issues == []
    assert [r.personnummer for r in records] == ["196503149814", "198803749814"]
    assert compute_figures(records[1]).net_pay == Decimal("21580.00")


def test_payroll_rows_with_wrong_signs_and_kinds_are_named() -> None:
    data = (
        b"personnummer;typ;belopp\n"
        b"19650314-9814;avdrag;450\n"
        b"19650314-9814;skatt;-100\n"
        b"19650314-9814;bonus;100\n"
        b"19650314-9814;lon;tusen\n"
    )
    with pytest.raises(ImportRejectedError) as caught:
        parse_payroll_file(ImportFile(data=data, filename="lon.csv"))
    lines = [problem["line"] for problem in caught.value.problems("sv")]
    assert lines == [2, 3, 4, 5]


def test_payroll_json_duplicate_employee_is_rejected() -> None:
    data = (
        b'{"payslips": [{"personnummer": "196503149814", "lines": []},'
        b' {"personnummer": "19650314-9814", "lines": []}]}'
    )
    with pytest.raises(ImportRejectedError) as caught:
        parse_payroll_file(ImportFile(data=data, content_type="application/json"))
    assert "Lönebesked 2" in caught.value.problems("sv")[0]["message"]


def test_payroll_json_that_is_not_json_is_rejected() -> None:
    with pytest.raises(ImportRejectedError) as caught:
        parse_payroll_file(ImportFile(data=b"{not json", filename="run.json"))
    assert caught.value.problems("en")[0]["message"] == "The file is not valid JSON."


def test_default_pay_date_moves_off_weekends() -> None:
    assert default_pay_date("2026-11") == date(2026, 11, 25)  # a Wednesday
    assert default_pay_date("2026-10") == date(2026, 10, 23)  # the 25th is a Sunday


def test_paxml_duplicate_is_reported_beside_other_errors() -> None:
    data = (
        b'<paxml><personal><person anstid="1" persnr="196503149814"><fornamn>A</fornamn>'
        b"<efternamn>B</efternamn><anstdatum>2020-01-01</anstdatum></person>"
        b'<person anstid="2" persnr="19650314-9814"><fornamn>A</fornamn>'
        b"<efternamn>B</efternamn><anstdatum>2020-02-30</anstdatum></person>"
        b"</personal></paxml>"
    )
    records, issues = parse_paxml_employees(data)
    assert len(records) == 1
    assert _messages(issues) == [
        "Person 2 (anstid 2, 19650314-****): Personnumret förekommer redan "
        "(person 1 (anstid 1, 19650314-****)).",
        "Person 2 (anstid 2, 19650314-****): Datumet 2020-02-30 finns inte.",
    ]


def test_paxml_prefers_home_email_and_reads_exporter_aliases() -> None:
    data = (
        b'<paxml><personal><person persnr="196503149814"><fornamn>A</fornamn>'
        b"<efternamn>B</efternamn><epostarb>jobb@example.se</epostarb>"
        b"<eposthem>hem@example.se</eposthem><anstdatum>2020-01-01</anstdatum>"
        b"<slutdatum>2026-01-31</slutdatum></person></personal></paxml>"
    )
    records, issues = parse_paxml_employees(data)
    assert issues == []
    assert records[0].email == "hem@example.se"
    assert records[0].employment_end == date(2026, 1, 31)


def test_payroll_json_format_error_names_the_json_path() -> None:
    _, issues = parse_json_payroll(
        b'{"payslips": [{"personnummer": 196503149814, "lines": []}]}'
    )
    problem = issues[0].as_problem("sv")
    assert problem["field"] == "$.payslips[0].personnummer"
    assert problem["message"].startswith(
        "Filen följer inte formatet för en lönekörning"
    )
