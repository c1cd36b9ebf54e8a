"""zkg.rdf.lexical: which literals are well-formed for their XSD datatype (XSD 1.1 Part 2), with
readable reasons for those that are not. The write paths that use it are tested in
tests/hardening/test_hostile_input.py and tests/hardening/test_literal_writes.py."""

from __future__ import annotations

import base64
import datetime
import string

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkg.rdf.lexical import (
    CHECKS,
    LANG_STRING,
    RDF,
    XSD,
    first_problem,
    is_leap,
    lexical_problem,
    literal_problem,
    quad_problem,
    show,
    term_problem,
)


def valid(lexical: str, datatype: str) -> bool:
    return lexical_problem(lexical, XSD + datatype) is None


# -- a table of cases, per datatype ----------------------------------------------------------------

GOOD = {
    "integer": ["0", "-0", "+1", "007", "9" * 400],
    "decimal": ["1.5", "-1.", ".5", "+0.0", "12", "0000.0000"],
    "double": ["1e10", "1E-5", "-1.5e+3", ".5e1", "INF", "+INF", "-INF", "NaN", "1.7976931348623157e309", "12"],
    "float": ["1.5", "INF", "NaN", "3.4e39"],
    "boolean": ["true", "false", "1", "0"],
    "date": [
        "2024-02-29",
        "2000-02-29",
        "-0044-03-15",
        "0000-02-29",
        "12345-01-01",
        "2016-03-05Z",
        "2016-03-05+14:00",
        "2016-03-05-14:00",
        "2016-03-05+05:30",
    ],
    "dateTime": [
        "2016-03-05T10:00:00",
        "2016-03-05T24:00:00",
        "2016-03-05T24:00:00.000Z",
        "2016-03-05T23:59:59.999999+08:00",
    ],
    "dateTimeStamp": ["2016-03-05T10:00:00Z", "2016-03-05T10:00:00-03:00"],
    "time": ["00:00:00", "24:00:00", "23:59:59.5", "12:00:00Z"],
    "gYear": ["2016", "0000", "-0001", "2016+08:00"],
    "gYearMonth": ["2016-12", "-0044-03"],
    "gMonth": ["--01", "--12Z"],
    "gDay": ["---01", "---31"],
    "gMonthDay": ["--02-29", "--12-31", "--04-30"],
    "duration": ["P1Y2M3DT4H5M6.7S", "-P1D", "PT0S", "P0Y", "PT1.S", "PT.5S", "P1M", "PT1M", "P10000Y"],
    "yearMonthDuration": ["P1Y", "P1Y2M", "-P14M"],
    "dayTimeDuration": ["P1D", "PT36H", "P1DT2H3M4.5S", "-PT1S"],
    "hexBinary": ["", "0A", "0a1B2c", "FF00"],
    "base64Binary": ["", "aGVsbG8=", "aGVsbA==", "aGVs", "aGVs bG8="],
    "anyURI": ["", "http://example.org/a b", "not a URI at all", "../relative"],
    "normalizedString": ["a b", "  spaced  ", ""],
    "token": ["a b", "", "one"],
    "language": ["en", "zh-Hans", "en-GB-oed", "x-private1"],
    "Name": ["a", "_a", ":a", "a:b", "a-b.c", "é", "中文"],
    "NCName": ["a", "_a", "a-b.c", "中文"],
    "NMTOKEN": ["a", "-a", "1", ".", "a:b"],
    "string": ["", " 1 ", "a\tb\nc", "a\x01b\x1fc\x7f"],
}

BAD = {
    "integer": ["", "twelve", "1.0", " 1", "1 ", "+-1", "1_000", "١٢", "0x10", "1e3"],
    "decimal": ["", ".", "1.2.3", "NaN", "INF", "1e3", " 1.5"],
    "double": ["", "inf", "Infinity", "-NaN", "+NaN", "1e", "e5", "1.5f", "0x1p3", "1,5"],
    "float": ["", "1.5.", "nan"],
    "boolean": ["", "maybe", "True", "FALSE", "yes", " true", "01"],
    "date": [
        "",
        "2020-13-45",
        "2021-02-29",
        "1900-02-29",
        "2024-04-31",
        "2024-00-10",
        "2024-01-00",
        "16-03-05",
        "02016-03-05",
        "2016-3-5",
        "2016-03-05T00:00:00",
        "2016-03-05+15:00",
        "2016-03-05+14:01",
        "2016-03-05+05:60",
        "-00001-01-01",
        "2016/03/05",
        "2016-\u0663-05",
        "\u0662\u0660\u0661\u0666-03-05",
    ],
    "dateTime": [
        "yesterday",
        "2016-03-05",
        "2016-03-05T24:00:01",
        "2016-03-05T24:01:00",
        "2016-03-05T24:00:00.1",
        "2016-03-05T25:00:00",
        "2016-03-05T10:60:00",
        "2016-03-05T10:00:60",
        "2016-03-05T10:00",
        "2016-03-05T10:00:00.",
        "2016-03-05 10:00:00",
        "2016-03-05T10:00:00+24:00",
    ],
    "dateTimeStamp": ["2016-03-05T10:00:00", "2016-03-05T10:00:00+15:00"],
    "time": ["24:00:01", "24:00:00.5", "12:00", "1:00:00", "12:00:00+15:00", "12:00:00.\u0665"],
    "gYear": ["16", "02016", "2016-01", "-"],
    "gYearMonth": ["2016-13", "2016-00", "2016"],
    "gMonth": ["--13", "--00", "01", "--1"],
    "gDay": ["---32", "---00", "--01"],
    "gMonthDay": ["--02-30", "--04-31", "--13-01", "--00-10", "--01-32"],
    "duration": ["", "P", "PT", "P1DT", "P\u0661D", "1D", "P-1D", "P1.5D", "PT1H2S3M", "P1S", "P1D2Y", "PT1.5H"],
    "yearMonthDuration": ["P1D", "P1YT1H", "P"],
    "dayTimeDuration": ["P1Y", "P1M", "P1MT1H", "P"],
    "hexBinary": ["0", "ABC", "0G", "0x0A", "0A "],
    "base64Binary": ["aGVsbG8", "a", "aGVsbG8==", "====", "aGVs\nbG8="],
    "normalizedString": ["a\tb", "a\nb", "a\rb"],
    "token": [" a", "a ", "a  b", "a\tb"],
    "language": ["", "en_GB", "toolongtag", "en-", "-en", "en--GB"],
    "Name": ["", "1a", "-a", ".a", "a b"],
    "NCName": ["", "a:b", ":a", "1a"],
    "NMTOKEN": ["", "a b", "a,b"],
}


@pytest.mark.parametrize("datatype,lexical", [(d, x) for d, xs in GOOD.items() for x in xs])
def test_valid_forms_are_accepted(datatype, lexical):
    assert valid(lexical, datatype), lexical_problem(lexical, XSD + datatype)


@pytest.mark.parametrize("datatype,lexical", [(d, x) for d, xs in BAD.items() for x in xs])
def test_invalid_forms_are_refused_with_a_reason(datatype, lexical):
    problem = lexical_problem(lexical, XSD + datatype)
    assert problem is not None
    assert problem.startswith(f"{show(lexical)} is not a valid xsd:{datatype}")


def test_every_datatype_rdf_lists_is_checked():
    # RDF 1.1 Concepts, section 5.1: the XSD datatypes usable in RDF (xsd:string and anyURI take any text).
    listed = {
        "boolean",
        "decimal",
        "integer",
        "double",
        "float",
        "date",
        "time",
        "dateTime",
        "dateTimeStamp",
        "gYear",
        "gMonth",
        "gDay",
        "gYearMonth",
        "gMonthDay",
        "duration",
        "yearMonthDuration",
        "dayTimeDuration",
        "byte",
        "short",
        "int",
        "long",
        "unsignedByte",
        "unsignedShort",
        "unsignedInt",
        "unsignedLong",
        "positiveInteger",
        "nonNegativeInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "hexBinary",
        "base64Binary",
        "language",
        "normalizedString",
        "token",
        "NMTOKEN",
        "Name",
        "NCName",
    }
    assert listed <= set(CHECKS)


# -- integer ranges ---------------------------------------------------------------------------------

RANGES = {
    "byte": (-128, 127),
    "short": (-32768, 32767),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
    "unsignedByte": (0, 255),
    "unsignedShort": (0, 65535),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedLong": (0, 2**64 - 1),
    "positiveInteger": (1, None),
    "nonNegativeInteger": (0, None),
    "negativeInteger": (None, -1),
    "nonPositiveInteger": (None, 0),
}


@pytest.mark.parametrize("datatype", RANGES)
def test_integer_types_accept_their_range_and_nothing_past_it(datatype):
    low, high = RANGES[datatype]
    for bound, outside in ((low, -1), (high, 1)):
        if bound is None:
            continue
        assert valid(str(bound), datatype) and valid(f"{'+' if bound >= 0 else ''}{bound}", datatype)
        problem = lexical_problem(str(bound + outside), XSD + datatype)
        assert problem is not None and "out of range" in problem, (datatype, bound + outside)
    assert valid("-0", datatype) == ((low is None or low <= 0) and (high is None or high >= 0))
    assert not valid("1" + "0" * 5000, datatype) or high is None  # huge text: out of range, no int() limit hit
    assert not valid("-" + "1" * 5000, datatype) or low is None
    assert valid("0" * 5000 + "1", datatype) == ((low is None or low <= 1) and (high is None or high >= 1))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from(sorted(RANGES)))
def test_integer_ranges_agree_with_arithmetic(number, datatype):
    low, high = RANGES[datatype]
    assert valid(str(number), datatype) == ((low is None or number >= low) and (high is None or number <= high))


# -- the calendar -----------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [1, 4, 100, 1900, 1970, 2000, 2021, 2024, 2100, 2400, 9999])
def test_dates_agree_with_the_python_calendar(year):
    for month in range(1, 13):
        for day in range(1, 32):
            text = f"{year:04d}-{month:02d}-{day:02d}"
            try:
                datetime.date(year, month, day)
                expected = True
            except ValueError:
                expected = False
            assert valid(text, "date") == expected, text
            assert valid(f"{text}T12:00:00Z", "dateTime") == expected, text


@pytest.mark.parametrize("year,leap", [(0, True), (-1, False), (-4, True), (-100, False), (-400, True), (-5, False)])
def test_years_before_the_common_era_have_leap_years_too(year, leap):
    # XSD 1.1 counts a year 0000 (1 BCE); the Gregorian rule runs backwards from it.
    assert is_leap(year) is leap
    text = f"{'-' if year < 0 else ''}{abs(year):04d}-02-29"
    assert valid(text, "date") is leap, text


def test_hour_24_is_only_midnight_at_the_end_of_the_day():
    assert valid("24:00:00", "time") and valid("24:00:00.000", "time")
    for text in ("24:00:00.001", "24:00:01", "24:01:00", "25:00:00"):
        assert "hour" in lexical_problem(text, XSD + "time"), text
    for hour in range(24):
        for minute_second in ("00:00", "59:59", "30:15.25"):
            assert valid(f"{hour:02d}:{minute_second}", "time")


@pytest.mark.parametrize("sign", ["+", "-"])
def test_timezones_run_from_minus_14_to_plus_14(sign):
    for hours in range(0, 16):
        for minutes in (0, 30, 59, 60):
            zone = f"{sign}{hours:02d}:{minutes:02d}"
            expected = minutes <= 59 and hours * 60 + minutes <= 14 * 60
            assert valid(f"12:00:00{zone}", "time") == expected, zone
            assert valid(f"2016{zone}", "gYear") == expected, zone


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime.datetime(1, 1, 1),
        max_value=datetime.datetime(9999, 12, 31),
        timezones=st.sampled_from(
            [
                datetime.timezone.utc,
                datetime.timezone(datetime.timedelta(hours=8)),
                datetime.timezone(datetime.timedelta(hours=-14)),
            ]
        ),
    )
)
def test_python_isoformat_datetimes_are_valid(moment):
    assert valid(moment.isoformat(), "dateTimeStamp") and valid(moment.isoformat(), "dateTime")
    assert valid(moment.date().isoformat(), "date") and valid(moment.time().isoformat(), "time")


# -- reasons and edge cases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lexical,datatype,reason",
    [
        ("twelve", "integer", '"twelve" is not a valid xsd:integer'),
        (" 1 ", "integer", '" 1 " is not a valid xsd:integer (no spaces around the value)'),
        ("2021-02-29", "date", '"2021-02-29" is not a valid xsd:date (2021 is not a leap year: February has 28 days)'),
        ("2024-04-31", "date", '"2024-04-31" is not a valid xsd:date (day 31 is not 01 to 30: April has 30 days)'),
        ("2020-13-45", "date", '"2020-13-45" is not a valid xsd:date (month 13 is not 01 to 12)'),
        (
            "--02-30",
            "gMonthDay",
            '"--02-30" is not a valid xsd:gMonthDay (day 30 is not 01 to 29: February has at most 29 days)',
        ),
        (
            "12:00:00+15:00",
            "time",
            '"12:00:00+15:00" is not a valid xsd:time (timezone +15:00 is not between -14:00 and +14:00)',
        ),
        (
            "2016-03-05T10:00:00",
            "dateTimeStamp",
            '"2016-03-05T10:00:00" is not a valid xsd:dateTimeStamp (a timezone is required: Z or ±hh:mm)',
        ),
        ("300", "unsignedByte", '"300" is not a valid xsd:unsignedByte (out of range: 0 to 255)'),
        ("0", "positiveInteger", '"0" is not a valid xsd:positiveInteger (out of range: at least 1)'),
        ("P", "duration", '"P" is not a valid xsd:duration (a duration needs at least one part, e.g. P1D)'),
        ("P1DT", "duration", '"P1DT" is not a valid xsd:duration (T must be followed by hours, minutes or seconds)'),
        ("a\tb", "token", '"a\\u0009b" is not a valid xsd:token (no tab, line feed or carriage return)'),
    ],
)
def test_reasons_say_what_is_wrong(lexical, datatype, reason):
    assert lexical_problem(lexical, XSD + datatype) == reason


def test_long_values_are_cut_in_messages():
    problem = lexical_problem("x" * 10_000, XSD + "integer")
    assert problem.startswith('"' + "x" * 60 + '…"') and len(problem) < 120


@pytest.mark.parametrize(
    "datatype", [XSD + "string", XSD + "integer", XSD + "anyURI", "http://example.org/mine", RDF + "HTML"]
)
def test_nul_is_refused_whatever_the_datatype(datatype):
    assert "U+0000 (NUL)" in lexical_problem("a\x00b", datatype)


def test_nul_in_a_language_string_is_refused_and_other_control_characters_are_not():
    assert "U+0000 (NUL)" in literal_problem(ox.Literal("a\x00b", language="en"))
    assert literal_problem(ox.Literal("a\x01\x08\x0b\x1b\x7fb", language="en")) is None
    assert literal_problem(ox.Literal("a\x01\x08\x0b\x1b\x7fb")) is None


def test_unknown_datatypes_take_any_text():
    for datatype in ("http://example.org/mine", RDF + "HTML", RDF + "XMLLiteral", RDF + "JSON", XSD + "NOTATION"):
        assert lexical_problem("<b>not checked</b> twelve", datatype) is None


def test_a_lang_string_needs_a_language_tag():
    assert (
        literal_problem(ox.Literal("x", datatype=ox.NamedNode(LANG_STRING)))
        == 'the literal "x" is typed rdf:langString but has no language tag'
    )
    assert "no language tag" in literal_problem(ox.Literal("x", datatype=ox.NamedNode(RDF + "dirLangString")))
    assert literal_problem(ox.Literal("x", language="en")) is None


def test_terms_and_quads():
    s, p = ox.NamedNode("http://zkg.test/id/a"), ox.NamedNode("http://zkg.test/def/p")
    good = ox.Quad(s, p, ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")))
    bad = ox.Quad(s, p, ox.Literal("one", datatype=ox.NamedNode(XSD + "integer")), ox.NamedNode("http://zkg.test/g"))
    assert term_problem(s) is None and term_problem(ox.BlankNode()) is None and quad_problem(good) is None
    assert quad_problem(bad).startswith('"one" is not a valid xsd:integer, in the statement <http://zkg.test/id/a> ')
    assert first_problem([good, good]) is None and first_problem([good, bad]) == quad_problem(bad)
    nested = ox.Triple(s, p, ox.Literal("2021-02-29", datatype=ox.NamedNode(XSD + "date")))
    assert "not a leap year" in term_problem(nested)


# -- against other implementations ------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_binary_encodings_of_any_bytes_are_valid(data):
    assert valid(data.hex(), "hexBinary") and valid(data.hex().upper(), "hexBinary")
    assert valid(base64.b64encode(data).decode(), "base64Binary")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.digits + "+-.eE", max_size=8))
def test_numbers_agree_with_python_where_the_grammars_meet(text):
    # Python's float() takes a superset of xsd:double's digits-and-exponent forms (it also
    # takes "1_0", " 1", "infinity"); on this alphabet the two grammars are the same.
    try:
        float(text)
        python = True
    except ValueError:
        python = False
    assert valid(text, "double") == python, text
