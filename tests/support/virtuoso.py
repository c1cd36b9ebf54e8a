"""A throwaway Virtuoso Open Source 7 on loopback, for the tests that run zkg in front of it.

Debian's ``virtuoso-opensource-7-bin`` gives ``virtuoso-t`` (the server) and ``isql-vt`` (its
SQL client) but no configuration: :func:`write_ini` writes one for a fresh database directory,
both ports (ISQL, HTTP) on 127.0.0.1, the SPARQL endpoint at ``/sparql``. Data is loaded the
way the docs tell a user (docs/operations/serving.md): N-Quads in a directory the ini allows,
then Virtuoso's bulk loader (``ld_dir``, ``rdf_loader_run``, ``checkpoint``) through isql.

Without the two programs the tests that need them fail, saying what to install (as the
browser tests do without Chromium): no test is skipped, and ``.ci/run`` installs them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from zkg.store.engine_profiles import VIRTUOSO
from zkg.store.managed_engine import free_port

SERVER = "virtuoso-t"
ISQL = "isql-vt"
#: The docs' script making Virtuoso's own graphs private (read by no user of the endpoint).
PRIVATE_GRAPHS_SQL = Path(__file__).resolve().parents[2] / "deploy" / "virtuoso-private-graphs.sql"
#: The ini's [SPARQL] row cap and time limit (seconds), larger than anything the tests ask.
#: (Its MaxQueryCostEstimationTime is 0, no refusal by estimate: Virtuoso's estimate refuses
#: zkg's own small queries, the history's among them, as "exceeds the limit of 400 (sec)".)
RESULT_ROWS = 100000
QUERY_SECONDS = 60


def programs() -> tuple[str, str]:
    """The paths of ``virtuoso-t`` and ``isql-vt``; a failure without them (never a skip)."""
    server, isql = shutil.which(SERVER), shutil.which(ISQL)
    if server is None or isql is None:
        pytest.fail(
            "the Virtuoso tests need virtuoso-t and isql-vt: apt-get install --no-install-recommends "
            "virtuoso-opensource-7-bin virtuoso-opensource-7-common (.ci/run does)"
        )
    return server, isql


def write_ini(
    folder: Path,
    *,
    isql_port: int,
    http_port: int,
    query_seconds: int = QUERY_SECONDS,
    result_rows: int = RESULT_ROWS,
) -> Path:
    """A virtuoso.ini for a database in ``folder``, listening on loopback only;
    ``query_seconds``: its ``MaxQueryExecutionTime`` (set to zkg's time limit, as the docs say);
    ``result_rows``: its row cap (``ResultSetMaxRows``)."""
    ini = folder / "virtuoso.ini"
    ini.write_text(
        f"""[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = ., {folder}
TempDir = {folder}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 10
MaxClientConnections = 10

[SPARQL]
ResultSetMaxRows = {result_rows}
MaxQueryExecutionTime = {query_seconds}
MaxQueryCostEstimationTime = 0
""",
        encoding="utf-8",
    )
    return ini


def answering(url: str) -> bool:
    """Whether the SPARQL endpoint at ``url`` answers a GET query (never a direct POST:
    Virtuoso 7.2.5 leaves those unanswered)."""
    try:
        with urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2) as answer:
            return answer.status == 200
    except (OSError, urllib.error.URLError):
        return False


class Virtuoso:
    """A running ``virtuoso-t`` on a fresh database in ``folder``; :attr:`sparql_url` is its
    endpoint. :meth:`stop` ends it. ``result_rows``: the engine's row cap (see :func:`write_ini`);
    ``private``: its own graphs made private, as the docs' recipe does (:meth:`hide_own_graphs`)."""

    def __init__(
        self,
        folder: Path,
        *,
        timeout: float = 90.0,
        query_seconds: int = QUERY_SECONDS,
        result_rows: int = RESULT_ROWS,
        private: bool = True,
    ):
        server, self._isql = programs()
        self.folder = folder
        self.isql_port, self.http_port = free_port(), free_port()
        while self.http_port == self.isql_port:
            self.http_port = free_port()
        ini = write_ini(
            folder,
            isql_port=self.isql_port,
            http_port=self.http_port,
            query_seconds=query_seconds,
            result_rows=result_rows,
        )
        self.sparql_url = f"http://127.0.0.1:{self.http_port}/sparql"
        #: The endpoint that asks for HTTP Digest authentication (user ``dba``, password ``dba``).
        self.sparql_auth_url = self.sparql_url + "-auth"
        self._process = subprocess.Popen(
            [server, "-f", "-c", str(ini)],  # -f: in the foreground, a child of this process
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not answering(self.sparql_url):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = (
                    (folder / "virtuoso.log").read_text(errors="replace")[-2000:]
                    if (folder / "virtuoso.log").exists()
                    else ""
                )
                raise AssertionError(f"Virtuoso did not start on 127.0.0.1:{self.http_port}\n{log}")
            time.sleep(0.2)
        if private:
            try:
                self.hide_own_graphs()
            except BaseException:
                self.stop()
                raise

    def own_graphs(self) -> list[str]:
        """Virtuoso's own graphs that its endpoint shows (the profile's question, as zkg asks it)."""
        query = urllib.parse.urlencode({"query": VIRTUOSO.own_graphs_query})
        request = urllib.request.Request(
            f"{self.sparql_url}?{query}", headers={"Accept": "application/sparql-results+json"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            rows = json.load(answer)["results"]["bindings"]
        return sorted(row["g"]["value"] for row in rows if "g" in row)

    def hide_own_graphs(self) -> None:
        """Make Virtuoso's own graphs private with the docs' script (deploy/virtuoso-private-graphs.sql,
        as the README's recipe runs it): out of the endpoint's default graph and named graphs."""
        done = subprocess.run(
            [self._isql, f"127.0.0.1:{self.isql_port}", "dba", "dba", str(PRIVATE_GRAPHS_SQL)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0 and "*** Error" not in done.stdout + done.stderr, done.stdout + done.stderr

    def isql(self, *statements: str) -> str:
        """Run SQL statements as ``dba`` (the password of a fresh database); their output."""
        done = subprocess.run(
            [self._isql, f"127.0.0.1:{self.isql_port}", "dba", "dba", "exec=" + " ".join(statements)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0 and "*** Error" not in done.stdout + done.stderr, done.stdout + done.stderr
        return done.stdout

    def load_nquads(self, data: bytes, *, name: str = "data.nq") -> None:
        """Load N-Quads with the bulk loader (each quad into its graph); committed to disk."""
        folder = self.folder / "load"
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
        self.isql(f"ld_dir('{folder}', '{name}', 'urn:x-zkg:default');", "rdf_loader_run();", "checkpoint;")
        state = self.isql(f"SELECT ll_state, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_file LIKE '%/{name}';")
        assert "NULL" in state, f"the bulk loader failed on {name}: {state}"

    @property
    def pid(self) -> int:
        """The server's process id (its CPU time tells whether it still works on a query)."""
        return self._process.pid

    def grant_updates(self) -> None:
        """Let ``/sparql`` take SPARQL Update (as the docs tell a user to: its anonymous user
        ``SPARQL`` may then write, so keep the port private; or use ``/sparql-auth``)."""
        self.isql('GRANT SPARQL_UPDATE TO "SPARQL";')

    def create_zkg_user(self, name: str, password: str) -> None:
        """A Virtuoso user for zkg at ``/sparql-auth`` (Digest), as docs/operations/serving.md
        tells a user to make one: it may update, read and write the data's graphs, and reads
        none of Virtuoso's private ones (``dba`` reads them all, which zkg refuses)."""
        self.isql(
            f"DB.DBA.USER_CREATE('{name}', '{password}');",
            f'GRANT SPARQL_UPDATE TO "{name}";',
            f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{name}', 0, 1);",
            f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{name}', 3, 0);",
        )

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
