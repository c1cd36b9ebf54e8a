"""Numbers, quantities, currencies and dates as a person reads them (English).

Values are stored in base units (183.4 billion yuan is ``183400000000``); pages show them
scaled and with their unit, taken from the unit concept's ``skos:notation`` (ISO 4217
currency codes, UN/ECE Recommendation 20 unit codes).

>>> format_quantity("183400000000", "CNY")
'CNY 183.4 billion'
>>> format_quantity("488000000", "MTK"), format_quantity("6900", "MTK"), format_quantity("3356", "C62")
('488 km²', '6,900 m²', '3,356')
>>> format_change("40.7", "P1", percent=True), format_change("15", "C62"), format_change("-3", "C62")
('+40.7 %', '+15', '−3')
>>> format_date("2015-09", "gYearMonth"), format_date("2016-03-05", "date")
('September 2015', '5 March 2016')
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from zkg.rdf.lexical import MONTH_NAMES, NUMERIC_TYPES
from zkg.rdf.namespaces import XSD

_DATES = {XSD + t: t for t in ("date", "dateTime", "gYear", "gYearMonth", "gMonthDay", "gMonth", "gDay")}

#: UN/ECE Recommendation 20 codes the pages know how to show; any other notation is shown
#: after the number as it is (ISO 4217 currencies before it).
UNECE_UNITS = {"C62": "", "MTK": "m²", "KMK": "km²", "P1": "%", "MTR": "m", "KMT": "km", "KGM": "kg", "TNE": "t"}
_SCALES = ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million"))


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def format_number(value) -> str:
    """Thousands separated, decimals kept as given, no exponent.

    >>> format_number("912500000"), format_number("40.40"), format_number("1E+3"), format_number("x")
    ('912,500,000', '40.40', '1,000', 'x')
    """
    number = _decimal(value)
    if number is None:
        return str(value)
    if number == number.to_integral_value() and "." not in str(value):
        return f"{int(number):,}"
    return f"{number:,f}"


def scaled(value) -> str:
    """Large amounts in words, to at most three significant decimals.

    >>> scaled("28100000000"), scaled("52550000000"), scaled("250000000"), scaled("6900")
    ('28.1 billion', '52.55 billion', '250 million', '6,900')
    """
    number = _decimal(value)
    if number is None:
        return str(value)
    for size, word in _SCALES:
        if abs(number) >= size:
            amount = (number / size).quantize(Decimal("0.001")).normalize()
            return f"{format_number(format(amount, 'f'))} {word}"
    return format_number(value)


def is_currency(notation: str | None) -> bool:
    """ISO 4217 codes: three capital letters (the UN/ECE codes in use are not)."""
    return (
        bool(notation)
        and len(notation) == 3
        and notation.isalpha()
        and notation.isupper()
        and notation not in UNECE_UNITS
    )


def format_quantity(value, notation: str | None, unit_label: str | None = None) -> str:
    """A value with its unit: currencies scaled with their code in front, areas in km² when
    large and whole, counts bare, percentages with %, anything else followed by its label."""
    if is_currency(notation):
        return f"{notation} {scaled(value)}"
    number = _decimal(value)
    if notation == "MTK" and number is not None and number >= 10**6 and number % 10**6 == 0:
        return f"{format_number(int(number // 10**6))} km²"
    if notation in UNECE_UNITS:
        symbol = UNECE_UNITS[notation]
        text = format_number(value)
        return f"{text} {symbol}" if symbol else text
    suffix = notation or unit_label
    return f"{format_number(value)} {suffix}" if suffix else format_number(value)


def format_change(value, notation: str | None, *, percent: bool = False) -> str:
    """A change on the previous period, signed (a real minus sign for falls)."""
    number = _decimal(value)
    sign = "+" if number is not None and number > 0 else ""
    text = format_quantity(value, "P1" if percent else notation)
    if text.startswith("-"):
        text = "−" + text[1:]
    return sign + text


def format_date(lexical: str, kind: str) -> str:
    """A date-like literal in words; ``kind`` is the XSD type's local name. Unparseable
    values (or time zones and such) come back as they are."""
    try:
        if kind == "gYear" and lexical.lstrip("-").isdigit():
            return lexical
        if kind == "gYearMonth" and len(lexical) == 7:
            return f"{MONTH_NAMES[int(lexical[5:7]) - 1]} {lexical[:4]}"
        if kind == "date" and len(lexical) == 10:
            return f"{int(lexical[8:10])} {MONTH_NAMES[int(lexical[5:7]) - 1]} {lexical[:4]}"
        if kind == "dateTime" and len(lexical) >= 16 and lexical[10] == "T":
            return f"{format_date(lexical[:10], 'date')}, {lexical[11:16]}"
    except (ValueError, IndexError):
        pass
    return lexical


def format_literal(literal: ox.Literal) -> str:
    """Any literal's value for a page: numbers separated, dates in words, booleans as yes/no."""
    datatype = literal.datatype.value if literal.datatype is not None else ""
    if datatype in NUMERIC_TYPES:
        return format_number(literal.value)
    if datatype in _DATES:
        return format_date(literal.value, _DATES[datatype])
    if datatype == XSD + "boolean":
        return {"true": "yes", "1": "yes", "false": "no", "0": "no"}.get(literal.value, literal.value)
    return literal.value


def datatype_note(literal: ox.Literal) -> str | None:
    """A word saying how precise a date is, or what an unusual datatype is; None for plain
    strings, numbers and language-tagged text."""
    datatype = literal.datatype.value if literal.datatype is not None else ""
    if literal.language or datatype in NUMERIC_TYPES or datatype in (XSD + "string", XSD + "boolean", ""):
        return None
    kind = _DATES.get(datatype)
    if kind is not None:
        return {"gYear": "year", "gYearMonth": "month", "date": "date", "dateTime": "date and time"}.get(kind, kind)
    return datatype.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
