"""The reference pages' generated parts, read from the code: settings, commands, routes.

The pages under docs/reference/ (and the tables of docs/operations/performance.md) hold
blocks written by `cog <https://cog.readthedocs.io/>`_ from the functions here; the rest of
each page is prose. Regenerate after changing a setting, an option or a route::

    .venv/bin/cog -r -I docs -I . docs/reference/*.md docs/operations/performance.md

(``docs/reference/data-model.md`` is read from ``ontology/`` and ``graph/``, the performance
tables from ``benchmarks/results/latest.json``.)

``tests/test_docs.py`` runs ``cog --check`` on the same files, and checks that every setting,
environment variable, command, option and route the code has is documented in prose too.

zkg itself is imported in one place only, :mod:`_zkg_names`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "zkg"
DOCS = REPO / "docs"

#: The files cog writes into, relative to the repository.
GENERATED_PAGES = (
    "docs/reference/settings.md",
    "docs/reference/cli.md",
    "docs/reference/http-api.md",
    "docs/reference/data-model.md",
    "docs/operations/performance.md",
)


def cog_arguments(*options: str) -> list[str]:
    """The command line of cog over every generated page (``options``: ``-r``, ``--check``),
    with absolute paths, so it runs from any directory."""
    return ["cog", *options, "-I", str(DOCS), "-I", str(REPO), *(str(REPO / page) for page in GENERATED_PAGES)]


#: ``"ZKG_…"`` as a string in the code: a variable, or a key of create_app's configuration.
_NAME = re.compile(r"""["'](ZKG_[A-Z][A-Z0-9_]*)["']""")
#: The environment read directly: os.environ.get("ZKG_X"…), os.environ["ZKG_X"], environ.get("ZKG_X"…).
_READ = re.compile(
    r"""environ(?:\.get\(\s*|\[\s*)["'](ZKG_[A-Z][A-Z0-9_]*)["']|getenv\(\s*["'](ZKG_[A-Z][A-Z0-9_]*)["']"""
)


def _names():
    import _zkg_names

    return _zkg_names


def _code(text: str) -> str:
    """Markdown inline code for ``text`` (table cells: ``|`` escaped)."""
    text = text.replace("|", "\\|")
    return f"``{text}``" if "`" in text else f"`{text}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def anchor(kind: str, name: str) -> str:
    """The target of a setting's or a route's section: ``(anchor)=`` above its heading.

    >>> anchor("route", "/changes/<changeset_id>/revert"), anchor("setting", "ZKG_BASE_IRI")
    ('route-changes-changeset-id-revert', 'setting-zkg-base-iri')
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return f"{kind}-{slug}" if slug else f"{kind}-root"


# -- the command line --------------------------------------------------------------------------


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _subcommand_help(command: str) -> str:
    """The one-line help a command's parent gives it (``zkg token create``: "make a token…")."""
    parent, _, name = command.rpartition(" ")
    for action in parsers()[parent]._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.dest == name:
                    return choice.help or ""
    return ""


def parsers() -> dict[str, argparse.ArgumentParser]:
    """Every parser of the ``zkg`` command line by its command: ``""`` (zkg itself),
    ``"load"``, …, ``"token create"``, … in the order the command table has them."""
    names = _names()
    top = names.build_parser()
    found = {"": top}
    for name, sub in _subcommands(top).items():
        found[name] = sub
        for action, subsub in _subcommands(sub).items():
            found[f"{name} {action}"] = subsub
    assert list(_subcommands(top)) == list(names.COMMANDS), "the parser and COMMANDS disagree"
    return found


def commands() -> list[str]:
    """The subcommands, as the command table lists them (``token create`` and the like too)."""
    return [name for name in parsers() if name]


def _global_dests() -> set[str]:
    top = parsers()[""]
    return {
        a.dest
        for a in top._actions
        if a.option_strings and not isinstance(a, (argparse._HelpAction, argparse._VersionAction))
    }


def options(command: str, *, with_global: bool = False) -> list[argparse.Action]:
    """The options and arguments of one command (without ``-h`` and, unless asked, the global
    options every command takes)."""
    parser = parsers()[command]
    skip = set() if with_global or command == "" else _global_dests()
    return [
        a
        for a in parser._actions
        if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)) and a.dest not in skip
    ]


def option_strings(command: str) -> list[str]:
    """What a user types for each option of ``command`` (every spelling: ``-m``, ``--message``),
    and the names of its positional arguments."""
    found = []
    for action in options(command):
        found += list(action.option_strings) or [action.metavar or action.dest]
    return found


def _metavar(action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
        return "{" + ",".join(str(c) for c in action.choices) + "}"
    if action.metavar is not None:
        return str(action.metavar)
    return action.dest.upper() if action.option_strings else action.dest


def _usage(command: str) -> str:
    parser = parsers()[command]
    formatter = argparse.HelpFormatter(prog=parser.prog, width=10_000)  # one line, whatever the terminal
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups, prefix="")
    return " ".join(formatter.format_help().split())


def _default(action: argparse.Action) -> str:
    value = action.default
    if value is None or value is argparse.SUPPRESS or value is False or value == "" or action.nargs == 0:
        return ""
    return _code(str(value))


def _options_table(actions: list[argparse.Action]) -> list[str]:
    lines = ["| option | value | default | meaning |", "|---|---|---|---|"]
    for action in actions:
        names = ", ".join(_code(s) for s in action.option_strings) or _code(action.metavar or action.dest)
        if action.required and action.option_strings:
            names += " (required)"
        value = _metavar(action) if action.option_strings else ""
        lines.append(f"| {names} | {_code(value) if value else ''} | {_default(action)} | {_cell(action.help or '')} |")
    return lines


def command_table() -> str:
    """Every subcommand with its one-line help, linking to its section."""
    names = _names()
    lines = ["| command | what it does |", "|---|---|"]
    for name, command in names.COMMANDS.items():
        lines.append(f"| [`zkg {name}`](#{anchor('command', name)}) | {_cell(command.help)} |")
    return "\n".join(lines) + "\n"


def command_reference(command: str) -> str:
    """A command's usage line and the table of its options (generated part of its section)."""
    lines = ["```text", _usage(command), "```", ""]
    actions = options(command)
    if actions:
        lines += _options_table(actions)
    else:
        lines.append("No options of its own.")
    if command:
        lines += ["", "And the [global options](#global-options)."]
    for sub in (name for name in parsers() if name.startswith(command + " ") and command):
        lines += ["", f"`zkg {sub}`: {_cell(_subcommand_help(sub))}.", "", "```text", _usage(sub), "```"]
        if options(sub):
            lines += [""] + _options_table(options(sub))
    return "\n".join(lines) + "\n"


def global_options() -> str:
    """The options every command takes (before or after the command's name)."""
    top = parsers()[""]._actions
    chosen = [a for a in top if a.dest in _global_dests() or isinstance(a, argparse._VersionAction)]
    return "\n".join(_options_table(chosen)) + "\n"


# -- settings and the environment ---------------------------------------------------------------


@dataclass
class Setting:
    name: str  # the Settings field
    variable: str  # ZKG_<NAME>
    default: str  # as the table shows it
    options: list[str]  # e.g. ["`--host` (serve)"]
    summary: str  # the option's help, without its "(env …; default …)"


def _shown_default(value) -> str:
    if isinstance(value, Path):
        if value.is_absolute():
            try:
                relative = value.relative_to(REPO)
            except ValueError:
                return _code(str(value))
            return f"{_code(str(relative) + '/')} of the checkout (an installed wheel: its packaged copy)"
        return _code("./" + str(value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and value >= 2**20 and value % 2**20 == 0:
        return f"{_code(str(value))} ({value // 2**20} MiB)"
    return _code(str(value))


def _summary(help_text: str | None) -> str:
    return re.sub(r"\s*\((?:env |default)[^()]*\)\s*$", "", help_text or "").strip()


def settings() -> list[Setting]:
    """Every field of Settings, with its variable, default, and the options that set it."""
    names = _names()
    defaults = names.Settings.from_env(environ={})
    every = set(commands())
    found = []
    for field in dataclasses.fields(names.Settings):
        where: dict[str, list[str]] = {}
        help_text = None
        for command, parser in parsers().items():
            for action in parser._actions:
                if action.dest == field.name and action.option_strings:
                    where.setdefault(", ".join(action.option_strings), []).append(command or "zkg")
                    help_text = help_text or action.help
        shown = []
        for spelling, used_by in where.items():
            used = set(used_by) - {"zkg"}
            scope = "every command" if used >= every - {c for c in every if " " in c} else ", ".join(sorted(used))
            shown.append(f"{_code(spelling)} ({scope})")
        found.append(
            Setting(
                field.name,
                names.Settings.variable(field.name),
                # The base IRI's default follows the address served (zkg.base.settings.default_base_iri).
                "`http://localhost:<port>/` (follows `--host`, `--port`)"
                if field.name == "base_iri"
                else _shown_default(getattr(defaults, field.name)),
                shown,
                _summary(help_text),
            )
        )
    return found


def settings_table() -> str:
    lines = ["| variable | option | default | in short |", "|---|---|---|---|"]
    for s in settings():
        lines.append(
            f"| [{_code(s.variable)}](#{anchor('setting', s.variable)}) | {'; '.join(s.options) or '—'} "
            f"| {s.default} | {_cell(s.summary) or '—'} |"
        )
    return "\n".join(lines) + "\n"


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_resources" not in p.parts)


def variables_read() -> dict[str, list[str]]:
    """Every ``ZKG_*`` environment variable the code reads, with the files that read it: the
    Settings fields (read by Settings.from_env) and the variables read directly from
    ``os.environ``."""
    found: dict[str, set[str]] = {s.variable: set() for s in settings()}
    for path in _sources():
        for match in _READ.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(1) or match.group(2), set()).add(str(path.relative_to(REPO)))
    return {name: sorted(files) for name, files in sorted(found.items())}


def names_in_code() -> set[str]:
    """Every ``"ZKG_…"`` string of the code: variables, and keys of create_app's configuration."""
    found = set()
    for path in _sources():
        found |= set(_NAME.findall(path.read_text(encoding="utf-8")))
    return found


def other_variables_table() -> str:
    """The variables read directly from the environment (not Settings fields), with the option
    of ``zkg serve`` that sets the same where one says so in its help."""
    fields = {s.variable for s in settings()}
    by_help: dict[str, str] = {}
    for command, parser in parsers().items():
        for action in parser._actions:
            for variable in re.findall(r"\benv (ZKG_[A-Z0-9_]+)", action.help or ""):
                by_help.setdefault(variable, f"{_code(', '.join(action.option_strings))} ({command})")
    lines = ["| variable | option |", "|---|---|"]
    for variable in variables_read():
        if variable not in fields:
            lines.append(f"| [{_code(variable)}](#{anchor('setting', variable)}) | {by_help.get(variable, '—')} |")
    return "\n".join(lines) + "\n"


# -- the HTTP routes -----------------------------------------------------------------------------


@dataclass
class Route:
    rule: str
    methods: list[str]
    endpoint: str


def routes() -> list[Route]:
    """Every URL rule of ``create_app()``, sorted by rule, then endpoint."""
    names = _names()
    with tempfile.TemporaryDirectory() as data:
        settings_ = names.Settings.from_env(environ={}, data=data)
        app = names.create_app({"ZKG_SETTINGS": settings_, "ZKG_STORE": "memory", "TESTING": True})
        rules = [Route(r.rule, sorted(r.methods or ()), r.endpoint) for r in app.url_map.iter_rules()]
    return sorted(rules, key=lambda r: (r.rule, r.endpoint))


def routes_table() -> str:
    lines = ["| rule | methods | view |", "|---|---|---|"]
    for route in routes():
        lines.append(
            f"| [{_code(route.rule)}](#{anchor('route', route.rule)}) | {', '.join(route.methods)} "
            f"| {_code(route.endpoint)} |"
        )
    return "\n".join(lines) + "\n"


# -- performance ---------------------------------------------------------------------------------


def performance_tables(results: str = "benchmarks/results/latest.json") -> str:
    """The tables of the latest benchmark run, as ``python -m benchmarks.report`` prints them."""
    from benchmarks.report import add_ratios, table

    data = json.loads((REPO / results).read_text(encoding="utf-8"))
    add_ratios(data)
    return table(data).rstrip("\n") + "\n"


# -- the data model (read from ontology/ and graph/ with pyoxigraph; no zkg module) -----------

#: The base the files' relative IRIs are resolved against here (any base gives the same tables).
_BASE = "http://localhost:8080/"
_STANDARD = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs",
    "http://www.w3.org/2001/XMLSchema#": "xsd",
    "http://www.w3.org/2002/07/owl#": "owl",
    "http://www.w3.org/2004/02/skos/core#": "skos",
    "https://schema.org/": "schema",
    "http://www.w3.org/ns/org#": "org",
    "http://www.w3.org/ns/prov#": "prov",
    "http://purl.org/dc/terms/": "dcterms",
    "http://www.w3.org/ns/shacl#": "sh",
    "http://purl.org/linked-data/cube#": "qb",
    "http://purl.org/linked-data/sdmx/2009/dimension#": "sdmx-dimension",
    "http://purl.org/linked-data/sdmx/2009/measure#": "sdmx-measure",
    "http://purl.org/linked-data/sdmx/2009/attribute#": "sdmx-attribute",
    "http://rdfs.org/ns/void#": "void",
    "http://www.w3.org/ns/dcat#": "dcat",
    "http://xmlns.com/foaf/0.1/": "foaf",
    _BASE + "def/shapes/": "zsh",
    _BASE + "def/": "zkg",
}
_RDF, _RDFS, _OWL = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2002/07/owl#",
)
_SKOS, _SH, _QB = (
    "http://www.w3.org/2004/02/skos/core#",
    "http://www.w3.org/ns/shacl#",
    "http://purl.org/linked-data/cube#",
)


def _short(term) -> str:
    """A term as the pages write it: ``schema:Person``, ``zkg:administers``, ``<code/unit>``."""
    value = getattr(term, "value", str(term))
    for namespace, prefix in sorted(_STANDARD.items(), key=lambda item: -len(item[0])):
        if value.startswith(namespace) and "/" not in value[len(namespace) :]:
            return f"{prefix}:{value[len(namespace) :]}"
    if value.startswith(_BASE):
        return f"<{value[len(_BASE) :]}>"
    return f"<{value}>"


class _Graph:
    """The triples of some Turtle files, with the few look-ups the tables need."""

    def __init__(self, paths):
        import pyoxigraph as ox

        self.triples = [
            q.triple if hasattr(q, "triple") else q
            for path in paths
            for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=_BASE)
        ]

    def objects(self, subject, predicate: str) -> list:
        return [t.object for t in self.triples if t.subject == subject and t.predicate.value == predicate]

    def subjects(self, predicate: str, value: str) -> list:
        seen = []
        for t in self.triples:
            if t.predicate.value == predicate and getattr(t.object, "value", None) == value and t.subject not in seen:
                seen.append(t.subject)
        return seen

    def text(self, subject, *predicates: str) -> str:
        for predicate in predicates:
            values = self.objects(subject, predicate)
            english = [v for v in values if getattr(v, "language", None) in ("en", None)]
            if english:
                return english[0].value
        return ""


def _vocabulary() -> _Graph:
    return _Graph([REPO / "ontology" / name for name in ("vocabulary.ttl", "statistics.ttl", "codes.ttl")])


def vocabulary_classes() -> str:
    """The project's own classes (``zkg:``), with their super-classes and comments."""
    g = _vocabulary()
    lines = ["| class | label | sub-class of | meaning |", "|---|---|---|---|"]
    for term in g.subjects(_RDF + "type", _OWL + "Class"):
        supers = ", ".join(_code(_short(s)) for s in g.objects(term, _RDFS + "subClassOf"))
        lines.append(
            f"| {_code(_short(term))} | {_cell(g.text(term, _RDFS + 'label'))} | {supers} "
            f"| {_cell(g.text(term, _RDFS + 'comment'))} |"
        )
    return "\n".join(lines) + "\n"


def vocabulary_properties() -> str:
    """The project's own properties (and the Data Cube components it declares), with domain,
    range and comment."""
    g = _vocabulary()
    kinds = (
        _OWL + "ObjectProperty",
        _OWL + "DatatypeProperty",
        _QB + "DimensionProperty",
        _QB + "MeasureProperty",
        _QB + "AttributeProperty",
    )
    terms = []
    for kind in kinds:
        terms += [t for t in g.subjects(_RDF + "type", kind) if t not in terms]
    lines = ["| property | domain → range | meaning |", "|---|---|---|"]
    for term in terms:
        domain = ", ".join(_code(_short(d)) for d in g.objects(term, _RDFS + "domain")) or "—"
        range_ = ", ".join(_code(_short(r)) for r in g.objects(term, _RDFS + "range")) or "—"
        lines.append(f"| {_code(_short(term))} | {domain} → {range_} | {_cell(g.text(term, _RDFS + 'comment'))} |")
    return "\n".join(lines) + "\n"


def code_lists() -> str:
    """Every SKOS concept scheme of ontology/, with its concepts (notation where there is one)."""
    g = _vocabulary()
    parts = []
    for scheme in g.subjects(_RDF + "type", _SKOS + "ConceptScheme"):
        concepts = g.subjects(_SKOS + "inScheme", scheme.value)
        shown = []
        for concept in concepts:
            name = g.text(concept, _SKOS + "prefLabel")
            notation = g.text(concept, _SKOS + "notation")
            broader = g.objects(concept, _SKOS + "broader")
            extra = (f" ({notation})" if notation else "") + (
                f", under {', '.join(g.text(b, _SKOS + 'prefLabel') for b in broader)}" if broader else ""
            )
            shown.append(f"{name}{extra}")
        label = g.text(scheme, _SKOS + "prefLabel", _RDFS + "label")
        parts.append(f"- **{label}** ({_code(_short(scheme))}, {len(concepts)} concepts): {_cell('; '.join(shown))}.")
    return "\n".join(parts) + "\n"


def data_structures() -> str:
    """The Data Cube structures: each one's dimensions in order, measure and attributes."""
    g = _vocabulary()
    lines = ["| structure | dimensions (in order) | measure | attributes |", "|---|---|---|---|"]
    for dsd in g.subjects(_RDF + "type", _QB + "DataStructureDefinition"):
        dims, measures, attributes = [], [], []
        for component in g.objects(dsd, _QB + "component"):
            order = g.objects(component, _QB + "order")
            for kind, found in (("dimension", dims), ("measure", measures), ("attribute", attributes)):
                for value in g.objects(component, _QB + kind):
                    found.append((int(order[0].value) if order else 0, _code(_short(value))))
        cells = [", ".join(name for _, name in sorted(found)) or "—" for found in (dims, measures, attributes)]
        lines.append(f"| {_code(_short(dsd))} ({_cell(g.text(dsd, _RDFS + 'label'))}) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def shapes() -> str:
    """The targeted SHACL shapes, file by file: name, what they target, severity."""
    lines = ["| file | shape | checks | targets | severity |", "|---|---|---|---|---|"]
    targets = (
        ("targetClass", ""),
        ("targetSubjectsOf", "subjects of "),
        ("targetObjectsOf", "objects of "),
        ("targetNode", "node "),
    )
    for path in sorted((REPO / "ontology" / "shapes").glob("*.ttl")):
        g = _Graph([path])
        for shape in g.subjects(_RDF + "type", _SH + "NodeShape"):
            aimed = [prefix + _code(_short(t)) for name, prefix in targets for t in g.objects(shape, _SH + name)]
            if not aimed and not g.objects(shape, _SH + "target"):
                continue  # used by other shapes through sh:node (common.ttl)
            aimed = aimed or ["a SPARQL-based target"]
            if len(aimed) > 5:  # the class lists of "any entity" shapes: say how many
                aimed = [*aimed[:3], f"… ({len(aimed)} classes)"]
            severity = [_short(s).split(":")[-1] for s in g.objects(shape, _SH + "severity")] or ["Violation"]
            lines.append(
                f"| {_code(path.name)} | {_code(_short(shape))} | {_cell(g.text(shape, _SH + 'name'))} "
                f"| {', '.join(aimed)} | {severity[0]} |"
            )
    return "\n".join(lines) + "\n"


def classes_used() -> str:
    """The classes the data files (graph/) give their resources, with how many of each."""
    import pyoxigraph as ox

    counts: dict[str, int] = {}
    for path in sorted((REPO / "graph").rglob("*.trig")):
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TRIG, base_iri=_BASE):
            if quad.predicate.value == _RDF + "type":
                name = _short(quad.object)
                counts[name] = counts.get(name, 0) + 1
    lines = ["| class | resources typed so in graph/ |", "|---|---|"]
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"| {_code(name)} | {count} |")
    return "\n".join(lines) + "\n"
