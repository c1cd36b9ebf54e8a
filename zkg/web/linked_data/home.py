"""The way in: the home page (what the graph holds, its sources, where to start), label
search (``/search?q=``, HTML or JSON) and whole-dataset dumps (``/dumps/zkg.trig.gz``,
``/dumps/zkg.nq.gz``).

The home page's counts and the search index are computed once per dataset version
(:func:`zkg.web.http_caching.per_version`), the dumps kept in ``app.extensions["zkg.home"]``
until a write changes the version.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, render_template, request

from zkg.linked_data.dumps import DUMP_FORMATS, GZIP_MEDIA_TYPE, DumpCache, dump_format_for
from zkg.linked_data.facts import readable_name
from zkg.linked_data.labels import choose_label, fetch_label_candidates
from zkg.linked_data.search import MAX_QUERY_LENGTH
from zkg.rdf.negotiation import HTML, Format, NotAcceptable, choose
from zkg.web.http_caching import conditional, label_index, per_version
from zkg.web.security import PAGE_SECURITY_POLICY
from zkg.web.urls import curie, editor_url, link, model_page_url, request_languages

home_blueprint = Blueprint("home", __name__, template_folder="../templates")

SEARCH_JSON = Format("json", "application/json", "JSON", (), ())
SEARCH_OFFERS = (HTML, SEARCH_JSON)
SEARCH_LIMIT, SEARCH_MAX_LIMIT = 20, 100
ENTRY_POINTS = 8


def _state() -> dict:
    state = current_app.extensions.get("zkg.home")
    if state is None:
        store = current_app.config["ZKG_STORE"]
        state = current_app.extensions.setdefault(
            "zkg.home",
            {
                "dumps": DumpCache(store),
            },
        )
    return state


# -- the home page ----------------------------------------------------------------------------


def summarise(store) -> dict:
    """What the home page says about the data: counts by class, sources, entry points."""
    entities = store.base_iri + "id/"
    classes = [
        (row["class"].value, int(row["n"].value))
        for row in store.query(f"""
        SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a ?class FILTER(STRSTARTS(STR(?s), "{entities}")) }}
        GROUP BY ?class ORDER BY DESC(?n) ?class""")
    ]
    totals = next(
        iter(
            store.query("""
        SELECT (COUNT(*) AS ?quads) (COUNT(DISTINCT ?g) AS ?graphs) WHERE { GRAPH ?g { ?s ?p ?o } }""")
        )
    )
    # The entity count and the most linked entities test each subject's (object's) IRI once
    # per group, not once per statement (HAVING, not FILTER): the same answers, half the time
    # at 1M triples (entities 3.1 s -> 1.6 s, entry points 6.8 s -> 3.3 s in one run).
    entity_count = next(
        iter(
            store.query(f"""
        SELECT (COUNT(*) AS ?n) WHERE {{
          SELECT ?s WHERE {{ ?s ?p ?o }} GROUP BY ?s HAVING(STRSTARTS(STR(?s), "{entities}")) }}""")
        )
    )
    # Sources are what named graphs (not other resources, such as derived figures) come from.
    sources = [
        (row["graph"].value, row["source"].value)
        for row in store.query("""
        SELECT DISTINCT ?graph ?source WHERE {
          ?graph prov:wasDerivedFrom|dcterms:source ?source FILTER(isIRI(?source))
          FILTER EXISTS { GRAPH ?graph { ?s ?p ?o } }
        } ORDER BY ?source ?graph""")
    ]
    about = [
        row["e"].value
        for row in store.query("""
        SELECT DISTINCT ?e WHERE {
          ?graph prov:wasDerivedFrom|dcterms:source ?doc . ?doc schema:about ?e FILTER(isIRI(?e))
          FILTER EXISTS { GRAPH ?graph { ?s ?p ?o } }
        } ORDER BY ?e""")
    ]
    linked = [
        row["e"].value
        for row in store.query(f"""
        SELECT ?e (COUNT(*) AS ?n) WHERE {{ ?s ?p ?e }}
        GROUP BY ?e HAVING(isIRI(?e) && STRSTARTS(STR(?e), "{entities}")) ORDER BY DESC(?n) ?e LIMIT {ENTRY_POINTS * 2}""")
    ]
    entry_points = list(dict.fromkeys(about + linked))[:ENTRY_POINTS]
    return {
        "classes": classes,
        "quads": int(totals["quads"].value),
        "graphs": int(totals["graphs"].value),
        "entities": int(entity_count["n"].value),
        "sources": sources,
        "entry_points": entry_points,
    }


def _labels(store, iris, languages) -> dict[str, str]:
    candidates = fetch_label_candidates(store, set(iris))
    return {i: choose_label(candidates.get(i, ()), languages) or readable_name(i) for i in iris}


@home_blueprint.route("/", methods=["GET", "HEAD"])
def home():
    store = current_app.config["ZKG_STORE"]
    languages = request_languages()

    def build() -> Response:
        summary = per_version("zkg.home.summary", summarise, store)
        mentioned = [c for c, _n in summary["classes"]] + summary["entry_points"]
        mentioned += [i for pair in summary["sources"] for i in pair]
        entry_types = _types(store, summary["entry_points"])
        mentioned += [t for ts in entry_types.values() for t in ts]
        labels = _labels(store, mentioned, languages)
        chips = {iri: list(dict.fromkeys(labels[t] for t in ts)) for iri, ts in entry_types.items()}
        html = render_template(
            "home.html",
            summary=summary,
            labels=labels,
            link=link,
            chips=chips,
            curie=curie,
            dumps=[(f.file_name, f.media_type) for f in DUMP_FORMATS.values()],
            example_query_url=editor_url(
                "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n)"
            ),
            vocabulary_url=link(store.base_iri + "def/"),
            model_url=model_page_url,
        )
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = PAGE_SECURITY_POLICY
        return response

    return conditional(("home", *languages), build, vary=("Accept-Language",))


# -- search -----------------------------------------------------------------------------------


def _types(store, iris: list[str]) -> dict[str, list[str]]:
    if not iris:
        return {}
    values = " ".join(str(ox.NamedNode(i)) for i in iris)
    found: dict[str, list[str]] = {}
    for row in store.query(
        f"SELECT DISTINCT ?s ?t WHERE {{ VALUES ?s {{ {values} }} ?s a ?t FILTER(isIRI(?t)) }} ORDER BY ?t"
    ):
        found.setdefault(row["s"].value, []).append(row["t"].value)
    return found


def _types_shown(store, index, iris: list[str], languages) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The types of search hits and the types' labels: from the label index when it keeps
    them (the search file: no engine query per search), else from the store."""
    types = index.types_of(iris)
    if types is None:
        types = _types(store, iris)
    wanted = {t for ts in types.values() for t in ts}
    candidates = index.label_candidates(wanted)
    if candidates is None:
        return types, _labels(store, wanted, languages)
    return types, {t: choose_label(candidates.get(t, ()), languages) or readable_name(t) for t in wanted}


def _absolute(url: str) -> str:
    return request.host_url.rstrip("/") + url if url.startswith("/") else url


@home_blueprint.route("/search", methods=["GET", "HEAD"])
def search():
    store = current_app.config["ZKG_STORE"]
    query = request.args.get("q", "")
    if len(query) > MAX_QUERY_LENGTH:
        return Response(
            f"q is longer than {MAX_QUERY_LENGTH} characters ({len(query)}): search for a name\n",
            status=400,
            mimetype="text/plain",
        )
    try:
        chosen = choose(request.headers.get("Accept"), request.args.getlist("format"), SEARCH_OFFERS)
        limit = max(1, min(int(request.args.get("limit", SEARCH_LIMIT)), SEARCH_MAX_LIMIT))
    except NotAcceptable as error:
        return Response(error.message + "\n", status=406, mimetype="text/plain")
    except ValueError:
        return Response(f"limit must be a number from 1 to {SEARCH_MAX_LIMIT}\n", status=400, mimetype="text/plain")
    languages = request_languages()

    def build() -> Response:
        index = label_index(store)
        hits = index.search(query, limit=limit, languages=languages)
        types, type_labels = _types_shown(store, index, [h.iri for h in hits], languages)
        if chosen is SEARCH_JSON:
            return jsonify(
                {
                    "query": query,
                    "results": [
                        {
                            "iri": h.iri,
                            "label": h.label,
                            "matched": h.matched,
                            "language": h.language,
                            "match": h.match,
                            "score": h.score,
                            "description": h.description,
                            "page": _absolute(link(h.iri)),
                            "types": [{"iri": t, "label": type_labels[t]} for t in types.get(h.iri, [])],
                        }
                        for h in hits
                    ],
                }
            )
        # One chip per type name: org:Organization and schema:Organization both read "Organization".
        chips = {iri: list(dict.fromkeys(type_labels[t] for t in ts)) for iri, ts in types.items()}
        html = render_template("search.html", query=query, hits=hits, chips=chips, link=link)
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = PAGE_SECURITY_POLICY
        return response

    return conditional(
        ("search", query, str(limit), chosen.name, *languages), build, vary=("Accept", "Accept-Language"), cache=True
    )


# -- dumps ------------------------------------------------------------------------------------


def dump(name: str):
    dump_format = dump_format_for(name)
    built = _state()["dumps"].get(dump_format.name)

    def build() -> Response:
        response = Response(built.read(), mimetype=GZIP_MEDIA_TYPE)
        response.headers["Content-Disposition"] = f'attachment; filename="{dump_format.file_name}"'
        return response

    return conditional(("dump", name), build, version=built.version)


# One rule per dump, without arguments: the VoID description (zkg.web.sparql.service) lists every
# argument-less route ending in .gz as a void:dataDump.
def _dump_view(file_name: str):
    def view():
        return dump(file_name)

    return view


for _dump_format in DUMP_FORMATS.values():
    home_blueprint.add_url_rule(
        f"/dumps/{_dump_format.file_name}",
        f"dump_{_dump_format.name}",
        _dump_view(_dump_format.file_name),
        methods=["GET", "HEAD"],
    )
