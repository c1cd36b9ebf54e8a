"""The ``zkg`` command line.

Each subcommand is two functions, ``configure_<name>(parser)`` (its options) and
``run_<name>(args, settings) -> exit code``, registered in :data:`COMMANDS`. Global options
(``--data``, ``--base-iri``) are accepted before or after the subcommand; any option whose
name is a :class:`~zkg.base.settings.Settings` field overrides that setting.

Every error a user can cause prints one line, ``zkg: error: ...``, on stderr and exits 1.
``ZKG_DEBUG=1`` adds the traceback of unexpected errors, for developers.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import traceback
from pathlib import Path
from typing import Callable, Mapping, NamedTuple

import pyoxigraph as ox

from zkg import __version__
from zkg.base.errors import QueryError, ZkgError, storage_fault
from zkg.base.settings import Settings, debug_requested
from zkg.cli import curation as cli_curation
from zkg.cli.common import Parser as _Parser  # noqa: F401
from zkg.cli.common import UsageError
from zkg.cli.common import open_store as _open_store
from zkg.cli.common import write as _write
from zkg.curation import replay, search_sync, shipped_changes
from zkg.rdf.prefixes import compact
from zkg.sparql import guard as sparql_guard
from zkg.store.http_exchange import RemoteSolutions
from zkg.store.opening import remembered_base_iri

# -- load -------------------------------------------------------------------------------------


def configure_load(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--graph-dir", type=Path, help="folder of the data TriG files (default: graph/)")
    parser.add_argument("--ontology-dir", type=Path, help="folder of the vocabulary and shapes (default: ontology/)")


def run_load(args, settings: Settings) -> int:
    store = _open_store(settings, create=True)
    progress = lambda n: print(f"  {n} quads…", file=sys.stderr)  # noqa: E731  (bulk path only)
    report = store.load_sources(graph_dir=settings.graph_dir, ontology_dir=settings.ontology_dir, progress=progress)
    # Curators' removals from the reloaded graphs (and reverts of them) are not undone by it.
    kept = replay.reapply_curation(store, report.graphs)
    # The changesets curated after the first article, through the one write path (graph/changes/).
    shipped = shipped_changes.apply_shipped(store, settings.graph_dir)
    search_sync.build_for_load(store)  # the site search's index, of what was loaded
    lines = [*report.lines(lambda iri: compact(iri, store.prefixes)), *replay.report_lines(kept), *shipped.lines()]
    _write("\n".join(lines))
    _write(f"store: {settings.data} (base IRI {settings.base_iri})")
    return 0


# -- validate ---------------------------------------------------------------------------------


def configure_validate(parser: argparse.ArgumentParser) -> None:
    pass


def run_validate(args, settings: Settings) -> int:
    from zkg.validation.shacl import format_report, validate

    report = validate(_open_store(settings))
    _write(format_report(report))
    return 0 if report.conforms else 1


# -- query ------------------------------------------------------------------------------------

SOLUTION_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
}
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}


def configure_query(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("query", nargs="?", help="the SPARQL query (zkg prefixes are predeclared)")
    source.add_argument("--file", "-f", type=Path, help="read the query from this file ('-': standard input)")
    parser.add_argument(
        "--format",
        default="table",
        choices=["table", "csv", "tsv", "json", *GRAPH_FORMATS],
        help="SELECT/ASK: table, csv, tsv, json; CONSTRUCT/DESCRIBE: table (Turtle), turtle, ntriples, jsonld",
    )


def _read_query(args) -> str:
    if args.query is not None:
        return args.query
    if str(args.file) == "-":
        return sys.stdin.read()
    try:
        return args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read query file {args.file}: {getattr(error, 'strerror', None) or error}") from None


def run_query(args, settings: Settings) -> int:
    from zkg.rdf.display import table, term_text

    store = _open_store(settings)
    # The same guard as the endpoint's: pyoxigraph would fetch SERVICE and LOAD targets too.
    found = sparql_guard.check_query(_read_query(args), base_iri=store.base_iri, prefixes=store.prefixes)
    try:
        results = store.query(found.engine_text)
    except QueryError as error:
        raise QueryError(found.locate(error.message)) from None
    fmt = args.format
    try:
        if isinstance(results, ox.QueryBoolean):
            if fmt in GRAPH_FORMATS:
                raise UsageError(f"--format {fmt} is for CONSTRUCT/DESCRIBE; ASK results are table, csv, tsv or json")
            if fmt == "table":
                _write("true" if bool(results) else "false")
            else:
                _write(results.serialize(format=SOLUTION_FORMATS[fmt]))
        elif isinstance(results, (ox.QuerySolutions, RemoteSolutions)):  # (RemoteSolutions: through an engine)
            if fmt in GRAPH_FORMATS:
                raise UsageError(
                    f"--format {fmt} is for CONSTRUCT/DESCRIBE; SELECT results are table, csv, tsv or json"
                )
            if fmt == "table":
                names = [v.value for v in results.variables]
                rows = [[term_text(solution[name], store.prefixes) for name in names] for solution in results]
                _write(table(names, rows) + f"\n({len(rows)} row{'' if len(rows) == 1 else 's'})")
            else:
                _write(results.serialize(format=SOLUTION_FORMATS[fmt]))
        else:  # QueryTriples (or RemoteTriples): CONSTRUCT / DESCRIBE
            if fmt in SOLUTION_FORMATS:
                raise UsageError(
                    f"--format {fmt} is for SELECT/ASK; CONSTRUCT/DESCRIBE results are turtle, ntriples or jsonld"
                )
            triples = sorted(results, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
            rdf_format = GRAPH_FORMATS.get(fmt, ox.RdfFormat.TURTLE)
            options = {"prefixes": store.prefixes} if rdf_format == ox.RdfFormat.TURTLE else {}
            _write(ox.serialize(triples, format=rdf_format, **options))
    except BrokenPipeError:
        raise  # the reader went away (`zkg query … | head`): main() ends quietly
    except (SyntaxError, OSError, ValueError, RuntimeError) as error:
        # Evaluation is lazy in pyoxigraph: its errors arrive while results are read.
        raise QueryError(f"query failed: {error}") from None
    return 0


# -- export -----------------------------------------------------------------------------------


def configure_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", default="trig", choices=["trig", "nquads"], help="default: trig")
    parser.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")
    parser.add_argument(
        "--without-union",
        action="store_true",
        help="leave out the default graph (the union of the named graphs): for Virtuoso, whose default graph is every graph",
    )


def run_export(args, settings: Settings) -> int:
    data = _open_store(settings).dump(format=args.format, with_union=not args.without_union)
    if args.output is None:
        _write(data)
        return 0
    temporary = args.output.with_name(args.output.name + ".tmp")
    try:
        temporary.write_bytes(data)
        temporary.replace(args.output)  # never a half-written export
    except OSError as error:
        raise UsageError(f"cannot write {args.output}: {error.strerror or error}") from None
    print(f"wrote {len(data)} bytes to {args.output}", file=sys.stderr)
    return 0


# -- serve ------------------------------------------------------------------------------------


def _positive_threads(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def configure_serve(parser: argparse.ArgumentParser) -> None:
    # Values stay strings here: Settings parses and checks them (one message per setting).
    parser.add_argument("--host", help="address to listen on (env ZKG_HOST; default 127.0.0.1)")
    parser.add_argument("--port", help="port to listen on, 0 for any free one (env ZKG_PORT; default 8080)")
    parser.add_argument("--query-timeout", help="query time limit in seconds (env ZKG_QUERY_TIMEOUT; default 30)")
    parser.add_argument("--row-limit", help="most rows or triples in one response (env ZKG_ROW_LIMIT; default 10000)")
    parser.add_argument(
        "--max-request-bytes", help="largest request URL or body in bytes (env ZKG_MAX_REQUEST_BYTES; default 1000000)"
    )
    parser.add_argument(
        "--cache-bytes",
        help="memory for answers kept per dataset version, per process, keys and "
        "all counted (env ZKG_CACHE_BYTES; default 134217728: 128 MiB)",
    )
    parser.add_argument(
        "--connections-per-client",
        help="most connections open at once from one address, 0 for no limit "
        "(env ZKG_CONNECTIONS_PER_CLIENT; default 32)",
    )
    parser.add_argument(
        "--request-read-timeout",
        help="seconds a client has to send a whole request, or to start the next on a kept-alive "
        "connection (env ZKG_REQUEST_READ_TIMEOUT; default 20)",
    )
    parser.add_argument(
        "--behind-proxy",
        action="store_const",
        const=True,
        default=None,
        help="the base IRI is served by a proxy in front of zkg: serve it although it names "
        "another address (env ZKG_BEHIND_PROXY; default: refuse, as its links would be dead)",
    )
    parser.add_argument("--threads", type=_positive_threads, default=4, help="threads per worker process (default 4)")
    parser.add_argument(
        "--workers",
        type=_positive_threads,
        default=None,
        help="worker processes sharing the port (env ZKG_WORKERS; default: one per core)",
    )
    parser.add_argument(
        "--store",
        dest="store_spec",
        help="a remote SPARQL 1.1 engine instead of the managed one: "
        "sparql+http://[user:password@]host:port/path (env ZKG_STORE)",
    )
    parser.add_argument(
        "--engine",
        help="the remote engine's kind: auto (recognised by its answer), oxigraph or virtuoso "
        "(env ZKG_ENGINE; docs/operations/serving.md, Remote engine)",
    )
    parser.add_argument(
        "--update-url",
        help="the remote engine's SPARQL Update endpoint (env ZKG_UPDATE_URL; "
        "default: ?update= in --store, else /query's sibling /update, else the query URL; "
        "docs/operations/serving.md, Remote engine)",
    )


def run_serve(args, settings: Settings) -> int:
    from zkg.serve.server import default_workers, serve

    # --workers, --store and --update-url are the options of settings (ZKG_WORKERS, ZKG_STORE,
    # ZKG_UPDATE_URL): the option wins over the variable.
    return serve(
        settings,
        threads=args.threads,
        workers=settings.workers or default_workers(),
        store_spec=settings.store_spec,
        update_url=settings.update_url,
    )


# -- the table of subcommands -----------------------------------------------------------------


class Command(NamedTuple):
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Settings], int]


COMMANDS: dict[str, Command] = {
    "load": Command(
        "build or refresh the store from graph/ and ontology/, then apply graph/changes/", configure_load, run_load
    ),
    "validate": Command(
        "check the store against the SHACL shapes (exit 1 on violations)", configure_validate, run_validate
    ),
    "query": Command("run a SPARQL query against the store", configure_query, run_query),
    "export": Command("write the whole dataset, deterministically (TriG or N-Quads)", configure_export, run_export),
    "serve": Command("serve the web app and the SPARQL endpoint (production server)", configure_serve, run_serve),
    # Curation (zkg.cli.curation): every write is a checked, attributed, logged changeset.
    "add": Command(
        "add the statements of a file, as one checked changeset", cli_curation.configure_add, cli_curation.run_add
    ),
    "remove": Command(
        "remove the statements of a file, as one checked changeset",
        cli_curation.configure_remove,
        cli_curation.run_remove,
    ),
    "apply": Command(
        "apply an RDF Patch (A/D rows), as one checked changeset", cli_curation.configure_apply, cli_curation.run_apply
    ),
    "revert": Command("undo a changeset with a new one", cli_curation.configure_revert, cli_curation.run_revert),
    "log": Command(
        "the latest changesets, or those touching one entity", cli_curation.configure_log, cli_curation.run_log
    ),
    "token": Command(
        "create, list or revoke the bearer tokens of writers", cli_curation.configure_token, cli_curation.run_token
    ),
}


def _global_options(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: an option absent after the subcommand must not erase one given before it.
    parser.add_argument(
        "--data",
        type=Path,
        default=argparse.SUPPRESS,
        help="data directory holding the store (env ZKG_DATA; default ./zkg-data)",
    )
    parser.add_argument(
        "--base-iri",
        default=argparse.SUPPRESS,
        help="base IRI of the entities and vocabulary (env ZKG_BASE_IRI; default http://localhost:8080/)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="zkg", description="The Zhongguancun Knowledge Graph.")
    parser.add_argument("--version", action="version", version=f"zkg {__version__}")
    _global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(name, help=command.help, description=command.help)
        _global_options(sub)
        command.configure(sub)
    return parser


def settings_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings of a command: its options, then the environment, then the defaults;
    except that a command given no base IRI (no ``--base-iri``, no ``ZKG_BASE_IRI``) uses
    the one its store was loaded with, as ``zkg.json`` remembers it. ``zkg serve`` does not:
    its default base IRI follows the address it serves on, where its links must resolve."""
    environ = os.environ if environ is None else environ
    names = {f.name for f in dataclasses.fields(Settings)}
    overrides = {k: v for k, v in vars(args).items() if k in names and v is not None}
    settings = Settings.from_env(environ, **overrides)
    if args.command != "serve" and "base_iri" not in overrides and not environ.get("ZKG_BASE_IRI", "").strip():
        remembered = remembered_base_iri(settings.data)
        if remembered is not None and remembered != settings.base_iri:
            settings = Settings.from_env(environ, **{**overrides, "base_iri": remembered})
    return settings


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and, as a console script, exits with) the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command].run(args, settings_from_args(args))
    except ZkgError as error:
        return _fail(error.message)
    except BrokenPipeError:
        # The reader went away (`zkg export | head`): not an error worth a message.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return _fail("interrupted")
    except OSError as error:
        # A full disk or a read-only data directory met outside the store (the token file…).
        fault = storage_fault(error, Path(error.filename).parent) if error.filename else None
        return _fail(fault.message if fault else f"{type(error).__name__}: {error}", show_traceback=fault is None)
    except (SyntaxError, ValueError, RuntimeError) as error:
        return _fail(f"{type(error).__name__}: {error}", show_traceback=True)
    except Exception as error:  # a bug: still one line, the traceback only on request
        return _fail(
            f"unexpected {type(error).__name__}: {error} (a bug; ZKG_DEBUG=1 shows the traceback)", show_traceback=True
        )


def _fail(message: str, *, show_traceback: bool = False) -> int:
    if show_traceback and debug_requested():
        traceback.print_exc()
    one_line = " ".join(str(message).split())
    print(f"zkg: error: {one_line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
