"""Text shown to people without characters that hide or reorder what it says.

Data is untrusted: an IRI or a literal may hold bidirectional controls (``http://evil.example/``
+ U+202E RIGHT-TO-LEFT OVERRIDE + ``gpj.exe`` reads as ``…exe.jpg``), zero-width characters,
byte-order marks or control characters, so that the text of a link differs from where it
goes, or two different values look the same. Everything zkg shows in a page is passed through
:func:`visible` (the Jinja environment's ``finalize``, :func:`zkg.web.security.init_visible_text`),
which writes such characters out:

- in an IRI or URL (text without spaces that starts with a scheme or ``/``): as the
  percent-encoded UTF-8 bytes, ``%E2%80%AE``, which is also how a browser sends the
  character, so a link's text and its ``href`` stay the same string;
- in any other text: as ``\\u202E`` (``\\U000E0041`` past U+FFFF), as Turtle and SPARQL
  escape them.

What is written out: control characters (but tab, line feed and carriage return, which HTML
shows as spaces), format characters (Unicode category Cf: the bidi embeddings, overrides and
isolates U+202A–U+202E, U+2066–U+2069, the marks U+200E, U+200F, U+061C, the zero-width
U+200B–U+200D, U+2060, U+FEFF, soft hyphen, tag characters…), line and paragraph separators,
code points unassigned in Python's Unicode database (a newer browser may give them meaning),
and the fillers that draw nothing (U+034F, U+115F, U+1160, U+3164, U+FFA0).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_KEPT_CONTROLS = frozenset("\t\n\r")
_WITHOUT_KEPT = str.maketrans("", "", "\t\n\r")
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn"})
_FILLERS = frozenset("\u034f\u115f\u1160\u3164\uffa0")
_FILLER = re.compile("[" + "".join(sorted(_FILLERS)) + "]")
# No spaces (Unicode Zs, tab, line feed, carriage return); hidden characters, some of which
# Python counts as whitespace, may be there: they are what gets written out.
_URI_LIKE = re.compile("(?:[A-Za-z][A-Za-z0-9+.\\-]*:|/)[^ \t\n\r\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]*")


def is_hidden(character: str) -> bool:
    """Whether ``character`` is one :func:`visible` writes out.

    >>> [is_hidden(c) for c in ("a", "中", "\\n", "\\u202e", "\\u200b", "\\x1b", "\\ufeff", "\\u00a0")]
    [False, False, False, True, True, True, True, False]
    """
    if character in _KEPT_CONTROLS:
        return False
    return character in _FILLERS or unicodedata.category(character) in _HIDDEN_CATEGORIES


def has_hidden(text: str) -> bool:
    """Whether ``text`` holds a character :func:`visible` writes out."""
    # str.isprintable() is False for every hidden character but the fillers (and for a few
    # harmless ones: tab, line breaks, non-ASCII spaces), and answers at C speed.
    # Tab and line breaks are kept (so a text with lines, a page's indented JSON-LD, is
    # still answered at C speed once they are set aside); only what is left is looked at
    # character by character.
    if text.isprintable() or text.translate(_WITHOUT_KEPT).isprintable():
        return _FILLER.search(text) is not None
    return any(is_hidden(c) for c in text)


def _escaped(character: str) -> str:
    code = ord(character)
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def visible_text(text: str) -> str:
    r"""``text`` with each hidden character written ``\uXXXX``.

    >>> print(visible_text("Z-Park\u202e kraP"))
    Z-Park\u202E kraP
    """
    if not has_hidden(text):
        return text
    return "".join(_escaped(c) if is_hidden(c) else c for c in text)


def visible_uri(text: str) -> str:
    """``text`` with each hidden character percent-encoded (UTF-8), as a browser sends it.

    >>> visible_uri("http://evil.example/\u202egpj.exe")
    'http://evil.example/%E2%80%AEgpj.exe'
    """
    if not has_hidden(text):
        return text
    return "".join(quote(c, safe="") if is_hidden(c) else c for c in text)


def visible(text: str) -> str:
    """``text`` as it may be shown: an IRI or URL with hidden characters percent-encoded,
    other text with them written ``\\uXXXX`` (see the module's docstring).

    >>> visible("http://evil.example/\u202egpj.exe"), visible("/page/id/a\u200bb")
    ('http://evil.example/%E2%80%AEgpj.exe', '/page/id/a%E2%80%8Bb')
    >>> print(visible("Zhang\u2066 Shousheng\u2069"))
    Zhang\u2066 Shousheng\u2069
    >>> visible("中关村 Z-Park\\nline two")
    '中关村 Z-Park\\nline two'
    """
    if not has_hidden(text):
        return text
    return visible_uri(text) if _URI_LIKE.fullmatch(text) else visible_text(text)
