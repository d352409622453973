"""msgspec's validation messages in Swedish, with field paths and values kept."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest

from backend.payroll.imports_json import parse_json_payroll
from backend.validation_messages import translate_validation_message


@pytest.mark.parametrize(
    ("message", "swedish"),
    [
        ("Expected `object`, got `array`", "Väntade objekt, fick lista."),
        ("Expected `str | null`, got `int`", "Väntade text eller null, fick heltal."),
        ("Expected `str` of length <= 200", "Texten får vara högst 200 tecken lång."),
        ("Expected `array` of length >= 1", "Väntade lista med minst 1 element."),
        ("Expected `int` >= 0", "Väntade heltal minst 0."),
        ("Object missing required field `email`", "Fältet `email` saknas."),
        ("Object contains unknown field `rows`", "Okänt fält `rows`."),
        (
            "Invalid enum value 'bogus'",
            "Ogiltigt värde 'bogus'; det är inte ett av de tillåtna.",
        ),
        (
            "Expected `int` >= 1 - at `$.payslips[0].lines[2]`",
            "Väntade heltal minst 1 – vid `$.payslips[0].lines[2]`",
        ),
        (
            "Invalid RFC3339 encoded datetime",
            "Tidpunkten finns inte eller är inte skriven enligt RFC 3339.",
        ),
        (
            "Invalid RFC3339 encoded date",
            "Datumet finns inte eller är inte skrivet ÅÅÅÅ-MM-DD.",
        ),
        ("Invalid base64 encoded bytes", "Ogiltigt värde."),
        ("Something msgspec may say one day", "Värdet är ogiltigt."),
    ],
)
def test_translate_validation_message_speaks_swedish(
    message: str, swedish: str
) -> None:
    assert translate_validation_message(message, "sv") == swedish


def test_translate_validation_message_keeps_english_for_english() -> None:
    message = "Expected `str` of length <= 200 - at `$.street_address`"
    assert translate_validation_message(message, "en") == message


class _Sample(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=3)]
    count: Annotated[int, msgspec.Meta(ge=0)]


@pytest.mark.parametrize(
    "payload",
    [
        b"[]",
        b'{"name": "abcd", "count": 0}',
        b'{"name": "a", "count": -1}',
        b'{"name": "a"}',
        b'{"name": "a", "count": 1, "extra": 1}',
        b'{"name": 5, "count": 1}',
    ],
)
def test_translate_validation_message_knows_msgspec_own_wording(
    payload: bytes,
) -> None:
    """Every message msgspec really produces for these inputs has a Swedish form."""
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.json.decode(payload, type=_Sample)
    swedish = translate_validation_message(str(caught.value), "sv")
    assert swedish != "Värdet är ogiltigt."
    assert "Expected" not in swedish
    assert "Object" not in swedish


def test_payroll_json_import_explains_an_unknown_field_in_swedish() -> None:
    records, issues = parse_json_payroll(b'{"rows": []}')
    assert records == []
    assert [issue.message_sv for issue in issues] == [
        "Filen följer inte formatet för en lönekörning (Okänt fält `rows`)."
    ]
    assert "Object contains unknown field `rows`" in issues[0].message_en
