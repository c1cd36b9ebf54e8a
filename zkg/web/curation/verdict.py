"""The shapes' verdict on a change, placed beside the fields it is about, in words.

A validation result names a focus node and a path (SPARQL path text, ``schema:foundingDate``
or ``a|b`` for an alternative path). On the new-entity form a result about the new entity
goes beside the field writing that path (the name field for ``rdfs:label``/``schema:name``); a
result about an entity made alongside goes beside the field that made it; anything else
is listed under the form. Each reads "label (CURIE): the shape's message".

Results that were already in the graph before this change (the write path says which:
:attr:`zkg.curation.apply.Outcome.preexisting`, ``Rejected.preexisting``: :mod:`zkg.validation.causes`) are set apart: they do not block, and the
curator did not cause them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from zkg.curation.entity_draft import Draft
from zkg.curation.entity_form import NAME_PATHS, EntityForm
from zkg.linked_data.labels import labels_for
from zkg.rdf.display import term_text
from zkg.rdf.prefixes import compact


@dataclass
class Verdict:
    blocking_by_field: dict[str, list[str]] = field(default_factory=dict)  # Violations this change causes
    warnings_by_field: dict[str, list[str]] = field(default_factory=dict)  # Warnings this change causes
    blocking: list[str] = field(default_factory=list)  # caused Violations on no field of the form
    warnings: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # in the graph before this change: not blocking

    @property
    def conforms(self) -> bool:
        return not self.blocking and not any(self.blocking_by_field.values())


def path_iris(path: str, prefixes: dict[str, str]) -> list[str]:
    """The properties a result's path text names (``^`` and sequences are left as they are).

    >>> path_iris("schema:name|<http://x.test/p>", {"schema": "https://schema.org/"})
    ['https://schema.org/name', 'http://x.test/p']
    """
    found = []
    for part in path.split("|"):
        part = part.strip().strip("()")
        if part.startswith("<") and part.endswith(">"):
            found.append(part[1:-1])
        elif ":" in part:
            name, _, local = part.partition(":")
            found.append(prefixes[name] + local if name in prefixes else part)
    return found


def result_words(result, labels: dict[str, str], prefixes: dict[str, str]) -> tuple[str, str]:
    """("label (CURIE)", message) of a validation result."""
    iris = path_iris(result.path, prefixes)
    if len(iris) == 1:
        subject = f"{labels.get(iris[0], iris[0])} ({compact(iris[0], prefixes)})"
    else:
        subject = result.path or "the entity"
    return subject, result.message


def verdict_by_field(
    store, form: EntityForm | None, draft: Draft | None, report, *, preexisting: Iterable = ()
) -> Verdict:
    """Each result of ``report`` beside the field of ``form`` it is about (see the module);
    without a form (the statement forms of entity pages), each in the lists under it."""
    prefixes = store.prefixes
    before = list(preexisting)
    results = list(report.results) if report is not None else []
    paths = {iri for r in results + before for iri in path_iris(r.path, prefixes)}
    labels = labels_for(store, paths)
    verdict = Verdict()
    for result in before:
        subject, message = result_words(result, labels, prefixes)
        verdict.already.append(f"{result.severity} on {term_text(result.focus_node, prefixes)}: {subject}: {message}")
    for result in results:
        if result in before:
            continue
        subject, message = result_words(result, labels, prefixes)
        key = _field_key(form, draft, result, prefixes) if form is not None and draft is not None else None
        text = f"{subject}: {message}"
        blocking = result.severity == "Violation"
        if key is None:
            focus = term_text(result.focus_node, prefixes)
            (verdict.blocking if blocking else verdict.warnings).append(f"on {focus}: {text}")
        else:
            target = verdict.blocking_by_field if blocking else verdict.warnings_by_field
            target.setdefault(key, []).append(text)
    return verdict


def _field_key(form: EntityForm, draft: Draft, result, prefixes) -> str | None:
    focus = str(result.focus_node)
    iris = path_iris(result.path, prefixes)
    if focus in draft.created:
        return draft.created[focus]
    if focus != draft.iri:
        return None
    if any(iri in NAME_PATHS for iri in iris):
        return "name"
    for iri in iris:
        found = form.field_for(iri)
        if found is not None:
            return found.key
    return None
