"""A new entity as the form of :mod:`zkg.curation.entity_form` sends it, read as statements.

The form's names, per field ``K`` (the property's CURIE, ``schema:foundingDate``; for a choice
of properties, a slug of the shape's name, ``related-organisation``) and value slot ``N`` (a field allowing several values has
several slots):

==================  ====================================================================
``name``            the entity's name (written as ``rdfs:label`` and ``schema:name``)
``name.lang``       its language tag (``en``, ``zh-Hans``; empty: none)
``iri``             the local name of its IRI, under ``{base}id/`` (minted from the name
                    when empty; it must be free)
``K.N``             a value: a text, a number, a date, a code's IRI, an entity (its IRI, its
                    CURIE, ``Label <IRI>`` as the picker fills it, or its exact name)
``K.N.lang``        the language of a text value
``K.N.prop``        which property, where the field is a choice of properties
``K.N.new``         a class: the value is the name of an entity to create in the same change
                    (named in the language of ``name.lang``)
==================  ====================================================================

:func:`read_draft` gathers every problem it finds per field (``problems``: field key, or
``name``/``iri`` → messages) instead of stopping at the first, so the form can show each
beside its field; nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from zkg.base.errors import ZkgError
from zkg.curation.changesets import AGENT_PATH, slug
from zkg.curation.entity_form import CODE, DATE, ENTITY, NUMBER, TEXT, EntityForm, Field
from zkg.rdf.namespaces import RDF, RDFS, SCHEMA, XSD

MAX_SLOTS = 20  # values per field a form may send
LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
LOCAL_NAME = re.compile(r"^[\w][\w.-]*$", re.UNICODE)
DATE_FORMS = ((r"\d{4}-\d{2}-\d{2}", "date"), (r"\d{4}-\d{2}", "gYearMonth"), (r"\d{4}", "gYear"))


class DraftProblem(ZkgError):
    """A value that cannot be read (the field's message says what to write instead)."""


@dataclass
class Draft:
    """What the form says: the new entity's IRI, its statements, and what could not be read."""

    iri: str
    name: str
    language: str = "en"  # of the name; an entity made alongside is named in it too
    statements: list[ox.Quad] = field(default_factory=list)  # no graph: the changeset's own
    problems: dict[str, list[str]] = field(default_factory=dict)
    created: dict[str, str] = field(default_factory=dict)  # IRI of an entity made alongside -> field key

    def problem(self, key: str, message: str) -> None:
        self.problems.setdefault(key, []).append(message)


def read_draft(
    store,
    form: EntityForm,
    values: Mapping[str, str],
    *,
    find: Callable[[str], ox.NamedNode],
    is_free: Callable[[str], bool],
) -> Draft:
    """The draft of a new ``form.cls`` from the form's ``values`` (a mapping of the names
    above to strings). ``find`` resolves what was typed for an entity (raising
    :class:`DraftProblem` or another ZkgError with a message); ``is_free`` says whether an
    IRI is unused in the store."""
    base = store.base_iri
    name = (values.get("name") or "").strip()
    name_language = (values.get("name.lang") or "").strip()
    local = (values.get("iri") or "").strip() or slug(name)
    draft = Draft(iri=base + "id/" + local, name=name, language=name_language)
    if not name:
        draft.problem("name", "give the name, as the source prints it")
    if name_language and not LANGUAGE_TAG.match(name_language):
        draft.problem("name", f"{name_language!r} is not a language tag (write en, zh-Hans, …)")
    if not local or not LOCAL_NAME.match(local) or local.startswith(AGENT_PATH[3:]):
        draft.problem(
            "iri", f"{local!r} cannot end an IRI here: use letters, digits, - and . (e.g. {slug(name) or 'lenovo'})"
        )
    elif not is_free(draft.iri):
        draft.problem("iri", f"{draft.iri} is already used: choose another ending (e.g. {local}-2)")
    subject = ox.NamedNode(draft.iri) if "iri" not in draft.problems else ox.NamedNode(base + "id/draft")
    draft.statements.append(ox.Quad(subject, ox.NamedNode(RDF + "type"), ox.NamedNode(form.cls)))
    if name:
        draft.statements += _names(subject, name, name_language)
    taken = {draft.iri}
    for found in form.fields:
        slots = [n for n in range(MAX_SLOTS) if (values.get(f"{found.key}.{n}") or "").strip()]
        if found.required and not slots:
            draft.problem(found.key, f"{found.label} is required: give at least {found.min_count}")
        if found.max_count is not None and len(slots) > found.max_count:
            draft.problem(found.key, f"{found.label} takes at most {found.max_count} value(s); {len(slots)} given")
        for n in slots:
            prefix = f"{found.key}.{n}"
            try:
                predicate = _predicate(found, values.get(prefix + ".prop") or "")
                value = _value(store, found, values, prefix, find, draft, taken)
            except ZkgError as error:
                draft.problem(found.key, error.message)
                continue
            draft.statements.append(ox.Quad(subject, predicate, value))
    return draft


def _names(subject: ox.NamedNode, name: str, language: str) -> list[ox.Quad]:
    literal = ox.Literal(name, language=language) if language else ox.Literal(name)
    return [
        ox.Quad(subject, ox.NamedNode(RDFS + "label"), literal),
        ox.Quad(subject, ox.NamedNode(SCHEMA + "name"), literal),
    ]


def _predicate(found: Field, chosen: str) -> ox.NamedNode:
    if len(found.paths) == 1:
        return ox.NamedNode(found.paths[0])
    if chosen not in found.paths:
        raise DraftProblem(f"choose which relation ({found.label}): one of the list")
    return ox.NamedNode(chosen)


def _value(store, found: Field, values, prefix: str, find, draft: Draft, taken: set[str]):
    text = (values.get(prefix) or "").strip()
    if found.kind == TEXT:
        language = (values.get(prefix + ".lang") or "").strip()
        if language and not LANGUAGE_TAG.match(language):
            raise DraftProblem(f"{language!r} is not a language tag (write en, zh-Hans, …)")
        return ox.Literal(text, language=language) if language else ox.Literal(text)
    if found.kind == NUMBER:
        number = number_literal(text)
        if number is None:
            raise DraftProblem(f"{found.label}: {text!r} is not a number (write 183400000000 or 2.5, in base units)")
        return number
    if found.kind == DATE:
        date = date_literal(text, found.datatypes)
        if date is None:
            raise DraftProblem(f"{found.label}: {text!r} is not a date (write 1984, 1984-11 or 1984-11-01)")
        return date
    if found.kind == CODE:
        if text not in {iri for iri, _label in found.codes}:
            raise DraftProblem(f"{found.label}: choose one of the list")
        return ox.NamedNode(text)
    new_class = (values.get(prefix + ".new") or "").strip()
    if found.kind == ENTITY and new_class:
        return _create(store, found, text, new_class, draft, taken)
    return find(text)


def number_literal(text: str) -> ox.Literal | None:
    """A number as a person writes it (``183400000000``, ``2.5``), or None.

    >>> number_literal("2.5").datatype.value, number_literal("1,000")
    ('http://www.w3.org/2001/XMLSchema#decimal', None)
    """
    if re.fullmatch(r"[+-]?\d+", text):
        return ox.Literal(text, datatype=ox.NamedNode(XSD + "integer"))
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)", text):
        return ox.Literal(text, datatype=ox.NamedNode(XSD + "decimal"))
    return None


def date_literal(text: str, allowed=()) -> ox.Literal | None:
    """A day, a month or a year (``1984-11-01``, ``1984-11``, ``1984``) as its XSD datatype,
    among ``allowed`` datatypes if given, or None.

    >>> date_literal("1984-11").datatype.value, date_literal("November 1984")
    ('http://www.w3.org/2001/XMLSchema#gYearMonth', None)
    """
    for pattern, datatype in DATE_FORMS:
        if re.fullmatch(pattern, text) and (not allowed or XSD + datatype in allowed):
            return ox.Literal(text, datatype=ox.NamedNode(XSD + datatype))
    return None


def _create(store, found: Field, name: str, cls: str, draft: Draft, taken: set[str]) -> ox.NamedNode:
    """An entity named ``name`` made in the same change, as one of the classes the field allows."""
    if cls not in found.classes:
        raise DraftProblem(f"{found.label}: a new entity here must be one of the classes listed")
    if "<" in name or not name:
        raise DraftProblem(f"{found.label}: give the new entity's name, as the source prints it")
    local = slug(name) or "entity"
    iri, number = f"{store.base_iri}id/{local}", 1
    while iri in taken or not is_unused(store, iri):
        number += 1
        iri = f"{store.base_iri}id/{local}-{number}"
    taken.add(iri)
    node = ox.NamedNode(iri)
    draft.statements.append(ox.Quad(node, ox.NamedNode(RDF + "type"), ox.NamedNode(cls)))
    draft.statements += _names(node, name, draft.language)
    draft.created[iri] = found.key
    return node


def is_unused(store, iri: str) -> bool:
    """True when no statement of any graph has ``iri`` as its subject or object."""
    node = ox.NamedNode(iri)
    return not store.query(f"ASK {{ {{ GRAPH ?g {{ {node} ?p ?o }} }} UNION {{ GRAPH ?g {{ ?s ?p {node} }} }} }}")
