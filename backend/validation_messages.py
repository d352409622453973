"""Swedish wording for msgspec's validation messages.

msgspec (and Litestar, which decodes request bodies with it) explains a
rejected value in English in a handful of fixed shapes. The API answers
Swedish first, so the problem-details handler and the import parser pass
those messages through `translate_validation_message`. The machine parts a
client may read (field names, JSON paths, enum values, limits) are kept
as they are; a shape this table does not know becomes a general Swedish
sentence rather than leaking English.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TYPES_SV: dict[str, str] = {
    "str": "text",
    "int": "heltal",
    "float": "tal",
    "decimal": "decimaltal",
    "bool": "sant eller falskt",
    "null": "null",
    "object": "objekt",
    "array": "lista",
    "bytes": "binärdata",
    "date": "datum",
    "time": "klockslag",
    "datetime": "tidpunkt",
    "duration": "tidslängd",
    "uuid": "UUID",
    "number": "tal",
}

_COMPARISONS_SV: dict[str, str] = {
    ">=": "minst",
    "<=": "högst",
    ">": "större än",
    "<": "mindre än",
}


def _type_sv(names: str) -> str:
    """Name one msgspec type, or several joined by " | ", in Swedish."""
    return " eller ".join(
        _TYPES_SV.get(name.strip(), name.strip()) for name in names.split("|")
    )


def _length(match: re.Match[str]) -> str:
    kind, op, limit = match["type"], match["op"], match["limit"]
    bound = _COMPARISONS_SV.get(op, op)
    if kind == "str":
        return f"Texten får vara {bound} {limit} tecken lång."
    if kind in {"array", "object"}:
        return f"Väntade {_type_sv(kind)} med {bound} {limit} element."
    return f"Väntade {_type_sv(kind)} med längd {bound} {limit}."


def _bound(match: re.Match[str]) -> str:
    bound = _COMPARISONS_SV[match["op"]]
    return f"Väntade {_type_sv(match['type'])} {bound} {match['limit']}."


_SHAPES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`"),
        lambda m: f"Väntade {_type_sv(m['want'])}, fick {_type_sv(m['got'])}.",
    ),
    (
        re.compile(
            r"Expected `(?P<type>[^`]+)` of length (?P<op>[<>]=?) (?P<limit>\d+)"
        ),
        _length,
    ),
    (
        re.compile(r"Expected `(?P<type>[^`]+)` of length (?P<limit>\d+)"),
        lambda m: f"Väntade {_type_sv(m['type'])} med exakt {m['limit']} element.",
    ),
    (
        re.compile(r"Expected `(?P<type>[^`]+)` (?P<op>[<>]=?) (?P<limit>\S+)"),
        _bound,
    ),
    (
        re.compile(r"Expected `(?P<type>[^`]+)` that's a multiple of (?P<n>\S+)"),
        lambda m: f"Väntade {_type_sv(m['type'])} som är en multipel av {m['n']}.",
    ),
    (
        re.compile(r"Expected `(?P<type>[^`]+)` matching regex (?P<regex>.+)"),
        lambda m: f"Väntade {_type_sv(m['type'])} som matchar mönstret {m['regex']}.",
    ),
    (
        re.compile(r"Expected `(?P<type>[^`]+)`"),
        lambda m: f"Väntade {_type_sv(m['type'])}.",
    ),
    (
        re.compile(r"Only the digits 0-9 may be used in a number"),
        lambda m: "Bara siffrorna 0–9 får användas i ett tal.",
    ),
    (
        re.compile(r"Object missing required field `(?P<field>[^`]+)`"),
        lambda m: f"Fältet `{m['field']}` saknas.",
    ),
    (
        re.compile(r"Object contains unknown field `(?P<field>[^`]+)`"),
        lambda m: f"Okänt fält `{m['field']}`.",
    ),
    (
        re.compile(r"Invalid enum value (?P<value>.+)"),
        lambda m: f"Ogiltigt värde {m['value']}; det är inte ett av de tillåtna.",
    ),
    (
        re.compile(r"Invalid value (?P<value>.+)"),
        lambda m: f"Ogiltigt värde {m['value']}.",
    ),
    (
        re.compile(r"Invalid (?:RFC3339 encoded )?(?P<what>date|datetime|time)"),
        lambda m: {
            "date": "Datumet finns inte eller är inte skrivet ÅÅÅÅ-MM-DD.",
            "datetime": "Tidpunkten finns inte eller är inte skriven enligt RFC 3339.",
            "time": "Klockslaget finns inte eller är inte skrivet TT:MM:SS.",
        }[m["what"]],
    ),
    (
        re.compile(r"Invalid (?P<what>.+)"),
        lambda m: "Ogiltigt värde.",
    ),
]

# msgspec's English is kept, except where it leaves out what a user must fix.
_ENGLISH: dict[str, str] = {
    "Invalid RFC3339 encoded date": (
        "Invalid date: it does not exist or is not written YYYY-MM-DD"
    ),
    "Invalid RFC3339 encoded datetime": (
        "Invalid datetime: it does not exist or is not written as RFC 3339"
    ),
    "Invalid RFC3339 encoded time": (
        "Invalid time: it does not exist or is not written HH:MM:SS"
    ),
}


def _english(message: str) -> str:
    reason, at, path = message.partition(" - at ")
    return _ENGLISH.get(reason.strip(), reason) + at + path


_PATH = re.compile(r"^(?P<reason>.*?) - at `(?P<path>[^`]*)`$", re.DOTALL)


def translate_validation_message(message: str, language: str) -> str:
    """Return msgspec's `message` in `language` ("sv" or "en").

    English keeps msgspec's own text. A trailing " - at `$.path`" is kept
    as it is, so the field path stays readable by machines and people.
    """
    if language == "en":
        return _english(message)
    reason, suffix = message, ""
    located = _PATH.match(message)
    if located:
        reason, suffix = located["reason"], f" – vid `{located['path']}`"
    for pattern, render in _SHAPES:
        match = pattern.fullmatch(reason.strip())
        if match:
            text = render(match)
            break
    else:
        text = "Värdet är ogiltigt."
    if suffix:
        text = text.removesuffix(".") + suffix
    return text


__all__ = ["translate_validation_message"]
