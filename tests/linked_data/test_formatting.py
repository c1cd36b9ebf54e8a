"""zkg.linked_data.formatting: numbers, units, currencies and dates as people read them."""

import pyoxigraph as ox
import pytest

from zkg.linked_data import formatting

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    "value, notation, expected",
    [
        ("183400000000", "CNY", "CNY 183.4 billion"),
        ("28100000000", "USD", "USD 28.1 billion"),
        ("912500000", "USD", "USD 912.5 million"),
        ("1500", "EUR", "EUR 1,500"),
        ("488000000", "MTK", "488 km²"),
        ("488500000", "MTK", "488,500,000 m²"),
        ("6900", "MTK", "6,900 m²"),
        ("3356", "C62", "3,356"),
        ("40.4", "P1", "40.4 %"),
        ("7", None, "7"),
        ("7", "XYZ1", "7 XYZ1"),
    ],
)
def test_quantities(value, notation, expected):
    assert formatting.format_quantity(value, notation) == expected


def test_changes():
    assert formatting.format_change("45.4", "P1", percent=True) == "+45.4 %"
    assert formatting.format_change("-2.5", "P1", percent=True) == "−2.5 %"
    assert formatting.format_change("15", "C62") == "+15"
    assert formatting.format_change("0", "C62") == "0"


@pytest.mark.parametrize(
    "lexical, kind, expected",
    [
        ("2015", "gYear", "2015"),
        ("2015-09", "gYearMonth", "September 2015"),
        ("2016-03-05", "date", "5 March 2016"),
        ("2016-03-05T10:30:00Z", "dateTime", "5 March 2016, 10:30"),
        ("2016-13-05", "date", "2016-13-05"),
        ("soon", "date", "soon"),
    ],
)
def test_dates(lexical, kind, expected):
    assert formatting.format_date(lexical, kind) == expected


def test_literals_and_notes():
    year = ox.Literal("1988", datatype=ox.NamedNode(XSD + "gYear"))
    assert formatting.format_literal(year) == "1988" and formatting.datatype_note(year) == "year"
    number = ox.Literal("912500000", datatype=ox.NamedNode(XSD + "integer"))
    assert formatting.format_literal(number) == "912,500,000" and formatting.datatype_note(number) is None
    assert formatting.format_literal(ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))) == "yes"
    text = ox.Literal("Z-Park", language="en")
    assert formatting.format_literal(text) == "Z-Park" and formatting.datatype_note(text) is None
    odd = ox.Literal("x", datatype=ox.NamedNode("http://example.org/dt#code"))
    assert formatting.datatype_note(odd) == "code"
