"""The curation subcommands of ``zkg``: add, remove, apply, revert, log, token.

Registered in :data:`zkg.cli.main.COMMANDS` like the others (``configure_<name>`` and
``run_<name>``). Each write command reads its arguments and files and calls one method of
:class:`zkg.curation.writer.Curator`, the one write API (the changeset, the writer lock and the
log are its business, not the command line's). A rejected
changeset prints ``zkg: error: changeset rejected: N violation(s)`` and then the readable
report on stderr (what the change causes, then, apart, what was already in the graph before
it: :func:`zkg.validation.causes.format_verdict`), exits 1, and writes nothing. Only a
violation the change causes rejects it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zkg.base.settings import Settings


def _write(text: str) -> None:
    from zkg.cli.common import write

    write(text)


def _changeset_options(parser: argparse.ArgumentParser, *, what: str) -> None:
    parser.add_argument(
        "--source",
        required=True,
        help="where the facts come from: the document's IRI, or a citation in words (required)",
    )
    parser.add_argument("--by", required=True, help="who makes the change: a name or an IRI (required)")
    parser.add_argument("--message", "-m", default="", help="why")
    parser.add_argument("--dry-run", action="store_true", help=f"show the diff and the report; {what} nothing")


def _write_with_curator(args, settings: Settings, write, *, verb: str) -> int:
    """Run ``write(curator, attribution, dry_run)`` on the store of ``settings``; a rejected
    changeset prints its report on stderr and exits 1."""
    from zkg.cli.common import open_store as _open_store
    from zkg.curation.apply import Rejected
    from zkg.curation.changesets import diff_description
    from zkg.curation.writer import Attribution, Curator
    from zkg.validation.causes import format_verdict

    store = _open_store(settings, writing=True)
    attribution = Attribution(args.by, source=args.source, message=args.message)
    try:
        outcome = write(Curator(store), attribution, args.dry_run)
    except Rejected as rejected:
        if args.dry_run:
            _write(diff_description(rejected.changeset, store.prefixes))
        print(f"zkg: error: {rejected.message}", file=sys.stderr)
        print(rejected.text(), file=sys.stderr)
        return 1
    return _report(
        outcome,
        store,
        verb=verb,
        dry_run=args.dry_run,
        format_verdict=format_verdict,
        diff_description=diff_description,
    )


def _report(outcome, store, *, verb, dry_run, format_verdict, diff_description) -> int:
    for quad in outcome.dropped_additions:
        print(f"already in the store, not added again: {quad}", file=sys.stderr)
    if outcome.noop:
        _write("nothing to change: every statement to add is already in the store")
        return 0
    if dry_run or outcome.report.results:
        _write(diff_description(outcome.changeset, store.prefixes))
    if outcome.report.results or dry_run:
        # What this change causes, then what was already in the graph before it.
        _write(format_verdict(outcome.verdict))
    cs = outcome.changeset
    counts = f"{len(cs.additions)} addition(s), {len(cs.removals)} removal(s)"
    if dry_run:
        _write(f"dry run: changeset {cs.id} would be accepted ({counts}); nothing was written")
    else:
        _write(f"{verb} changeset {cs.id} ({counts})")
    return 0


# -- add, remove, apply ---------------------------------------------------------------------------------


def configure_add(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="Turtle, TriG, N-Triples or N-Quads (.ttl .trig .nt .nq)")
    _changeset_options(parser, what="add")


def run_add(args, settings: Settings) -> int:
    from zkg.curation.changeset_files import quads_from_file
    from zkg.curation.changesets import blank_labels

    quads = quads_from_file(args.file, base_iri=settings.base_iri)
    # The parser gave the file's blank nodes fresh labels: new nodes, never the store's.
    return _write_with_curator(
        args,
        settings,
        lambda curator, attribution, dry_run: curator.write(
            attribution, additions=quads, new_nodes=blank_labels(quads), dry_run=dry_run
        ),
        verb="committed",
    )


def configure_remove(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, help="the statements to remove (.ttl .trig .nt .nq); without a graph: from every graph"
    )
    _changeset_options(parser, what="remove")


def run_remove(args, settings: Settings) -> int:
    from zkg.curation.changeset_files import quads_from_file

    quads = quads_from_file(args.file, base_iri=settings.base_iri)
    return _write_with_curator(
        args,
        settings,
        lambda curator, attribution, dry_run: curator.write(attribution, removals=quads, dry_run=dry_run),
        verb="committed",
    )


def configure_apply(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("patch", type=Path, help="an RDF Patch file (A and D rows)")
    _changeset_options(parser, what="change")


def run_apply(args, settings: Settings) -> int:
    from zkg.curation.changeset_files import read_patch

    patch = read_patch(args.patch, base_iri=settings.base_iri)
    # The patch's own H agent, source and message fill in what the options leave empty.
    return _write_with_curator(
        args,
        settings,
        lambda curator, attribution, dry_run: curator.apply_patch(patch, attribution, dry_run=dry_run),
        verb="committed",
    )


# -- revert ------------------------------------------------------------------------------------------------


def configure_revert(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", help="the changeset to undo (see `zkg log`)")
    parser.add_argument("--by", required=True, help="who reverts it: a name or an IRI (required)")
    parser.add_argument(
        "--message", "-m", default="", help="the reason for reverting, recorded as the revert's message (required)"
    )
    parser.add_argument(
        "--source",
        help="where the reason comes from, if anywhere; default: none (never the reverted changeset's source)",
    )
    parser.add_argument("--dry-run", action="store_true", help="show the diff and the report; change nothing")


def run_revert(args, settings: Settings) -> int:
    from zkg.cli.common import UsageError

    # The reason is the revert's own message (zkg.curation.writer.Curator.revert requires it);
    # a dry run records nothing and may go without.
    if not args.dry_run and not args.message.strip():
        raise UsageError('give the reason for reverting: --message "…" (-m)')
    return _write_with_curator(
        args,
        settings,
        lambda curator, attribution, dry_run: curator.revert(args.id, attribution, dry_run=dry_run),
        verb=f"reverted {args.id} with",
    )


# -- log ----------------------------------------------------------------------------------------------------


def configure_log(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--entity", help="only the changesets touching this entity (IRI or CURIE, e.g. id:z-park)")
    parser.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    parser.add_argument("--patch", metavar="ID", help="print one changeset as RDF Patch")


def _expand(text: str, prefix_map: dict[str, str]) -> str:
    from zkg.cli.common import UsageError

    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    if "://" in text or text.startswith("urn:"):
        return text
    prefix, colon, local = text.partition(":")
    if colon and prefix in prefix_map:
        return prefix_map[prefix] + local
    raise UsageError(f"--entity {text!r}: give an IRI or a CURIE with a known prefix (id:z-park)")


def run_log(args, settings: Settings) -> int:
    from zkg.cli.common import UsageError
    from zkg.cli.common import open_store as _open_store
    from zkg.curation.changelog import ChangeLog
    from zkg.curation.changesets import to_rdf_patch
    from zkg.curation.history import catch_up_log, history, recent_changes
    from zkg.rdf.display import table
    from zkg.rdf.prefixes import compact

    store = _open_store(settings)
    log = ChangeLog.for_store(store)
    if args.patch:
        catch_up_log(store, log)
        entry = log.entry(args.patch)
        if entry is None:
            raise UsageError(f"no changeset {args.patch} in the change log")
        _write(
            to_rdf_patch(entry.changeset).rstrip("\n") + (f"\n# {entry.status}" if entry.status != "committed" else "")
        )
        return 0
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    if args.entity:
        entries = history(store, _expand(args.entity, store.prefixes), log=log, limit=args.limit)
    else:
        entries = recent_changes(store, args.limit, log=log)
    rows = []
    for e in entries:
        notes = []
        if e.reverts:
            notes.append(f"reverts {e.reverts}")
        if e.reverted_by:
            notes.append(f"reverted by {e.reverted_by}")
        source = compact(e.source, store.prefixes) if "://" in e.source else e.source
        rows.append(
            [
                e.id,
                e.time.isoformat(timespec="seconds"),
                e.agent_label or compact(e.agent, store.prefixes),
                f"+{e.added} -{e.removed}",
                source,
                e.message,
                "; ".join(notes),
            ]
        )
    if rows:
        _write(table(["id", "time", "by", "change", "source", "message", "notes"], rows))
    _write(f"({len(rows)} changeset{'' if len(rows) == 1 else 's'})")
    return 0


# -- token --------------------------------------------------------------------------------------------------


def configure_token(parser: argparse.ArgumentParser) -> None:
    from zkg.cli.common import Parser as _Parser

    actions = parser.add_subparsers(dest="token_action", metavar="ACTION", required=True, parser_class=_Parser)
    create = actions.add_parser("create", help="make a token and print it (once)")
    create.add_argument("name", help="whose token (letters, digits, . _ - @)")
    create.add_argument("--read-only", action="store_true", help="a token that may read but not write")
    actions.add_parser("list", help="the tokens (names, scopes, dates; never the secrets)")
    revoke = actions.add_parser("revoke", help="delete a token")
    revoke.add_argument("name")


def run_token(args, settings: Settings) -> int:
    from zkg.curation import tokens

    data = settings.data
    if args.token_action == "create":
        scope = tokens.READ if args.read_only else tokens.WRITE
        secret = tokens.create(data, args.name, scope=scope)
        print(f"token {args.name!r} ({scope}) created; it is shown this once, keep it secret:", file=sys.stderr)
        _write(secret)
    elif args.token_action == "list":
        from zkg.rdf.display import table

        found = tokens.list_tokens(data)
        if found:
            _write(table(["name", "scope", "created"], [[t.name, t.scope, t.created.isoformat()] for t in found]))
        _write(f"({len(found)} token{'' if len(found) == 1 else 's'})")
    else:
        tokens.revoke(data, args.name)
        _write(f"revoked token {args.name!r}")
    return 0
