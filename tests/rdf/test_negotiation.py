"""Content negotiation (zkg.rdf.negotiation): Accept parsing, q-values, wildcards, format=."""

from __future__ import annotations

import pytest

from zkg.rdf.negotiation import (
    GRAPH_FORMATS,
    HTML,
    RESULTS_FORMATS,
    NotAcceptable,
    choose,
    from_parameter,
    negotiate,
    parse_accept,
    quality,
)

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SPARQLWRAPPER_JSON = "application/sparql-results+json,application/json,text/javascript,application/javascript"
SPARQLWRAPPER_N3 = "application/turtle,text/turtle,text/rdf+n3,application/n-triples,application/n3,text/n3"


def name(accept, offers):
    chosen = negotiate(accept, offers)
    return None if chosen is None else chosen.name


@pytest.mark.parametrize(
    "accept,expected",
    [
        (None, "json"),
        ("", "json"),
        ("*/*", "json"),
        ("garbage", "json"),  # nothing parseable: as if absent
        ("application/sparql-results+xml", "xml"),
        ("application/xml", "xml"),
        ("text/xml", "xml"),
        ("application/json", "json"),
        ("text/csv", "csv"),
        ("text/tab-separated-values", "tsv"),
        ("text/*", "csv"),  # the first text/* offer
        ("text/*, text/tab-separated-values", "tsv"),  # named beats wildcard at equal q
        ("text/csv;q=0.5, application/sparql-results+xml", "xml"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.4", "csv"),
        ("application/sparql-results+json;q=0, */*", "xml"),  # q=0 excludes, alias or not
        ("text/csv; charset=utf-8", "csv"),
        ("text/csv; charset=iso-8859-1, application/sparql-results+xml;q=0.1", "xml"),  # only UTF-8 is made
        ("TEXT/CSV", "csv"),  # case-insensitive
        (SPARQLWRAPPER_JSON, "json"),
        ("image/png", None),
        ("text/turtle", None),
    ],
)
def test_results_negotiation(accept, expected):
    assert name(accept, RESULTS_FORMATS) == expected


@pytest.mark.parametrize(
    "accept,expected",
    [
        (None, "ttl"),
        ("*/*", "ttl"),
        ("application/rdf+xml", "rdf"),
        ("application/rdf+xml, */*", "rdf"),
        ("application/rdf+xml;q=0.5, text/turtle;q=0.6", "ttl"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "jsonld"),
        ("application/json", "jsonld"),
        ("application/trig", "trig"),
        ("application/n-quads", "nq"),
        ("application/x-turtle", "ttl"),
        (SPARQLWRAPPER_N3, "ttl"),
        ("application/*", "nt"),  # the first application/* offer
        ("application/sparql-results+json", None),
    ],
)
def test_graph_negotiation(accept, expected):
    assert name(accept, GRAPH_FORMATS) == expected


def test_browsers_get_html_where_it_is_offered():
    assert negotiate(BROWSER, (*RESULTS_FORMATS, HTML)) is HTML
    assert negotiate(BROWSER, (*GRAPH_FORMATS, HTML)) is HTML
    assert negotiate("*/*", (*RESULTS_FORMATS, HTML)).name == "json"  # curl
    assert negotiate(BROWSER, RESULTS_FORMATS).name == "xml"  # application/xml;q=0.9


def test_parse_accept_skips_malformed_elements():
    ranges = parse_accept('text/html;q=2, */html, a/b;q=0.5;ext="x,y", text/plain;q=0.123, nonsense, text/csv;q=0.1234')
    assert [(r.type, r.subtype, r.q) for r in ranges] == [("a", "b", 0.5), ("text", "plain", 0.123)]


def test_parameters_after_q_are_extensions():
    (media_range,) = parse_accept("text/turtle;q=0.5;foo=bar")
    assert media_range.params == () and media_range.q == 0.5


def test_quality_most_specific_wins():
    ranges = parse_accept("text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, */*;q=0.5")
    assert quality("text/plain", ranges) == (0.7, 2)
    assert quality("text/csv", ranges) == (0.3, 1)
    assert quality("image/png", ranges) == (0.5, 0)
    assert quality("image/png", parse_accept("text/*")) == (0.0, -1)


@pytest.mark.parametrize(
    "values,expected",
    [
        (["json"], "json"),
        (["srj"], "json"),
        (["xml"], "xml"),
        (["csv"], "csv"),
        (["tsv"], "tsv"),
        (["application/sparql-results+json"], "json"),
        (["text/csv; charset=utf-8"], "csv"),
        (["tsv", "text/tab-separated-values"], "tsv"),  # SPARQLWrapper's pair
        (["", "xml"], "xml"),
        ([" JSON "], "json"),
    ],
)
def test_format_parameter_for_results(values, expected):
    assert from_parameter(values, RESULTS_FORMATS).name == expected


@pytest.mark.parametrize(
    "values,expected",
    [
        (["ttl"], "ttl"),
        (["turtle"], "ttl"),
        (["n3"], "ttl"),
        (["nt"], "nt"),
        (["ntriples"], "nt"),
        (["jsonld"], "jsonld"),
        (["json-ld", "application/ld+json"], "jsonld"),
        (["json"], "jsonld"),
        (["rdf"], "rdf"),
        (["rdfxml"], "rdf"),
        (["rdf+xml", "application/rdf+xml"], "rdf"),
        (["xml"], "rdf"),
        (["trig"], "trig"),
        (["nq"], "nq"),
        (["nquads"], "nq"),
        (["text/turtle"], "ttl"),
    ],
)
def test_format_parameter_for_graphs(values, expected):
    assert from_parameter(values, GRAPH_FORMATS).name == expected


def test_no_format_parameter():
    assert from_parameter([], RESULTS_FORMATS) is None
    assert from_parameter(["", " "], RESULTS_FORMATS) is None


def test_unoffered_format_parameter_lists_the_offers():
    with pytest.raises(NotAcceptable) as raised:
        from_parameter(["ttl"], RESULTS_FORMATS)
    message = str(raised.value)
    for offer in RESULTS_FORMATS:
        assert offer.media_type in message and f"format={offer.name}" in message


def test_choose_prefers_the_format_parameter_to_accept():
    assert choose("text/csv", ["xml"], RESULTS_FORMATS).name == "xml"
    assert choose("text/csv", [], RESULTS_FORMATS).name == "csv"
    with pytest.raises(NotAcceptable) as raised:
        choose("image/png", [], GRAPH_FORMATS)
    assert "text/turtle" in str(raised.value) and "image/png" in str(raised.value)


def test_content_types_name_utf8_for_text():
    assert RESULTS_FORMATS[2].content_type == "text/csv; charset=utf-8"
    assert RESULTS_FORMATS[0].content_type == "application/sparql-results+json"
    assert GRAPH_FORMATS[0].content_type == "text/turtle; charset=utf-8"
