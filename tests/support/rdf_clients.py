"""Real linked-data clients, run as their users run them, against a live ``zkg serve``: what each
reads from a URL, as canonical N-Triples lines (RDFC-1.0 blank node labels, sorted, each once),
so that two clients' readings compare with ``==`` (issue 19: every client reads the same
statements from an entity's IRI).

- Comunica (``@comunica/query-sparql``) and its link-traversal engine
  (``@comunica/query-sparql-link-traversal``), from npm, installed in tests/clients/ by .ci/run
  (``npm ci``): the command line given the IRI as its source, a CONSTRUCT over its default graph;
- rapper (Debian's raptor2-utils): ``rapper -g URL -o ntriples``;
- Apache Jena (Debian's libapache-jena-java): tests/clients/jena/ReadDocuments.java, run by
  ``java`` as a source file, one JVM for all URLs (a Java start takes seconds);
- rdflib is the tests' own library and is called directly by the tests.
"""

from __future__ import annotations

import functools
import re
import subprocess
import zipfile
from pathlib import Path

import pyoxigraph as ox

from tests.support.live_server import REPO

CLIENTS = REPO / "tests" / "clients"
NODE_BIN = CLIENTS / "node_modules" / ".bin"
JENA_READER = CLIENTS / "jena" / "ReadDocuments.java"
#: Debian's package of Jena, whose jars (and their dependencies') make the classpath.
JENA_PACKAGE = "libapache-jena-java"


def canonical(ntriples: str) -> list[str]:
    """The triples of an N-Triples text, blank nodes labelled canonically, sorted, each once."""
    dataset = ox.Dataset(
        ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(ntriples.encode(), format=ox.RdfFormat.N_TRIPLES)
    )
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def canonical_default_graph(data: bytes, rdf_format: ox.RdfFormat) -> list[str]:
    """The default graph of a document in any RDF format, as :func:`canonical` writes it."""
    dataset = ox.Dataset(q for q in ox.parse(data, format=rdf_format) if q.graph_name == ox.DefaultGraph())
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def _run(command: list[str], *, timeout: float = 120, cwd: Path | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    if done.returncode != 0:
        raise AssertionError(f"{command[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def comunica(source: str, query: str, *, traversal: bool = False) -> list[str]:
    """What Comunica's command line answers to a CONSTRUCT ``query`` over ``source`` (a URL it
    dereferences with its own content negotiation), as :func:`canonical` lines.
    ``traversal``: the link-traversal engine, lenient (links it cannot fetch, such as the
    vocabularies' IRIs offline, are passed over, as its users run it)."""
    program = NODE_BIN / ("comunica-sparql-link-traversal" if traversal else "comunica-sparql")
    options = ["--lenient"] if traversal else []
    return canonical(_run([str(program), *options, source, "-t", "application/n-triples", query]))


def rapper(url: str, parser: str = "guess") -> list[str]:
    """What rapper reads from ``url``: by default its parser is chosen from the Content-Type it
    negotiated (raptor 2.0.15 knows TriG only as application/x-trig: name it, ``trig``)."""
    return canonical(_run(["rapper", "-q", "-i", parser, url, "-o", "ntriples"]))


@functools.cache
def jena_classpath(work: Path) -> str:
    """The jars of Debian's Jena and of the packages it depends on, one version of each and
    one SLF4J binding (nop). Debian's jena-core 4.5.0 moved Xerces' classes to ``xerces.*``
    but left their message bundles under ``org/apache/jena/ext/xerces/``: without them its
    XSD datatypes fail to initialise; they are copied where the classes look, in ``work``."""
    packages = _run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                     "--no-breaks", "--no-replaces", "--no-enhances", JENA_PACKAGE])  # fmt: skip
    names = sorted({line.strip() for line in packages.splitlines() if line and not line.startswith(" ")})
    listed = subprocess.run(["dpkg", "-L", *names], capture_output=True, text=True).stdout.splitlines()
    jars = sorted(
        path
        for path in set(listed)
        if re.fullmatch(r"/usr/share/java/[^/]+\.jar", path)
        and not re.search(r"-\d[^/]*\.jar$", path)  # the unversioned link of each jar only
        and "slf4j" not in path
    )
    assert any(j.endswith("/jena-arq.jar") for j in jars), f"{JENA_PACKAGE} is not installed (.ci/run installs it)"
    bundles = work / "jena-bundles"
    with zipfile.ZipFile("/usr/share/java/jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith("org/apache/jena/ext/xerces/") and name.endswith(".properties"):
                target = bundles / name[len("org/apache/jena/ext/") :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return ":".join([str(bundles), *jars, "/usr/share/java/slf4j-api.jar", "/usr/share/java/slf4j-nop.jar"])


def jena(urls: list[str], work: Path) -> dict[tuple[str, str], list[str]]:
    """What Jena reads from each URL, in one JVM: ``("graph", url)``, the triples of
    ``RDFDataMgr.loadModel``; ``("dataset", url)``, the default graph of ``loadDataset``."""
    output = _run(["java", "-cp", jena_classpath(work), str(JENA_READER), *urls], timeout=300)
    readings: dict[tuple[str, str], list[str]] = {}
    sections = re.split(r"^## (graph|dataset|named) (\S+).*$", output, flags=re.MULTILINE)
    for kind, url, text in zip(sections[1::3], sections[2::3], sections[3::3]):
        if kind != "named":
            readings[(kind, url)] = canonical(text)
    return readings
