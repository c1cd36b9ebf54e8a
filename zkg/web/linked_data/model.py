"""The model guide on the site: how to query zkg, learnt from the site itself.

- ``/def/`` (the vocabulary's own IRI; :mod:`zkg.web.linked_data.entities` hands its page here):
  the guide. The naming model; one section per class the data uses, with the properties its
  shapes require and allow (CURIE, label, what the value must be, cardinality, severity, a
  real example, how many entities have it) and the properties used beyond them; every
  property; every code list with its concepts; a diagram of the classes and the properties
  linking them; how the statistics and the provenance are modelled, each with a ready query.
  Its data twins are those of every IRI (``/data/def/.ttl`` …).
- ``/model/<curie>``: one term's page (a class, a property or a code list, from any
  vocabulary: ``/model/schema:Person``, ``/model/zkg:Bid``); ``?format=ttl`` … gives what the
  graph says about it.
- ``/model/<curie>/instances``: every instance of a class, by label, 100 a page; as JSON with
  ``?format=json`` or ``Accept: application/json``.

Everything comes from :func:`zkg.linked_data.model_guide.model_guide`, one per dataset
version, so a curator's change to the vocabulary or the shapes shows at once.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, render_template, request
from markupsafe import Markup

from zkg.linked_data.describe import describe
from zkg.linked_data.documents import FORMATS, format_by_name, serialize_description
from zkg.linked_data.labels import labels_for
from zkg.linked_data.model_diagram import DiagramClass, class_diagram
from zkg.linked_data.model_guide import ModelGuide, preference
from zkg.linked_data.terms import term_info
from zkg.rdf.negotiation import HTML, Format, NotAcceptable, choose
from zkg.rdf.prefixes import VOCABULARY_PATH
from zkg.web.http_caching import conditional, model_guide_of
from zkg.web.responses import plain
from zkg.web.security import PAGE_SECURITY_POLICY
from zkg.web.urls import curie, data_url, editor_url, link, model_page_url, page_url, request_languages

model_blueprint = Blueprint("model", __name__, template_folder="../templates")

INSTANCES_PER_PAGE = 100
DIAGRAM_CLASSES = 10  # the most linked; the table beside the diagram lists every link
LIST_JSON = Format("json", "application/json", "JSON", (), ())

#: The ready queries of the guide's modelling sections; tests run them.
STATISTICS_QUERY = """SELECT ?dataset ?indicator ?period ?value ?unit ?printed WHERE {
  ?observation a qb:Observation ; qb:dataSet ?dataset ;
      zkg:indicator/skos:prefLabel ?indicator ; sdmx-dimension:refPeriod ?period ;
      zkg:transformation transformation:level ; sdmx-measure:obsValue ?value ;
      zkg:unit/skos:notation ?unit .
  OPTIONAL { ?observation zkg:valueAsPrinted ?printed }
  FILTER (langMatches(lang(?indicator), "en"))
}
ORDER BY ?dataset ?indicator ?period"""

PROVENANCE_QUERY = """# Who says that Z-Park was founded in 1988, and where they said it
SELECT ?graph ?source ?published WHERE {
  GRAPH ?graph { id:z-park schema:foundingDate ?founded }
  ?graph prov:wasDerivedFrom ?source .
  OPTIONAL { ?source schema:datePublished ?published }
}"""


DISAGREEMENTS_QUERY = """# Figures the sources give differently: each with its period, its source and the source's date
SELECT ?indicator ?subject ?period ?value ?printed ?source ?published WHERE {
  {
    SELECT ?i ?subject ?unit WHERE {
      GRAPH ?g { ?o zkg:indicator ?i ; zkg:refSubject ?subject ; zkg:unit ?unit ;
                    zkg:transformation transformation:level ; sdmx-measure:obsValue ?v }
      FILTER NOT EXISTS { ?o prov:wasDerivedFrom ?figures }
    }
    GROUP BY ?i ?subject ?unit
    HAVING (COUNT(DISTINCT ?g) > 1 && COUNT(DISTINCT ?v) > 1)
  }
  GRAPH ?graph {
    ?observation zkg:indicator ?i ; zkg:refSubject ?subject ; zkg:unit ?unit ;
        zkg:transformation transformation:level ; sdmx-measure:obsValue ?value ;
        sdmx-dimension:refPeriod ?period ; zkg:valueAsPrinted ?printed
  }
  ?graph prov:wasDerivedFrom ?source .
  OPTIONAL { ?source schema:datePublished ?published }
  ?i skos:prefLabel ?indicator FILTER (langMatches(lang(?indicator), "en"))
}
ORDER BY ?indicator ?subject ?period"""


def _store():
    return current_app.config["ZKG_STORE"]


def anchor(iri: str) -> str:
    """The guide's anchor of a class or list: ``schema:Person`` → ``schema-Person``, an IRI of
    zkg without a prefix by its path (``{base}code/role`` → ``code-role``)."""
    short = curie(iri)
    if short.startswith("<") and iri.startswith(_store().base_iri):
        short = iri[len(_store().base_iri) :]
    return re.sub(r"[^A-Za-z0-9_-]+", "-", short.strip("<>")).strip("-")


def _html(template: str, **context) -> Response:
    response = Response(render_template(template, **context), mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_SECURITY_POLICY
    return response


def _common(guide: ModelGuide, languages: list[str]) -> dict:
    return {
        "guide": guide,
        "labels": guide.labels(languages),
        "comments": guide.comments(languages),
        "curie": curie,
        "link": link,
        "model_url": model_page_url,
        "anchor": anchor,
        "value_text": value_text,
    }


def value_text(term, labels: dict[str, str]) -> str:
    """An example value as text: an IRI by its label (else its CURIE), a literal as written."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return labels.get(term.value) or curie(term.value)
    return term.value


# -- the guide: /def/ ---------------------------------------------------------------------------


def guide_page(languages: list[str], *, alternates: str) -> Response:
    """The page of ``{base}def/``: the whole guide."""
    store = _store()

    def build() -> Response:
        guide = model_guide_of(store)
        context = _common(guide, languages)
        labels = context["labels"]
        ontology = store.base_iri + VOCABULARY_PATH
        about = labels_for(store, [ontology], languages)
        classes = sorted(guide.classes, key=lambda c: (preference(c.iri, store.base_iri), labels[c.iri].lower()))
        main = _diagram_classes(guide)
        diagram = class_diagram(
            [
                DiagramClass(c.iri, labels[c.iri], curie(c.iri), "#" + anchor(c.iri), c.instances)
                for c in guide.classes
                if c.iri in main
            ],
            [(k.source, curie(k.prop), k.target) for k in guide.links],
        )
        return _html(
            "model_guide.html",
            **context,
            ontology=ontology,
            title=about[ontology],
            classes=classes,
            diagram=Markup(diagram),
            statistics_query=STATISTICS_QUERY,
            statistics_url=editor_url(STATISTICS_QUERY),
            provenance_query=PROVENANCE_QUERY,
            provenance_url=editor_url(PROVENANCE_QUERY),
            disagreements_query=DISAGREEMENTS_QUERY,
            disagreements_url=editor_url(DISAGREEMENTS_QUERY),
            datasets=_datasets(store, guide),
            twins=[(f.label, data_url(ontology, f.name), f.media_type) for f in FORMATS.values()],
        )

    return conditional(
        ("model-guide", *languages), build, vary=("Accept-Language",), cache=True, headers={"Link": alternates}
    )


def _diagram_classes(guide: ModelGuide) -> set[str]:
    """The classes in the picture: those with links, the most linked first."""
    degree: dict[str, int] = {}
    for k in guide.links:
        degree[k.source] = degree.get(k.source, 0) + 1
        degree[k.target] = degree.get(k.target, 0) + 1
    return set(sorted(degree, key=lambda c: (-degree[c], c))[:DIAGRAM_CLASSES])


def _datasets(store, guide: ModelGuide) -> list[dict]:
    """The Data Cube data sets, each with its structure's dimensions, measures and attributes."""
    found: dict[str, dict] = {}
    for row in store.query("""
        SELECT ?dataset ?structure ?kind ?component (COUNT(DISTINCT ?obs) AS ?n) WHERE {
          ?dataset a qb:DataSet ; qb:structure ?structure .
          OPTIONAL { ?obs qb:dataSet ?dataset }
          OPTIONAL {
            ?structure qb:component ?spec .
            { ?spec qb:dimension ?component BIND("dimension" AS ?kind) }
            UNION { ?spec qb:measure ?component BIND("measure" AS ?kind) }
            UNION { ?spec qb:attribute ?component BIND("attribute" AS ?kind) }
          }
        } GROUP BY ?dataset ?structure ?kind ?component ORDER BY ?dataset ?kind ?component"""):
        entry = found.setdefault(
            row["dataset"].value,
            {"iri": row["dataset"].value, "structure": row["structure"].value, "observations": 0, "components": []},
        )
        entry["observations"] = max(entry["observations"], int(row["n"].value))
        if row["component"] is not None:
            entry["components"].append((row["kind"].value, row["component"].value))
    mentioned = {d["iri"] for d in found.values()} | {c for d in found.values() for _k, c in d["components"]}
    names = labels_for(store, mentioned | {d["structure"] for d in found.values()})
    for entry in found.values():
        entry["label"] = names[entry["iri"]]
        entry["structure_label"] = names[entry["structure"]]
        entry["components"] = [(kind, iri, names[iri]) for kind, iri in entry["components"]]
    return list(found.values())


# -- one term: /model/<curie> ---------------------------------------------------------------------


def _term_iri(name: str) -> str | None:
    prefix, colon, local = name.partition(":")
    namespace = _store().prefixes.get(prefix) if colon else None
    return namespace + local if namespace is not None and local and not re.search(r"[\s<>\"{}|\\^`]", local) else None


@model_blueprint.route("/model/<path:name>", methods=["GET", "HEAD"])
def term(name: str):
    if name.endswith("/instances"):
        return instances(name[: -len("/instances")])
    iri = _term_iri(name)
    if iri is None:
        return plain(f"no term {name!r}: use a prefixed name such as schema:Person (the prefixes: /sparql)", 404)
    store = _store()
    guide = model_guide_of(store)
    languages = request_languages()
    info = term_info(store, iri, store.base_iri, languages)
    cls, prop, code_list = guide.class_guide(iri), guide.property_use(iri), guide.code_list(iri)
    if not info.kinds and not info.shapes and cls is None and prop is None and code_list is None:
        return plain(f"zkg neither declares nor uses {name}, and no shape mentions it", 404)
    wanted = request.args.get("format")
    if wanted and wanted.lower() not in ("html", "text/html"):
        document_format = format_by_name(wanted)
        if document_format is None:
            return plain(f"no format {wanted!r}: use one of " + ", ".join(FORMATS) + " (or html)", 406)

        def data() -> Response:
            body = serialize_description(describe(store, iri), document_format, store.prefixes)
            return Response(body, content_type=document_format.content_type)

        return conditional(("model-term", iri, document_format.name), data, cache=True)

    def build() -> Response:
        context = _common(guide, languages)
        labels = {**info.labels, **context["labels"]}
        return _html(
            "model_term.html",
            **{**context, "labels": labels},
            iri=iri,
            info=info,
            cls=cls,
            prop=prop,
            code_list=code_list,
            own_page=page_url(iri),
            instances_url=model_page_url(iri) + "/instances",
            ontology=store.base_iri + VOCABULARY_PATH,
            query_url=editor_url(
                f"SELECT ?entity ?label WHERE {{ ?entity a {curie(iri)} OPTIONAL {{ ?entity rdfs:label ?label }} }} "
                "LIMIT 100"
                if cls is not None
                else f"SELECT ?subject ?value WHERE {{ ?subject {curie(iri)} ?value }} LIMIT 100"
            ),
        )

    return conditional(("model-term", iri, *languages), build, vary=("Accept-Language",), cache=True)


def instances(name: str):
    iri = _term_iri(name)
    if iri is None:
        return plain(f"no class {name!r}: use a prefixed name such as schema:Person", 404)
    try:
        chosen = choose(request.headers.get("Accept"), request.args.getlist("format"), (HTML, LIST_JSON))
        page = int(request.args.get("page", "1"))
        if page < 1:
            raise ValueError
    except NotAcceptable as error:
        return plain(error.message, 406)
    except ValueError:
        return plain("page must be a whole number from 1", 400)
    store = _store()
    guide = model_guide_of(store)
    cls = guide.class_guide(iri)
    if cls is None:
        return plain(f"no entity of zkg is a {name}", 404)
    languages = request_languages()

    def build() -> Response:
        entities = store.base_iri + "id/"
        offset = (page - 1) * INSTANCES_PER_PAGE
        members = [
            row["s"].value
            for row in store.query(
                f'SELECT DISTINCT ?s WHERE {{ ?s a {ox.NamedNode(iri)} FILTER(STRSTARTS(STR(?s), "{entities}")) }} '
                f"ORDER BY ?s LIMIT {INSTANCES_PER_PAGE} OFFSET {offset}"
            )
        ]
        names = labels_for(store, members + [iri], languages)
        pages = max(1, -(-cls.instances // INSTANCES_PER_PAGE))
        if chosen is LIST_JSON:
            return jsonify(
                {
                    "class": iri,
                    "curie": curie(iri),
                    "label": names[iri],
                    "instances": cls.instances,
                    "page": page,
                    "pages": pages,
                    "items": [{"iri": m, "label": names[m], "page": link(m)} for m in members],
                }
            )
        return _html(
            "model_instances.html",
            iri=iri,
            cls=cls,
            label=names[iri],
            members=sorted(members, key=lambda m: names[m].lower()),
            names=names,
            page=page,
            pages=pages,
            curie=curie,
            link=link,
            model_url=model_page_url,
        )

    return conditional(
        ("model-instances", iri, str(page), chosen.name, *languages),
        build,
        vary=("Accept", "Accept-Language"),
        cache=True,
    )
