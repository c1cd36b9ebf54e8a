"""Refusals of uploaded RDF before it is parsed.

RDF/XML may carry a document type declaration: internal entities expand (the "billion
laughs": a few hundred bytes become gigabytes in memory and in the store) and external ones
name files or URLs. RDF/XML needs neither, so any ``<!DOCTYPE`` or ``<!ENTITY`` in an
RDF/XML body is refused with 400 before the parser sees it, whatever the encoding.
"""

from __future__ import annotations

import pyoxigraph as ox

from zkg.base.errors import ZkgError
from zkg.rdf.nesting_guard import check_nesting

_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


class UnsafeUpload(ZkgError):
    """An upload refused for what it could make the parser do."""

    http_status = 400


def _encodings(marker: bytes) -> list[bytes]:
    text = marker.decode("ascii")
    return [text.encode(e) for e in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")]


_PATTERNS = [p for m in _MARKERS for p in _encodings(m)]


def check_upload(data: bytes, oxigraph_format, what: str = "the body") -> None:
    """Raise :class:`UnsafeUpload` for an XML body with a DTD (see the module's docstring).

    >>> check_upload(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><r/>', ox.RdfFormat.RDF_XML)
    Traceback (most recent call last):
    ...
    zkg.web.curation.upload_guard.UnsafeUpload: the body declares a DOCTYPE or ENTITY: RDF/XML uploads may not (entity expansion and external entities are refused)
    >>> check_upload(b"<a> <b> <c> .", ox.RdfFormat.TURTLE)
    """

    syntax = {ox.RdfFormat.RDF_XML: "xml", ox.RdfFormat.JSON_LD: "json"}.get(oxigraph_format, "turtle")
    check_nesting(data, what, syntax=syntax)  # deep nesting overflows the parser's stack
    if oxigraph_format != ox.RdfFormat.RDF_XML:
        return
    upper = data.upper()
    if any(pattern in upper for pattern in _PATTERNS):
        raise UnsafeUpload(
            f"{what} declares a DOCTYPE or ENTITY: RDF/XML uploads may not "
            "(entity expansion and external entities are refused)"
        )
