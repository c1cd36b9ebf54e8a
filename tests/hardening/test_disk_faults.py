"""Disk faults: a full disk and a read-only data directory give a clear error and no corruption.

The faults are real, from the kernel (ENOSPC, EROFS), not mocks: the subjects (``zkg``
commands, ``zkg serve`` and its engine) run in a private mount namespace
(tests/support/mount_namespace.py) where the data directory is a small tmpfs, filled to the last byte
by a filler file, or a read-only bind mount. Nothing is mounted on the host; the namespace and
its tmpfs vanish at the end of each test. The promises checked:

- a write that does not fit is refused (CLI: exit 1 and one ``zkg: error: no space left on
  device …`` line; HTTP: 507 with that sentence), never a traceback or a 500, and it leaves
  nothing: not in the store, and in the change log at most an aborted entry;
- the one write that lands while the disk is full (only the change log's commit mark found no
  room) is acknowledged, as it is durable, and committed in the log by the next reconcile;
- reads go on while the disk is full (CLI queries; the server's queries, pages and dumps);
- once space is freed, writes work again (the server's engine restarts by itself: RocksDB
  refuses every write after one failed until reopened), and after a restart the store opens,
  ``zkg validate`` passes, every acknowledged changeset is there and committed, and the
  store's changeset graphs match the change log's committed entries;
- ``zkg load`` on a full disk fails the same way and the previous store keeps its contents;
- on a read-only data directory ``zkg query``, ``zkg validate``, ``zkg export`` and
  ``zkg serve`` work read-only; ``zkg load``, curation writes (CLI and HTTP: 503) and
  ``zkg token create`` are refused with one clear line, and not a byte changes.

Needs root with util-linux (``unshare``, ``nsenter``, ``mount``), as CI has; without them the
tests fail, saying what is missing.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import math
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import requests

from tests.support.live_server import LiveServer, zkg_env
from tests.support.mount_namespace import MountNamespace, NamespaceUnavailable, fill, free_bytes
from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.curation.changelog import ABORTED, COMMITTED, ChangeLog
from zkg.store.local import Store

pytestmark = pytest.mark.slow

#: Statements per test changeset, with long literals: its change-log entry (about 12 kB) is
#: larger than the slack a full tmpfs may leave in the last page of a file.
QUADS = 60
VALUE = f"{TEST_BASE}def/diskFaultValue"
PADDING = "x" * 120
DISK_SIZE = "16m"  # leaves more than zkg.store.managed_engine.RESUME_FREE_BYTES once the filler goes
NO_SPACE = "no space left on device"


# -- the namespace, the data directory, the commands ------------------------------------------------


@contextlib.contextmanager
def mount_namespace():
    try:
        namespace = MountNamespace()
    except NamespaceUnavailable as error:
        pytest.fail(f"the disk-fault tests need a private mount namespace (root, util-linux): {error}")
    try:
        yield namespace
    finally:
        namespace.close()


def zkg(ns: MountNamespace, data: Path, *args: str):
    return ns.run(
        sys.executable, "-m", "zkg.cli.main", "--data", str(data), "--base-iri", TEST_BASE, *args, env=zkg_env()
    )


def load_fixture(ns: MountNamespace, data: Path, graph_dir: Path = FIXTURE_PROJECT / "graph"):
    return zkg(ns, data, "load", "--graph-dir", str(graph_dir), "--ontology-dir", str(FIXTURE_PROJECT / "ontology"))


def data_on_disk(ns: MountNamespace, tmp_path: Path, *, store_disk: bool = False) -> Path:
    """A data directory on a small tmpfs (``disk/data``), loaded with the fixture project;
    with ``store_disk``, its ``store/`` is a tmpfs of its own (to fill one without the other)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    ns.mount_tmpfs(disk, DISK_SIZE)
    data = disk / "data"
    if store_disk:
        ns.path(data / "store").mkdir(parents=True)
        ns.mount_tmpfs(data / "store", DISK_SIZE)
    done = load_fixture(ns, data)
    assert done.returncode == 0, done.stderr
    return data


def statements(tag: str) -> str:
    """QUADS N-Triples statements marked with ``tag`` (in their subjects and values)."""
    return "".join(f'<{TEST_BASE}id/disk-{tag}-{i}> <{VALUE}> "{tag}.{i} {PADDING}" .\n' for i in range(QUADS))


def cli_add(ns: MountNamespace, data: Path, tmp_path: Path, tag: str):
    source = tmp_path / f"{tag}.nt"
    source.write_text(statements(tag), encoding="utf-8")
    return zkg(
        ns,
        data,
        "add",
        str(source),
        "--source",
        "https://example.org/disk-faults",
        "--by",
        "Disk Tester",
        "--message",
        f"disk fault test {tag}",
    )


def committed_id(done) -> str:
    assert done.returncode == 0, done.stderr
    match = re.search(r"committed changeset (\S+) ", done.stdout)
    assert match, done.stdout
    return match.group(1)


def assert_one_line_error(done, beginning: str) -> str:
    """Exit 1 and a single ``zkg: error: <beginning>…`` line on stderr (no traceback)."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"zkg: error: {beginning}"), done.stderr
    return lines[0]


# -- what must hold afterwards ----------------------------------------------------------------------------


def tags_in_store(store) -> dict[str, int]:
    rows = store.query(f"SELECT ?o WHERE {{ GRAPH ?g {{ ?s <{VALUE}> ?o }} }}")
    found: dict[str, int] = {}
    for row in rows:
        tag = row["o"].value.split(".", 1)[0]
        found[tag] = found.get(tag, 0) + 1
    return found


def check_store_matches_log(data: Path, acked: dict[str, str], refused: list[str]) -> None:
    """Reopen and reconcile (as the next write would); then: every entry settled, every
    acknowledged changeset (id -> tag) committed and all there, every refused tag absent from
    the store and from every committed entry, and the store's changeset graphs holding test
    statements are exactly the committed entries adding them (tests/hardening/test_crash_stream.py)."""
    store = Store.open(data, base_iri=TEST_BASE)
    try:
        log = ChangeLog.for_store(store)
        log.reconcile(store)
        entries = {e.id: e for e in log.entries()}
        assert all(e.status in (COMMITTED, ABORTED) for e in entries.values()), "an unsettled entry after reconcile"
        committed = {i for i, e in entries.items() if e.status == COMMITTED}
        found = tags_in_store(store)
        for changeset_id, tag in acked.items():
            assert changeset_id in committed, f"acknowledged changeset {changeset_id} is not committed in the log"
            assert store.count(f"{TEST_BASE}graph/changes/{changeset_id}") == QUADS, f"{changeset_id} not all there"
            assert found.get(tag) == QUADS
        for tag in refused:
            assert tag not in found, f"the refused write {tag} left {found.get(tag)} statements in the store"
            for changeset_id in committed:
                values = {
                    q.object.value.split(".", 1)[0]
                    for q in entries[changeset_id].changeset.additions
                    if q.predicate.value == VALUE
                }
                assert tag not in values, f"the refused write {tag} is committed in the log as {changeset_id}"
        rows = store.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s <{VALUE}> ?o }} }}")
        in_store = {row["g"].value.rsplit("/", 1)[-1] for row in rows}
        logged = {i for i in committed if any(q.predicate.value == VALUE for q in entries[i].changeset.additions)}
        assert in_store == logged
        assert set(acked) <= in_store
    finally:
        store.close()


def snapshot(directory: Path) -> dict[str, str]:
    """Every file below ``directory`` with the sha256 of its content."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


# -- HTTP --------------------------------------------------------------------------------------------------


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    """(status, headers, text) of one request; redirects followed, errors are answers too."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.headers, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode("utf-8", "replace")


def http_update(server: LiveServer, token: str, tag: str):
    text = "INSERT DATA {\n" + statements(tag) + "}"
    return http(
        "POST",
        server.sparql,
        text.encode("utf-8"),
        {
            "Content-Type": "application/sparql-update",
            "Authorization": f"Bearer {token}",
            "ZKG-Source": "https://example.org/disk-faults",
            "ZKG-Message": f"disk fault test {tag}",
        },
    )


def assert_reads_work(server: LiveServer, *, dump: bool = False) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    status, _, text = http(
        "GET", server.sparql + "?" + urllib.parse.urlencode({"query": query}), headers={"Accept": "text/csv"}
    )
    assert status == 200 and int(text.split()[1]) > 0, (status, text)
    status, _, text = http("GET", server.url + "id/alice", headers={"Accept": "text/html"})
    assert status == 200 and "Alice" in text, status
    if dump:
        with urllib.request.urlopen(server.url + "dumps/zkg.nq.gz", timeout=60) as answer:
            quads = gzip.decompress(answer.read()).decode("utf-8")
        assert f"<{TEST_BASE}id/alice>" in quads


def start_server(ns: MountNamespace, data: Path, tmp_path: Path, name: str) -> LiveServer:
    return LiveServer(
        data,
        base_iri=TEST_BASE,
        prefix=ns.prefix,
        log_path=tmp_path / f"{name}.log",
        options=("--workers", "2", "--threads", "4"),
    )


def wait_for_new_engine(server: LiveServer, old: list[int], limit: float = 60.0) -> None:
    """Until the server's engine process is another one than ``old`` (bounded generously)."""
    deadline = time.monotonic() + limit
    while True:
        now = server.engine_pids()
        if now and set(now).isdisjoint(old):
            return
        assert time.monotonic() < deadline, f"the engine was not restarted once the disk had room: {server.log()}"
        time.sleep(0.1)


# -- 1. curation writes on a full disk ----------------------------------------------------------------------


@pytest.mark.parametrize("full", ["whole disk", "change log only"])
def test_a_cli_write_on_a_full_disk_is_refused_in_one_line_and_leaves_nothing(tmp_path, full):
    """``whole disk``: the data directory and its store share one full tmpfs (the store cannot
    even be opened for writing: it is read read-only, the write refused at once). ``change log
    only``: the store has room, the change log's disk is full (the entry cannot be appended)."""
    with mount_namespace() as ns:
        data = data_on_disk(ns, tmp_path, store_disk=full == "change log only")
        acked = {committed_id(cli_add(ns, data, tmp_path, "cli-0")): "cli-0"}
        fill(ns.path(data.parent / "filler"))
        assert free_bytes(ns.path(data)) == 0

        refused = cli_add(ns, data, tmp_path, "cli-1")
        line = assert_one_line_error(refused, NO_SPACE)
        assert str(data) in line and "nothing was written" in line
        count = zkg(ns, data, "query", f"SELECT (COUNT(*) AS ?n) {{ ?s <{VALUE}> ?o }}", "--format", "csv")
        assert count.returncode == 0 and count.stdout.split() == ["n", str(QUADS)], count.stderr  # reads go on

        ns.path(data.parent / "filler").unlink()
        acked[committed_id(cli_add(ns, data, tmp_path, "cli-2"))] = "cli-2"
        validate = zkg(ns, data, "validate")
        assert validate.returncode == 0, validate.stdout + validate.stderr
        check_store_matches_log(ns.path(data), acked, ["cli-1"])


def test_a_live_server_refuses_writes_on_a_full_disk_with_507_serves_reads_and_recovers(tmp_path):
    """The store's disk fills first (the engine's write fails: the log entry is aborted), then
    the whole disk (the change log's append fails before the engine is asked); the server is
    restarted on the full disk (its engine, which cannot open the store for writing, serves
    it read-only). Reads go on throughout; freeing the space is enough for writes to work
    again (the engine is restarted); afterwards everything is in order."""
    with mount_namespace() as ns:
        data = data_on_disk(ns, tmp_path, store_disk=True)
        token = zkg(ns, data, "token", "create", "disk-tester").stdout.strip()
        store_filler, disk_filler = ns.path(data / "store" / ".filler"), ns.path(data.parent / "filler")
        acked: dict[str, str] = {}
        refused: list[str] = []

        def write(tag: str, expected: int) -> None:
            status, headers, text = http_update(server, token, tag)
            assert status == expected, (tag, status, text)
            if expected == 200:
                acked[headers["ZKG-Changeset"]] = tag
            else:
                assert text.startswith(f"the store cannot take the write: {NO_SPACE} in the data directory {data}")
                assert "ZKG-Changeset" not in headers
                refused.append(tag)

        server = start_server(ns, data, tmp_path, "serve-1")
        try:
            write("live-0", 200)
            fill(store_filler)  # the engine cannot write, the change log can
            engines = server.engine_pids()
            write("live-1", 507)
            assert_reads_work(server)
            store_filler.unlink()  # room again: the engine, refusing every write since, restarts
            wait_for_new_engine(server, engines)
            write("live-2", 200)
            fill(store_filler)
            fill(disk_filler)  # the whole disk: the change log cannot be appended to
            write("live-3", 507)
            assert_reads_work(server, dump=True)  # the dump cannot be kept on disk: served from memory
            assert not list(ns.path(data / "dumps").glob("*.tmp"))
        finally:
            server.stop()
        server = start_server(ns, data, tmp_path, "serve-2")  # on the full disk
        try:
            assert_reads_work(server)
            write("live-4", 507)
            engines = server.engine_pids()
            store_filler.unlink()
            disk_filler.unlink()
            wait_for_new_engine(server, engines)  # the read-only engine gives way to a writable one
            write("live-5", 200)
        finally:
            server.stop()
        logs = {name: (tmp_path / f"{name}.log").read_text(encoding="utf-8") for name in ("serve-1", "serve-2")}
        assert "has room again" in logs["serve-1"], logs
        assert f"serving read-only: {NO_SPACE}" in logs["serve-2"], logs
        assert not any("Traceback" in log or "internal error" in log for log in logs.values()), logs

        validate = zkg(ns, data, "validate")
        assert validate.returncode == 0, validate.stdout + validate.stderr
        check_store_matches_log(ns.path(data), acked, refused)


def test_a_write_whose_commit_mark_finds_no_room_is_acknowledged_and_committed_later(tmp_path):
    """The rare case in between: the log entry fits to its last byte, the store (another disk
    here) takes the update, and only the commit mark finds no room. The changeset is durable
    then (the store has it, the log its whole entry), so the write is acknowledged and the
    entry stays pending until the next reconcile, the first step of the next write, commits it.
    In process, for the byte-exact arithmetic: the entry is made to end on a page boundary
    of the full tmpfs."""
    import pyoxigraph as ox

    from zkg.curation.apply import apply_changeset
    from zkg.curation.changelog import PENDING
    from zkg.curation.changesets import Changeset, to_rdf_patch

    page = 4096  # tmpfs allocates whole pages
    with mount_namespace() as ns:
        data = data_on_disk(ns, tmp_path, store_disk=True)
        here = ns.path(data)
        store = Store.open(here, base_iri=TEST_BASE)
        try:
            log = ChangeLog.for_store(store)
            additions = [
                ox.Quad(
                    ox.NamedNode(f"{TEST_BASE}id/disk-mark-{i}"),
                    ox.NamedNode(VALUE),
                    ox.Literal(f"mark.{i} {PADDING}"),
                    ox.DefaultGraph(),
                )
                for i in range(QUADS)
            ]
            changeset = Changeset.new(
                base_iri=TEST_BASE, agent="Disk Tester", source="https://example.org/disk", additions=additions
            )
            entry = len(to_rdf_patch(changeset, transaction=True).encode("utf-8")) - len("TC .\n")
            # Pad the log with a comment line so that the entry ends on a page boundary.
            size = (here / "changes.rdfp").stat().st_size if (here / "changes.rdfp").exists() else 0
            pad = -(size + entry) % page
            pad += page if pad == 1 else 0
            with open(here / "changes.rdfp", "ab") as handle:
                handle.write(b"#" + b" " * (pad - 2) + b"\n" if pad else b"")
            # Fill the disk, then give back exactly the pages the entry needs.
            pages = (size + pad + entry) // page - math.ceil((size + pad) / page)
            filler = ns.path(data.parent / "filler")
            fill(filler)
            with open(filler, "r+b") as handle:
                handle.truncate(filler.stat().st_size // page * page - pages * page)
            extra = free_bytes(here) - pages * page
            if extra > 0:
                (ns.path(data.parent / "filler-2")).write_bytes(b"\0" * extra)
            assert free_bytes(here) == pages * page

            outcome = apply_changeset(store, changeset, log=log)
            assert outcome.committed
            assert free_bytes(here) == 0
            pending = log.entry(changeset.id)
            assert pending is not None and pending.status == PENDING, "the commit mark fitted after all"
            assert store.count(changeset.graph) == QUADS
        finally:
            store.close()
        filler.unlink()
        check_store_matches_log(here, {changeset.id: "mark"}, [])


# -- 2. zkg load on a full disk -------------------------------------------------------------------------------


def test_zkg_load_on_a_full_disk_fails_in_one_line_and_the_old_store_keeps_its_contents(tmp_path):
    with mount_namespace() as ns:
        data = data_on_disk(ns, tmp_path)
        before = zkg(ns, data, "export", "--format", "nquads")
        assert before.returncode == 0
        record = ns.path(data / "zkg.json").read_bytes()
        more = tmp_path / "graph"  # the fixture's graphs and one more, larger than any slack
        (more / "sources").mkdir(parents=True)
        for name in ("metadata.trig", "sources/example-source.trig"):
            (more / name).write_bytes((FIXTURE_PROJECT / "graph" / name).read_bytes())
        (more / "sources" / "more.trig").write_text(
            f"<{TEST_BASE}graph/more> {{\n{statements('load')}}}\n", encoding="utf-8"
        )
        fill(ns.path(data.parent / "filler"))

        assert_one_line_error(load_fixture(ns, data, more), NO_SPACE)
        assert_one_line_error(load_fixture(ns, data.parent / "new", more), NO_SPACE)  # a new store: the same

        ns.path(data.parent / "filler").unlink()
        after = zkg(ns, data, "export", "--format", "nquads")
        assert after.returncode == 0 and after.stdout == before.stdout, after.stderr
        assert ns.path(data / "zkg.json").read_bytes() == record
        assert_one_line_error(zkg(ns, data.parent / "new", "query", "ASK { ?s ?p ?o }"), "no store at")
        assert load_fixture(ns, data, more).returncode == 0  # and it loads once there is room
        count = zkg(ns, data, "query", f"SELECT (COUNT(*) AS ?n) {{ ?s <{VALUE}> ?o }}", "--format", "csv")
        assert count.stdout.split() == ["n", str(QUADS)], count.stderr


# -- 3. a read-only data directory ---------------------------------------------------------------------------


def read_only_data(ns: MountNamespace, tmp_path: Path) -> tuple[Path, str]:
    """A loaded data directory with a write token and one changeset, then mounted read-only."""
    data = tmp_path / "data"
    assert load_fixture(ns, data).returncode == 0
    token = zkg(ns, data, "token", "create", "ro-tester").stdout.strip()
    committed_id(cli_add(ns, data, tmp_path, "ro-0"))
    ns.mount_read_only(data)
    return data, token


def test_the_cli_reads_a_read_only_data_directory_and_refuses_to_write_it(tmp_path):
    with mount_namespace() as ns:
        data, _ = read_only_data(ns, tmp_path)
        before = snapshot(ns.path(data))

        count = zkg(ns, data, "query", f"SELECT (COUNT(*) AS ?n) {{ ?s <{VALUE}> ?o }}", "--format", "csv")
        assert count.returncode == 0 and count.stdout.split() == ["n", str(QUADS)], count.stderr
        validate = zkg(ns, data, "validate")
        assert validate.returncode == 0 and "conforms" in validate.stdout, validate.stderr
        export = zkg(ns, data, "export", "--format", "nquads")
        assert export.returncode == 0 and "ro-0.0" in export.stdout
        history = zkg(ns, data, "log")
        assert history.returncode == 0 and "(1 changeset)" in history.stdout, history.stderr
        (tmp_path / "ro-dry.nt").write_text(statements("ro-dry"), encoding="utf-8")
        dry = zkg(
            ns, data, "add", str(tmp_path / "ro-dry.nt"), "--source", "https://example.org/x", "--by", "T", "--dry-run"
        )
        assert dry.returncode == 0 and "nothing was written" in dry.stdout, dry.stderr

        read_only = f"the data directory {data} is read-only"
        assert_one_line_error(load_fixture(ns, data), read_only)
        assert_one_line_error(cli_add(ns, data, tmp_path, "ro-1"), read_only)
        assert_one_line_error(zkg(ns, data, "token", "create", "another"), read_only)
        assert snapshot(ns.path(data)) == before


def test_zkg_serve_serves_a_read_only_data_directory_and_refuses_writes_with_503(tmp_path):
    with mount_namespace() as ns:
        data, token = read_only_data(ns, tmp_path)
        before = snapshot(ns.path(data))
        server = start_server(ns, data, tmp_path, "serve-ro")
        try:
            assert_reads_work(server, dump=True)
            status, headers, text = http_update(server, token, "ro-2")
            assert status == 503 and f"the data directory {data} is read-only" in text, (status, text)
            assert "ZKG-Changeset" not in headers
            graph = urllib.parse.quote(f"{TEST_BASE}graph/disk-test", safe="")
            status, _, text = http(
                "PUT",
                f"{server.url}graph-store?graph={graph}",
                f'<{TEST_BASE}id/x> <{VALUE}> "y" .'.encode(),
                {
                    "Content-Type": "application/n-triples",
                    "Authorization": f"Bearer {token}",
                    "ZKG-Source": "https://example.org/disk-faults",
                },
            )
            assert status == 503 and "read-only" in text, (status, text)
            # Signing in records a session in the data directory: refused, and said so. (One
            # kept-alive connection: without a session.key each worker signs with its own key.)
            browser = requests.Session()
            form = browser.get(server.url + "sign-in", timeout=30).text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            signed = browser.post(
                server.url + "sign-in", data={"token": token, "csrf_token": csrf}, allow_redirects=False, timeout=30
            )
            assert signed.status_code == 503 and "cannot record the session" in signed.text, signed.text
        finally:
            server.stop()
        log = Path(server.log_path).read_text(encoding="utf-8")
        assert "serving read-only" in log and "Traceback" not in log, log
        assert snapshot(ns.path(data)) == before
