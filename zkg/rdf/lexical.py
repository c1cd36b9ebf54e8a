"""Lexical checks of literals: is ``"12"^^xsd:integer`` a well-formed integer, a date a real day?

RDF 1.1 lets a graph hold *ill-typed* literals (``"twelve"^^xsd:integer``): they parse, and
the engine then quietly treats them as having no value, so a ``FILTER(?n > 5)`` or a ``SUM``
skips them without a word. zkg refuses them at the door instead (every curator write, and
``zkg load``), with a message saying what is wrong.

What is checked, per XSD 1.1 Part 2 (the datatypes RDF 1.1 lists as usable):

- numbers: ``xsd:decimal``, ``xsd:integer`` and every type derived from it, with its range
  (``xsd:byte`` is -128 to 127, ``xsd:unsignedLong`` 0 to 2^64-1 …), ``xsd:double``,
  ``xsd:float`` (``INF``, ``+INF``, ``-INF``, ``NaN``; no range: XSD 1.1 rounds large
  magnitudes to infinity), ``xsd:boolean`` (``true``, ``false``, ``1``, ``0``);
- calendar: ``xsd:date``, ``time``, ``dateTime``, ``dateTimeStamp`` (timezone required),
  ``gYear``, ``gYearMonth``, ``gMonth``, ``gDay``, ``gMonthDay``, with real calendar checks:
  month 01-12, the day within its month (29 February in leap years only; XSD 1.1 counts
  year 0000 and negative years, 0000 being a leap year), hour 24 only as ``24:00:00``,
  timezones from -14:00 to +14:00;
- durations: ``xsd:duration``, ``yearMonthDuration``, ``dayTimeDuration`` (``P`` alone, or a
  ``T`` with nothing after it, is not a duration);
- binary: ``xsd:hexBinary`` (pairs of hex digits), ``xsd:base64Binary`` (XSD's own pattern);
- strings: ``xsd:normalizedString`` (no tab, line feed, carriage return), ``xsd:token`` (also
  no leading, trailing or double spaces), ``xsd:language``, ``xsd:Name``, ``xsd:NCName``,
  ``xsd:NMTOKEN`` (the XML productions); ``xsd:string`` and ``xsd:anyURI`` take any text
  (XSD 1.1 puts no constraint on anyURI's lexical form);
- ``rdf:langString`` without a language tag is refused.

**Whitespace.** A lexical form is checked as it is: ``" 1"^^xsd:integer`` is refused. XSD's
``whiteSpace="collapse"`` facet is a step an XML Schema validator applies to element text
*before* it looks the text up in the lexical space; the lexical space itself (the
``[+-]?[0-9]+`` pattern of integer) has no spaces, and an RDF literal's lexical form is
taken as it is. The engine agrees: Oxigraph gives ``" 1"^^xsd:integer`` no numeric value.

**Unknown datatypes** (anything not listed above: ``rdf:HTML``, a project's own IRIs) are
accepted as they are, as RDF allows.

**NUL.** A literal (or an IRI) holding U+0000 is refused whatever its datatype. RDF itself
allows any Unicode character in a literal, and zkg accepts the other control characters
(they are legal, if odd, in text); NUL alone is refused because it breaks what the data
flows into next: C-string consumers truncate at it, terminals and logs mangle it, XML 1.0
(hence RDF/XML output) cannot represent it at all, and some engines and tools reject it.

Speed: a plain string costs a dictionary lookup of its datatype IRI; a checked datatype
costs one precompiled regular expression (and, for ranges and calendars, a few integer
comparisons). ``literal_problem`` answers ``None`` for a good literal, else the reason:

>>> lexical_problem("12", XSD + "integer") is None
True
>>> lexical_problem("twelve", XSD + "integer")
'"twelve" is not a valid xsd:integer'
>>> lexical_problem("2021-02-29", XSD + "date")
'"2021-02-29" is not a valid xsd:date (2021 is not a leap year: February has 28 days)'
>>> lexical_problem("x", "http://example.org/my-datatype") is None
True
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

import pyoxigraph as ox

from zkg.rdf.namespaces import RDF, XSD

LANG_STRING = RDF + "langString"
DIR_LANG_STRING = RDF + "dirLangString"  # RDF 1.2: a language tag and a base direction

#: Datatypes whose every lexical form (without NUL) is valid: no work beyond the NUL test.
ANY_TEXT = frozenset({XSD + "string", XSD + "anyURI"})

#: A check: None when the lexical form is valid, else a detail ("" when there is nothing to add).
Check = Callable[[str], "str | None"]

SHOWN = 60  # characters of a lexical form quoted in a message


def show(text: str) -> str:
    """``text`` quoted for a message: control characters escaped, long text cut.

    >>> print(show("a\\x00b"), show("x" * 100)[-4:])
    "a\\u0000b" xx…"
    """
    cut = text if len(text) <= SHOWN else text[:SHOWN] + "…"
    escaped = "".join(f"\\u{ord(c):04X}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in cut.replace("\\", "\\\\"))
    return '"' + escaped.replace('"', '\\"') + '"'


# -- calendar ------------------------------------------------------------------------------------

# Every pattern is compiled with re.ASCII: Python's \d would otherwise match any Unicode digit
# (and int() read it), but XSD's digits are 0-9 only.
#
# Calendar types are written as templates of their fields: {Y}ear, {M}onth, {D}ay, {C}lock
# time and {Z}one. The LOOSE fields capture any digits, for the range checks below to say
# precisely what is wrong; the SURE fields accept only values valid in every month of every
# year, so that the common case (a day up to the 28th, a four-digit year) costs one match.
LOOSE = {
    "Y": r"(?P<year>-?\d{4,})",
    "M": r"(?P<month>\d\d)",
    "D": r"(?P<day>\d\d)",
    "C": r"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)(?P<fraction>\.\d+)?",
    "Z": r"(?P<zone>Z|[+-]\d\d:\d\d)",
}
SURE = {
    "Y": r"[1-9]\d{3}",
    "M": r"(?:0[1-9]|1[0-2])",
    "D": r"(?:0[1-9]|1\d|2[0-8])",
    "C": r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?",
    "Z": r"(?:Z|[+-](?:0\d|1[0-3]):[0-5]\d)",
}
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: The months' English names, for messages here and for pages (zkg.linked_data.formatting).
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def is_leap(year: int) -> bool:
    """XSD 1.1's (proleptic Gregorian) leap years; year 0 is 1 BCE, a leap year.

    >>> [is_leap(y) for y in (2024, 2021, 1900, 2000, 0, -4)]
    [True, False, False, True, True, True]
    """
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _year_problem(text: str) -> str | None:
    digits = text.lstrip("-")
    if len(digits) > 4 and digits[0] == "0":
        return f"a year of more than four digits has no leading zero: {text}"
    return None


def _month_problem(text: str) -> str | None:
    return None if 1 <= int(text) <= 12 else f"month {text} is not 01 to 12"


def _day_problem(day: str, month: str | None, year: str | None) -> str | None:
    """The day within its month (of its year, when there is one: gMonthDay has none, so
    29 February is a day)."""
    number = int(day)
    if month is None:
        limit = 31
    elif month == "02":
        limit = 29 if year is None or is_leap(int(year)) else 28
    else:
        limit = _DAYS[int(month) - 1]
    if 1 <= number <= limit:
        return None
    if month is None:
        return f"day {day} is not 01 to 31"
    if limit == 28 and number == 29:
        return f"{year} is not a leap year: February has 28 days"
    name = MONTH_NAMES[int(month) - 1]
    return f"day {day} is not 01 to {limit}: {name} has {'at most ' if year is None else ''}{limit} days"


def _clock_problem(parts: dict[str, str]) -> str | None:
    hour, minute, second = int(parts["hour"]), int(parts["minute"]), int(parts["second"])
    if minute > 59:
        return f"minute {parts['minute']} is not 00 to 59"
    if second > 59:
        return f"second {parts['second']} is not 00 to 59"
    if hour == 24:
        fraction = (parts["fraction"] or ".0")[1:]
        if minute or second or fraction.strip("0"):
            return "hour 24 is allowed only as 24:00:00"
    elif hour > 23:
        return f"hour {parts['hour']} is not 00 to 24"
    return None


def _zone_problem(zone: str | None) -> str | None:
    if zone is None or zone == "Z":
        return None
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if minutes > 59 or hours * 60 + minutes > 14 * 60:
        return f"timezone {zone} is not between -14:00 and +14:00"
    return None


def _calendar(template: str, *, zone_required: bool = False) -> Check:
    """A check of a calendar type written as a template of fields (see LOOSE and SURE)."""
    compiled = re.compile(template.format(**LOOSE), re.ASCII)
    sure = re.compile((template.replace("{Z}?", "{Z}") if zone_required else template).format(**SURE), re.ASCII)

    def check(text: str) -> str | None:
        if sure.fullmatch(text):
            return None
        match = compiled.fullmatch(text)
        if match is None:
            return ""
        parts = match.groupdict()
        year, month, day = parts.get("year"), parts.get("month"), parts.get("day")
        problem = (
            (year is not None and _year_problem(year))
            or (month is not None and _month_problem(month))
            or (day is not None and _day_problem(day, month, year))
            or ("hour" in parts and _clock_problem(parts))
            or _zone_problem(parts["zone"])
        )
        if problem:
            return problem
        if zone_required and parts["zone"] is None:
            return "a timezone is required: Z or ±hh:mm"
        return None

    return check


# -- numbers -------------------------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?[0-9]+")
_BOUND_DIGITS = 20  # every bounded integer type fits in 20 digits (2**64 - 1 has 20)


def _integer(low: int | None = None, high: int | None = None) -> Check:
    """A check of xsd:integer or one of its derived types, with its range."""

    def check(text: str) -> str | None:
        if _INTEGER.fullmatch(text) is None:
            return ""
        if low is None and high is None:
            return None
        digits = text.lstrip("+-").lstrip("0")
        # Past 20 digits the value is out of every range; int() of a huge text is slow.
        sign = -1 if text.startswith("-") else 1
        value = sign * (int(digits or "0") if len(digits) <= _BOUND_DIGITS else 10**_BOUND_DIGITS)
        if (low is not None and value < low) or (high is not None and value > high):
            return f"out of range: {_range_text(low, high)}"
        return None

    return check


def _range_text(low: int | None, high: int | None) -> str:
    if low is None:
        return f"at most {high}"
    if high is None:
        return f"at least {low}"
    return f"{low} to {high}"


def _pattern(regex: str, detail: str = "") -> Check:
    compiled = re.compile(regex, re.ASCII)  # \d is [0-9] only; names list their ranges
    return lambda text: None if compiled.fullmatch(text) else detail


# -- durations -----------------------------------------------------------------------------------

_DURATION = re.compile(
    r"-?P(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<D>\d+)D)?"
    r"(?P<T>T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d*)?|\.\d+)S)?)?",
    re.ASCII,
)


def _duration(kind: str) -> Check:
    """``kind``: "duration", "yearMonth" (years and months only) or "dayTime" (no years or
    months). Seconds follow XSD 1.1's grammar (duSecondFrag), which allows ``1.S`` and ``.5S``."""

    def check(text: str) -> str | None:
        match = _DURATION.fullmatch(text)
        if match is None:
            return ""
        parts = match.groupdict()
        time_parts = [parts[k] for k in "hms"]
        if parts["T"] is not None and not any(time_parts):
            return "T must be followed by hours, minutes or seconds"
        if not any(parts[k] for k in "YMD") and not any(time_parts):
            return "a duration needs at least one part, e.g. P1D"
        if kind == "yearMonth" and (parts["D"] or parts["T"]):
            return "years and months only, e.g. P1Y2M"
        if kind == "dayTime" and (parts["Y"] or parts["M"]):
            return "days, hours, minutes and seconds only, e.g. P1DT2H"
        return None

    return check


# -- strings -------------------------------------------------------------------------------------

# XML 1.0 (fifth edition) NameStartChar and NameChar, the base of Name, NCName and NMTOKEN.
_NAME_START = (
    ":A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NAME_REST = _NAME_START + r"\-.0-9\u00B7\u0300-\u036F\u203F-\u2040"
_NC_START, _NC_REST = _NAME_START.replace(":", ""), _NAME_REST.replace(":", "")


def _normalized(text: str) -> str | None:
    return "no tab, line feed or carriage return" if any(c in text for c in "\t\n\r") else None


def _token(text: str) -> str | None:
    if _normalized(text) is not None:
        return _normalized(text)
    if text != text.strip(" ") or "  " in text:
        return "no leading, trailing or double spaces"
    return None


_BASE64 = (
    r"(?:(?:[A-Za-z0-9+/] ?){4})*(?:(?:[A-Za-z0-9+/] ?){3}[A-Za-z0-9+/]"
    r"|(?:[A-Za-z0-9+/] ?){2}[AEIMQUYcgkosw048] ?="
    r"|[A-Za-z0-9+/] ?[AQgw] ?= ?=)?"
)

_INT_RANGES = {
    "integer": (None, None),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 2**8 - 1),
}
_FLOAT = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN"

#: xsd:integer and the types derived from it: zkg's one list of them (pages show them as
#: numbers, reconciliation's data extension gives them as ``int``).
INTEGER_TYPES: frozenset[str] = frozenset(XSD + name for name in _INT_RANGES)
#: The other numbers: xsd:decimal and the floating-point types.
DECIMAL_AND_FLOAT_TYPES: frozenset[str] = frozenset(XSD + name for name in ("decimal", "double", "float"))
NUMERIC_TYPES: frozenset[str] = INTEGER_TYPES | DECIMAL_AND_FLOAT_TYPES


#: local name -> check, for the datatypes checked (XSD + name is the datatype IRI).
CHECKS: dict[str, Check] = {
    **{name: _integer(low, high) for name, (low, high) in _INT_RANGES.items()},
    "decimal": _pattern(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"),
    "double": _pattern(_FLOAT),
    "float": _pattern(_FLOAT),
    "boolean": _pattern(r"true|false|1|0", "true, false, 1 or 0"),
    "date": _calendar("{Y}-{M}-{D}{Z}?"),
    "dateTime": _calendar("{Y}-{M}-{D}T{C}{Z}?"),
    "dateTimeStamp": _calendar("{Y}-{M}-{D}T{C}{Z}?", zone_required=True),
    "time": _calendar("{C}{Z}?"),
    "gYear": _calendar("{Y}{Z}?"),
    "gYearMonth": _calendar("{Y}-{M}{Z}?"),
    "gMonth": _calendar("--{M}{Z}?"),
    "gDay": _calendar("---{D}{Z}?"),
    "gMonthDay": _calendar("--{M}-{D}{Z}?"),
    "duration": _duration("duration"),
    "yearMonthDuration": _duration("yearMonth"),
    "dayTimeDuration": _duration("dayTime"),
    "hexBinary": _pattern(r"(?:[0-9a-fA-F]{2})*", "pairs of hexadecimal digits"),
    "base64Binary": _pattern(_BASE64),
    "normalizedString": _normalized,
    "token": _token,
    "language": _pattern(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*", "a language tag such as en or zh-Hans"),
    "Name": _pattern(f"[{_NAME_START}][{_NAME_REST}]*"),
    "NCName": _pattern(f"[{_NC_START}][{_NC_REST}]*"),
    "NMTOKEN": _pattern(f"[{_NAME_REST}]+"),
}
_BY_IRI: dict[str, tuple[str, Check]] = {XSD + name: (name, check) for name, check in CHECKS.items()}


# -- the checks ----------------------------------------------------------------------------------

NUL = "\x00"


def _nul_message(text: str, what: str) -> str:
    return f"{what} {show(text)} contains the character U+0000 (NUL), which zkg refuses"


def lexical_problem(lexical: str, datatype: str) -> str | None:
    """Why ``lexical`` is not a valid form of ``datatype`` (an IRI), or None when it is (or
    when the datatype is not one zkg checks).

    >>> lexical_problem("300", XSD + "byte")
    '"300" is not a valid xsd:byte (out of range: -128 to 127)'
    >>> lexical_problem(" 1 ", XSD + "integer")
    '" 1 " is not a valid xsd:integer (no spaces around the value)'
    >>> lexical_problem("24:00:01", XSD + "time")
    '"24:00:01" is not a valid xsd:time (hour 24 is allowed only as 24:00:00)'
    >>> [lexical_problem(x, XSD + "double") for x in ("1e10", "-INF", "NaN")]
    [None, None, None]
    """
    if NUL in lexical:
        return _nul_message(lexical, "the literal")
    if datatype in ANY_TEXT:
        return None
    found = _BY_IRI.get(datatype)
    if found is None:
        return None
    name, check = found
    detail = check(lexical)
    if detail is None:
        return None
    if lexical != lexical.strip() and check(lexical.strip()) is None:
        detail = "no spaces around the value"
    return f"{show(lexical)} is not a valid xsd:{name}" + (f" ({detail})" if detail else "")


def literal_problem(literal: ox.Literal) -> str | None:
    """Why a literal is refused, or None: NUL, a lexical form its datatype does not allow, or
    rdf:langString without a language tag.

    >>> literal_problem(ox.Literal("maybe", datatype=ox.NamedNode(XSD + "boolean")))
    '"maybe" is not a valid xsd:boolean (true, false, 1 or 0)'
    >>> literal_problem(ox.Literal("x", datatype=ox.NamedNode(LANG_STRING)))
    'the literal "x" is typed rdf:langString but has no language tag'
    >>> literal_problem(ox.Literal("天安门", language="zh")) is None
    True
    """
    value = literal.value
    if literal.language is not None:  # rdf:langString (or dirLangString): any text
        return _nul_message(value, "the literal") if NUL in value else None
    datatype = literal.datatype.value
    if datatype == LANG_STRING or datatype == DIR_LANG_STRING:
        return f"the literal {show(value)} is typed rdf:{datatype[len(RDF) :]} but has no language tag"
    return lexical_problem(value, datatype)


def term_problem(term: object) -> str | None:
    """Why an RDF term is refused (see :func:`literal_problem`; an IRI with NUL), or None."""
    if isinstance(term, ox.Literal):
        return literal_problem(term)
    if isinstance(term, ox.NamedNode):
        return _nul_message(term.value, "the IRI") if NUL in term.value else None
    if isinstance(term, ox.Triple):
        return term_problem(term.subject) or term_problem(term.predicate) or term_problem(term.object)
    return None


def _short(term: object) -> str:
    text = str(term)
    return text if len(text) <= 100 else text[:100] + "…"


def quad_problem(quad: ox.Quad) -> str | None:
    """Why a statement is refused, naming it, or None.

    >>> s, p = ox.NamedNode("http://zkg.test/id/a"), ox.NamedNode("http://zkg.test/def/size")
    >>> quad_problem(ox.Quad(s, p, ox.Literal("1.2.3", datatype=ox.NamedNode(XSD + "decimal"))))
    '"1.2.3" is not a valid xsd:decimal, in the statement <http://zkg.test/id/a> <http://zkg.test/def/size> "1.2.3"^^<...>'
    """
    for term in (quad.object, quad.subject, quad.predicate, quad.graph_name):
        problem = term_problem(term)
        if problem:
            return f"{problem}, in the statement {_short(quad.subject)} {_short(quad.predicate)} {_short(quad.object)}"
    return None


def first_problem(quads: Iterable[ox.Quad]) -> str | None:
    """The problem of the first refused statement of ``quads`` (see :func:`quad_problem`), or None."""
    for quad in quads:
        problem = quad_problem(quad)
        if problem:
            return problem
    return None
