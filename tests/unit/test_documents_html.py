"""The HTML summary: self-contained, script-free, Swedish, and masked."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import msgspec
import pytest

from backend.payroll.documents import PayslipDocumentInput, render_html
from backend.payroll.documents_sample import sample_payslip_input

NBSP = "\u00a0"


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _TagCollector:
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    return collector


@pytest.fixture(scope="module")
def sample() -> PayslipDocumentInput:
    return sample_payslip_input()


def test_render_html_has_no_script_and_no_external_resource(
    sample: PayslipDocumentInput,
) -> None:
    html = render_html(sample)
    parsed = _parse(html)

    assert "script" not in parsed.tags
    assert not {"link", "img", "iframe", "object", "embed", "a", "form"} & set(
        parsed.tags
    )
    assert not {name for name, _ in parsed.attributes} & {
        "src",
        "href",
        "srcset",
        "action",
    }
    assert not [name for name, _ in parsed.attributes if name.startswith("on")]
    lowered = html.lower()
    for forbidden in ("http://", "https://", "//", "url(", "@import", "<script"):
        assert forbidden not in lowered, forbidden


def test_render_html_is_swedish_utf8_with_the_key_figures(
    sample: PayslipDocumentInput,
) -> None:
    html = render_html(sample)
    text = "".join(_parse(html).text).replace(NBSP, " ")

    assert html.encode("utf-8").decode("utf-8") == html
    assert '<html lang="sv">' in html
    assert '<meta charset="utf-8">' in html
    assert 'name="viewport"' in html
    for expected in [
        "Lönebesked november 2026",
        "Björkdalens Snickeri AB",
        "Att utbetala",
        "23 639,70 kr",
        "Utbetalas 25 november 2026",
        "33 930,70 kr",
        "-9 871,00 kr",
        "-420,00 kr",
        "Kvarvarande semesterdagar",
        "18,50",
        "372 846,20 kr",
    ]:
        assert expected in text, expected


def test_render_html_always_masks_the_personnummer(
    sample: PayslipDocumentInput,
) -> None:
    html = render_html(sample)
    assert "19121212-****" in html
    assert "1212121212" not in html.replace("-", "")


def test_render_html_escapes_names(sample: PayslipDocumentInput) -> None:
    employer = msgspec.structs.replace(
        sample.employer, name='<script>alert("x")</script> & Co AB'
    )
    html = render_html(msgspec.structs.replace(sample, employer=employer))

    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "script" not in _parse(html).tags


def test_render_html_leaves_out_deductions_when_there_are_none(
    sample: PayslipDocumentInput,
) -> None:
    plain = msgspec.structs.replace(sample, lines=(), net_pay=Decimal("24059.70"))
    html = render_html(plain)
    assert "Avdrag efter skatt" not in html
    assert "24" + NBSP + "059,70" in html
