"""Vocabulary guards: SPARQL queries over the loaded graph that must find nothing.

In the manner of schema.org's own data checks, each guard is one SELECT that lists offending
terms or triples; the graph passes when every guard returns no rows. The guards:

- every class and property used anywhere is declared in ontology/ (graph:vocabulary) under
  the project's namespace, or is a term of a reused vocabulary: rdflib's bundled
  DefinedNamespaces (schema.org https, ORG, PROV, Dublin Core terms, SKOS, Data Cube, RDF,
  RDFS, OWL, XSD, VoID, DCAT, FOAF, SHACL), checked term by term, or an SDMX-RDF term in
  tests/conformance/data/reused-sdmx-terms.txt; nothing is declared in someone else's namespace unless it
  exists there;
- every own term (under {base}def/) has an English rdfs:label and rdfs:comment and
  rdfs:isDefinedBy the zkg vocabulary;
- every own property's domain and range, and every own term's super-class or super-property,
  is a declared or reused class (a datatype for ranges) or property;
- every reused class and property the data or the vocabulary uses, or the shapes name (target,
  require with sh:class, or constrain on a path), has an English rdfs:label and rdfs:comment and
  rdfs:isDefinedBy its vocabulary (ontology/reused.ttl), but for the terms that only build the
  vocabulary (OWL, SHACL, XSD, rdfs:domain…);
- no http://schema.org/ IRI anywhere (the project uses https://schema.org/);
- every skos:Concept is in a declared scheme and has one English prefLabel;
- every value of a coded property (org:role, zkg:organizationKind, zkg:indicator, zkg:unit,
  zkg:transformation, zkg:category, any qb:codeList dimension) is a concept of its scheme;
- every entity under {base}id/ has an English label;
- the one naming model: SKOS labels only on codes and code lists; an entity's name in another
  language is a schema:name (or alternateName), so a name query finds what a page shows;
- every own IRI used as an object is described somewhere (no dangling links).

A reused term counts as a class when its local name starts with a capital letter and as a
property otherwise: the convention of all the reused vocabularies.

Each guard is shown to bite: a copy of the graph with one bad triple injected makes it report
exactly that triple's term.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import pytest
from rdflib import namespace as rdflib_namespaces

from tests.support import sparql_testing

HERE = Path(__file__).resolve().parent

# rdflib's DefinedNamespaces, kept out of the module's globals: pytest inspects module
# attributes, and the open ones (SDO, XSD, DCAT) warn on every unknown attribute asked of them.
REUSED_NAMESPACES = tuple(
    getattr(rdflib_namespaces, name)
    for name in (
        "SDO",
        "ORG",
        "PROV",
        "DCTERMS",
        "SKOS",
        "QB",
        "RDF",
        "RDFS",
        "OWL",
        "XSD",
        "VOID",
        "DCAT",
        "FOAF",
        "SH",
    )
)
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SCHEMA_NS = "https://schema.org/"
ORG_NS = "http://www.w3.org/ns/org#"


@lru_cache(maxsize=1)
def sdmx_terms() -> frozenset[str]:
    lines = (HERE / "reused-sdmx-terms.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


def is_reused(iri: str) -> bool:
    """A term of one of the reused vocabularies (not merely an IRI in its namespace)."""
    if iri in sdmx_terms():
        return True
    return any(iri.startswith(str(ns)) and iri in ns for ns in REUSED_NAMESPACES)


def is_reused_class(iri: str) -> bool:
    return is_reused(iri) and local_name(iri)[:1].isupper()


def is_reused_property(iri: str) -> bool:
    return is_reused(iri) and local_name(iri)[:1].islower()


def is_datatype(iri: str) -> bool:
    if iri in (RDFS_NS + "Literal", RDF_NS + "langString"):
        return True
    return iri.startswith(XSD_NS) and is_reused(iri)


# --------------------------------------------------------------------------------------------
# The guards
# --------------------------------------------------------------------------------------------

CLASS_METAS = "owl:Class, rdfs:Class"
# How the shapes name reused terms: the classes they target or require (sh:class, also inside
# an sh:or list), the properties whose subjects or objects they target or that they compare
# with; and every property of a path, reached through alternative, inverse and repeated paths
# and the lists of alternatives and sequences (whose end, rdf:nil, the guard leaves out).
SHAPE_TERM_LINKS = (
    "sh:targetClass|sh:targetSubjectsOf|sh:targetObjectsOf|sh:class"
    "|sh:equals|sh:disjoint|sh:lessThan|sh:lessThanOrEquals"
)
SHAPE_PATH_STEPS = (
    "sh:alternativePath|sh:inversePath|sh:zeroOrMorePath|sh:oneOrMorePath|sh:zeroOrOnePath|rdf:first|rdf:rest"
)
PROPERTY_METAS = (
    "rdf:Property, owl:ObjectProperty, owl:DatatypeProperty, owl:AnnotationProperty, "
    "qb:DimensionProperty, qb:MeasureProperty, qb:AttributeProperty, "
    "qb:ComponentProperty, qb:CodedProperty"
)


@dataclass(frozen=True)
class Guard:
    name: str
    description: str
    sparql: str  # may use {base}; the first variable names the offending term
    allowed: Callable[[dict], bool] | None = None  # rows this returns True for are not violations

    def query(self, base: str) -> str:
        return self.sparql.replace("{base}", base)


def _term(row: dict, name: str = "term") -> str:
    term = row.get(name)
    return term.value if term is not None else ""


GUARDS = [
    Guard(
        "classes-declared-or-reused",
        "every class used is declared in the ontology or is a class of a reused vocabulary",
        f"""
        SELECT DISTINCT ?term ?graph WHERE {{
          GRAPH ?graph {{ ?s a ?term }}
          FILTER NOT EXISTS {{
            GRAPH graph:vocabulary {{ ?term a ?meta }}
            FILTER (?meta IN ({CLASS_METAS}) && STRSTARTS(STR(?term), STR(zkg:)))
          }}
        }}""",
        allowed=lambda row: is_reused_class(_term(row)),
    ),
    Guard(
        "properties-declared-or-reused",
        "every property used is declared in the ontology or is a property of a reused vocabulary",
        f"""
        SELECT DISTINCT ?term ?graph WHERE {{
          GRAPH ?graph {{ ?s ?term ?o }}
          FILTER NOT EXISTS {{
            GRAPH graph:vocabulary {{ ?term a ?meta }}
            FILTER (?meta IN ({PROPERTY_METAS}) && STRSTARTS(STR(?term), STR(zkg:)))
          }}
        }}""",
        allowed=lambda row: is_reused_property(_term(row)),
    ),
    Guard(
        "no-terms-made-up-in-reused-namespaces",
        "the ontology declares classes and properties only in its own namespace, or re-declares existing reused terms",
        f"""
        SELECT DISTINCT ?term ?meta WHERE {{
          GRAPH graph:vocabulary {{ ?term a ?meta }}
          FILTER (?meta IN ({CLASS_METAS}, {PROPERTY_METAS}))
          FILTER (isBlank(?term) || !STRSTARTS(STR(?term), STR(zkg:)))
        }}""",
        allowed=lambda row: is_reused(_term(row)),
    ),
    Guard(
        "own-terms-annotated",
        "every own class and property has an English rdfs:label and rdfs:comment and rdfs:isDefinedBy zkg:",
        f"""
        SELECT DISTINCT ?term ?missing WHERE {{
          {{ GRAPH ?g {{ ?term a ?meta }} FILTER (?meta IN ({CLASS_METAS}, {PROPERTY_METAS})) }}
          UNION {{ GRAPH ?g {{ ?s ?term ?o }} }}
          UNION {{ GRAPH ?g {{ ?s a ?term }} }}
          FILTER (isIRI(?term) && STRSTARTS(STR(?term), STR(zkg:)) && ?term != zkg:)
          VALUES ?missing {{ rdfs:label rdfs:comment rdfs:isDefinedBy }}
          FILTER NOT EXISTS {{
            GRAPH graph:vocabulary {{ ?term ?missing ?value }}
            FILTER (IF(?missing = rdfs:isDefinedBy, ?value = zkg:, langMatches(lang(?value), "en")))
          }}
        }}""",
    ),
    Guard(
        "own-axioms-point-at-known-terms",
        "every own property's domain and range, and every own super-class or super-property, is declared or reused",
        f"""
        SELECT DISTINCT ?target ?term ?axiom WHERE {{
          GRAPH graph:vocabulary {{ ?term ?axiom ?target }}
          VALUES ?axiom {{ rdfs:domain rdfs:range rdfs:subClassOf rdfs:subPropertyOf }}
          FILTER (STRSTARTS(STR(?term), STR(zkg:)))
          FILTER NOT EXISTS {{
            GRAPH graph:vocabulary {{ ?target a ?meta }}
            FILTER (STRSTARTS(STR(?target), STR(zkg:)))
            FILTER (IF(?axiom = rdfs:subPropertyOf, ?meta IN ({PROPERTY_METAS}), ?meta IN ({CLASS_METAS})))
          }}
        }}""",
        allowed=lambda row: (
            is_reused_property(_term(row, "target"))
            if _term(row, "axiom") == RDFS_NS + "subPropertyOf"
            else is_reused_class(_term(row, "target"))
            or (_term(row, "axiom") == RDFS_NS + "range" and is_datatype(_term(row, "target")))
        ),
    ),
    Guard(
        "reused-terms-explained",
        "every reused class and property used outside the shapes or named by them has an English rdfs:label and rdfs:comment and an rdfs:isDefinedBy (ontology/reused.ttl)",
        f"""
        SELECT DISTINCT ?term ?missing WHERE {{
          {{ GRAPH ?g {{ ?s a ?term }} FILTER (?g != graph:shapes) }}
          UNION {{ GRAPH ?g {{ ?s ?term ?o }} FILTER (?g != graph:shapes) }}
          UNION {{ GRAPH graph:shapes {{ ?shape {SHAPE_TERM_LINKS} ?term }} }}
          UNION {{ GRAPH graph:shapes {{ ?shape sh:path/({SHAPE_PATH_STEPS})* ?term }} }}
          FILTER (isIRI(?term) && !STRSTARTS(STR(?term), "{{base}}"))
          FILTER (!STRSTARTS(STR(?term), STR(owl:)) && !STRSTARTS(STR(?term), STR(sh:))
                  && !STRSTARTS(STR(?term), STR(xsd:)))
          FILTER (?term NOT IN (rdf:Property, rdfs:Class, rdfs:domain, rdfs:range, rdfs:subClassOf,
                                rdfs:subPropertyOf, rdfs:isDefinedBy, rdf:nil))
          VALUES ?missing {{ rdfs:label rdfs:comment rdfs:isDefinedBy }}
          FILTER NOT EXISTS {{
            GRAPH graph:vocabulary {{ ?term ?missing ?value }}
            FILTER (IF(?missing = rdfs:isDefinedBy, isIRI(?value), langMatches(lang(?value), "en")))
          }}
        }}""",
    ),
    Guard(
        "no-http-schema-org",
        "no IRI anywhere is in http://schema.org/ (the project uses https://schema.org/)",
        """
        SELECT DISTINCT ?term ?graph ?s ?p ?o WHERE {
          GRAPH ?graph { ?s ?p ?o }
          VALUES ?position { 1 2 3 4 5 }
          BIND (IF(?position = 1, ?s, IF(?position = 2, ?p, IF(?position = 3, ?o,
                IF(?position = 4, ?graph, IF(isLiteral(?o), DATATYPE(?o), ?unbound))))) AS ?term)
          FILTER (isIRI(?term) && STRSTARTS(STR(?term), "http://schema.org/"))
        }""",
    ),
    Guard(
        "concepts-in-a-scheme-with-english-label",
        "every skos:Concept is in a declared concept scheme and has exactly one English prefLabel",
        """
        SELECT DISTINCT ?term ?problem WHERE {
          {
            ?term a skos:Concept .
            FILTER NOT EXISTS { ?term skos:inScheme ?scheme . ?scheme a skos:ConceptScheme }
            BIND ("in no declared scheme" AS ?problem)
          } UNION {
            ?term a skos:Concept .
            FILTER NOT EXISTS { ?term skos:prefLabel ?label FILTER (langMatches(lang(?label), "en")) }
            BIND ("no English prefLabel" AS ?problem)
          } UNION {
            ?term a skos:Concept ; skos:prefLabel ?one, ?two .
            FILTER (langMatches(lang(?one), "en") && langMatches(lang(?two), "en") && ?one != ?two)
            BIND ("two English prefLabels" AS ?problem)
          }
        }""",
    ),
    Guard(
        "coded-values-from-their-scheme",
        "every value of a coded property is a concept of that property's scheme",
        """
        SELECT DISTINCT ?term ?property ?scheme ?subject WHERE {
          {
            VALUES (?property ?scheme) {
              (org:role <{base}code/role>)
              (zkg:organizationKind <{base}code/org-kind>)
              (zkg:category <{base}code/distinction-category>)
              (zkg:indicator <{base}code/indicator>)
              (zkg:unit <{base}code/unit>)
              (zkg:transformation <{base}code/transformation>)
            }
          } UNION {
            ?property qb:codeList ?scheme .
          }
          ?subject ?property ?term .
          FILTER NOT EXISTS { ?term a skos:Concept ; skos:inScheme ?scheme }
        }""",
    ),
    Guard(
        "entities-have-english-labels",
        "every entity under {base}id/ has an English rdfs:label or skos:prefLabel",
        """
        SELECT DISTINCT ?term WHERE {
          GRAPH ?graph { ?term ?p ?o }
          FILTER (isIRI(?term) && STRSTARTS(STR(?term), STR(id:)))
          FILTER NOT EXISTS {
            ?term rdfs:label|skos:prefLabel ?label .
            FILTER (langMatches(lang(?label), "en"))
          }
        }""",
    ),
    Guard(
        "skos-labels-only-on-codes",
        "names of entities are schema:name and schema:alternateName; SKOS labels only on codes and code lists",
        """
        SELECT DISTINCT ?term ?p WHERE {
          VALUES ?p { skos:prefLabel skos:altLabel }
          ?term ?p ?label .
          FILTER NOT EXISTS { ?term a skos:Concept }
          FILTER NOT EXISTS { ?term a skos:ConceptScheme }
        }""",
    ),
    Guard(
        "names-in-other-languages-are-names",
        "a name in another language than English is a schema:name or alternateName, found by a name query",
        """
        SELECT DISTINCT ?term ?p WHERE {
          ?term ?p ?label .
          FILTER (isLiteral(?label) && lang(?label) != "" && !langMatches(lang(?label), "en"))
          FILTER (STRSTARTS(STR(?term), STR(id:)))
          FILTER (?p NOT IN (schema:name, schema:alternateName, rdfs:label))
          FILTER (?p IN (skos:prefLabel, skos:altLabel, skos:hiddenLabel, foaf:name, dcterms:title))
        }""",
    ),
    Guard(
        "no-dangling-links",
        "every IRI under {base}id/, {base}def/ or {base}code/ used as an object is described as a subject",
        """
        SELECT DISTINCT ?term ?graph ?s ?p WHERE {
          GRAPH ?graph { ?s ?p ?term }
          FILTER (isIRI(?term))
          FILTER (STRSTARTS(STR(?term), STR(id:)) || STRSTARTS(STR(?term), STR(zkg:))
                  || STRSTARTS(STR(?term), "{base}code/"))
          FILTER NOT EXISTS { ?term ?anyProperty ?anyValue }
        }""",
    ),
]

GUARDS_BY_NAME = {guard.name: guard for guard in GUARDS}


def violations(kg, guard: Guard) -> list[dict]:
    solutions = kg.select(guard.query(kg.base))
    rows = solutions.rows
    if guard.allowed is not None:
        rows = [row for row in rows if not guard.allowed(row)]
    return rows


def describe(rows: list[dict], kg) -> str:
    prefix_map = sparql_testing.expected_prefixes(kg.base)

    def short(term):
        if term is None:
            return "-"
        if term.kind == "iri":
            for name, ns in sorted(prefix_map.items(), key=lambda p: -len(p[1])):
                if term.value.startswith(ns):
                    return f"{name}:{term.value[len(ns) :]}"
        return str(term)

    return "\n".join("  " + ", ".join(f"{k}={short(v)}" for k, v in row.items()) for row in rows)


@pytest.fixture
def kg(store):
    return sparql_testing.project_kg(store)


@pytest.fixture(scope="module")
def clean_copy():
    return sparql_testing.project_kg(sparql_testing.fresh_store())


@pytest.mark.parametrize("guard", GUARDS, ids=lambda g: g.name)
def test_guard_finds_nothing(guard: Guard, kg):
    found = violations(kg, guard)
    assert not found, f"{guard.description}; violations:\n{describe(found, kg)}"


def test_reused_vocabularies_are_checked_term_by_term():
    assert is_reused_class(SCHEMA_NS + "Organization") and is_reused_property(SCHEMA_NS + "founder")
    assert not is_reused(SCHEMA_NS + "Organisation")  # in the namespace, not a term
    assert not is_reused("http://schema.org/Organization")  # the http namespace is not reused
    assert not is_reused_class(SCHEMA_NS + "name") and not is_reused_property(ORG_NS + "Membership")
    assert is_reused_property("http://purl.org/linked-data/sdmx/2009/dimension#refPeriod")
    assert not is_reused("http://purl.org/linked-data/sdmx/2009/dimension#refPeriode")
    assert is_datatype(XSD_NS + "gYear") and not is_datatype(XSD_NS + "gYeer")
    assert not is_datatype(SCHEMA_NS + "Place")


# One bad triple (or declaration) per guard, inserted into a fresh copy of the graph with
# INSERT DATA (zkg prefixes predeclared, relative IRIs resolved against the base), and the
# term the guard must name. "graph:vocabulary" means a declaration in the ontology.
MUTATIONS = [
    ("classes-declared-or-reused", "graph:test", "id:z-park a schema:Organisation", "https://schema.org/Organisation"),
    ("classes-declared-or-reused", "graph:test", "id:z-park a zkg:SciencePark", "def/SciencePark"),
    ("classes-declared-or-reused", "graph:test", "id:z-park a schema:name", "https://schema.org/name"),
    (
        "properties-declared-or-reused",
        "graph:test",
        'id:z-park schema:foundedIn "1988"',
        "https://schema.org/foundedIn",
    ),
    ("properties-declared-or-reused", "graph:test", "id:z-park zkg:hosts id:iasp", "def/hosts"),
    (
        "properties-declared-or-reused",
        "graph:test",
        "id:z-park org:Organization id:iasp",
        "http://www.w3.org/ns/org#Organization",
    ),
    (
        "no-terms-made-up-in-reused-namespaces",
        "graph:vocabulary",
        'org:administers a owl:ObjectProperty ; rdfs:label "administers"@en',
        "http://www.w3.org/ns/org#administers",
    ),
    (
        "own-terms-annotated",
        "graph:vocabulary",
        'zkg:sponsor a owl:ObjectProperty ; rdfs:label "sponsor"@en ; rdfs:isDefinedBy zkg:',
        "def/sponsor",
    ),
    ("own-terms-annotated", "graph:test", 'id:z-park zkg:nickname "Z-Park"', "def/nickname"),
    ("own-axioms-point-at-known-terms", "graph:vocabulary", "zkg:since rdfs:domain zkg:Activity", "def/Activity"),
    (
        "own-axioms-point-at-known-terms",
        "graph:vocabulary",
        "zkg:host rdfs:range schema:Organisation",
        "https://schema.org/Organisation",
    ),
    (
        "own-axioms-point-at-known-terms",
        "graph:vocabulary",
        "zkg:owns rdfs:subPropertyOf org:Organization",
        "http://www.w3.org/ns/org#Organization",
    ),
    (
        "reused-terms-explained",
        "graph:test",
        'id:z-park schema:slogan "Innovation"@en',
        "https://schema.org/slogan",
    ),
    (
        "reused-terms-explained",
        "graph:test",
        "id:z-park a schema:SportsOrganization",
        "https://schema.org/SportsOrganization",
    ),
    (
        "reused-terms-explained",
        "graph:shapes",
        "<def/shapes/TestShape> a sh:NodeShape ; sh:targetClass schema:Hospital",
        "https://schema.org/Hospital",
    ),
    (
        "reused-terms-explained",
        "graph:shapes",
        "<def/shapes/TestShape> a sh:NodeShape ; sh:property [ sh:path schema:name ; "
        "sh:or ( [ sh:class schema:Person ] [ sh:class schema:SportsTeam ] ) ]",
        "https://schema.org/SportsTeam",
    ),
    (
        "reused-terms-explained",
        "graph:shapes",
        "<def/shapes/TestShape> a sh:PropertyShape ; "
        "sh:path [ sh:alternativePath ( schema:founder [ sh:inversePath schema:alumniOf ] ) ]",
        "https://schema.org/alumniOf",
    ),
    (
        "no-http-schema-org",
        "graph:test",
        "id:z-park a <http://schema.org/Organization>",
        "http://schema.org/Organization",
    ),
    (
        "no-http-schema-org",
        "graph:test",
        'id:z-park schema:foundingDate "1988"^^<http://schema.org/Date>',
        "http://schema.org/Date",
    ),
    (
        "concepts-in-a-scheme-with-english-label",
        "graph:vocabulary",
        '<code/role/mayor> a skos:Concept ; skos:prefLabel "mayor"@en',
        "code/role/mayor",
    ),
    (
        "concepts-in-a-scheme-with-english-label",
        "graph:vocabulary",
        '<code/role/mayor> a skos:Concept ; skos:inScheme <code/role> ; skos:prefLabel "市长"@zh-Hans',
        "code/role/mayor",
    ),
    (
        "coded-values-from-their-scheme",
        "graph:test",
        "id:membership-luo-wei-overseas-arm org:role <code/org-kind/company>",
        "code/org-kind/company",
    ),
    (
        "coded-values-from-their-scheme",
        "graph:test",
        "id:obs-mna-completed-2015 zkg:unit <code/unit/EUR>",
        "code/unit/EUR",
    ),
    (
        "entities-have-english-labels",
        "graph:test",
        'id:haidian-park a schema:Place ; skos:prefLabel "海淀园"@zh-Hans',
        "id/haidian-park",
    ),
    (
        "skos-labels-only-on-codes",
        "graph:test",
        'id:z-park skos:altLabel "Zhongguancun"@en',
        "id/z-park",
    ),
    (
        "names-in-other-languages-are-names",
        "graph:test",
        'id:microsoft skos:prefLabel "微软"@zh-Hans',
        "id/microsoft",
    ),
    ("no-dangling-links", "graph:test", "id:z-park org:linkedTo id:nowhere", "id/nowhere"),
    (
        "no-dangling-links",
        "graph:test",
        "id:z-park zkg:organizationKind <code/org-kind/nowhere>",
        "code/org-kind/nowhere",
    ),
]


def test_every_guard_has_a_mutation():
    assert {mutation[0] for mutation in MUTATIONS} == set(GUARDS_BY_NAME)


@pytest.mark.parametrize(
    "guard_name, graph, triples, culprit",
    MUTATIONS,
    ids=[f"{m[0]}:{m[3].rsplit('/', 1)[-1].rsplit('#', 1)[-1]}" for m in MUTATIONS],
)
def test_guard_catches_injected_error(guard_name: str, graph: str, triples: str, culprit: str, clean_copy):
    guard = GUARDS_BY_NAME[guard_name]
    culprit_iri = culprit if "://" in culprit else clean_copy.base + culprit

    def named(rows):
        return {term.value for row in rows for term in row.values() if term is not None and term.kind == "iri"}

    assert culprit_iri not in named(violations(clean_copy, guard)), "the clean copy already has it"
    mutated = sparql_testing.project_kg(sparql_testing.fresh_store(f"INSERT DATA {{ GRAPH {graph} {{ {triples} }} }}"))
    found = violations(mutated, guard)
    assert culprit_iri in named(found), f"{guard.name} missed {culprit_iri}; found:\n{describe(found, mutated)}"


# -- the one naming model, as a researcher queries it ---------------------------------------------


def test_the_names_a_page_shows_are_found_by_a_name_query(kg):
    """The query a researcher writes for Chinese names (issue 15) finds every Chinese name the
    pages show: they are schema:name, in the language they are in."""
    rows = kg.select('SELECT ?x ?n WHERE { ?x schema:name|rdfs:label ?n FILTER(langMatches(lang(?n), "zh")) }').rows
    found = {(row["x"].value.rsplit("/", 1)[-1], row["n"].value) for row in rows}
    assert ("z-park", "中关村科技园区") in found and ("zhang-shousheng", "张首晟") in found
    every_chinese = kg.select(
        "SELECT DISTINCT ?x ?n WHERE { ?x ?p ?n FILTER(isIRI(?x) && STRSTARTS(STR(?x), STR(id:)) "
        '&& langMatches(lang(?n), "zh")) }'
    ).rows
    assert {(row["x"].value.rsplit("/", 1)[-1], row["n"].value) for row in every_chinese} == found
    assert len(found) >= 9
