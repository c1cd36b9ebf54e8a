"""Settings: one frozen value built from defaults, then environment variables, then overrides.

Every setting has an environment variable; command-line options (the CLI passes them as
overrides) win over the environment, which wins over the defaults.

=======================  ===========================  ===========================================
setting                  environment variable         default
=======================  ===========================  ===========================================
base_iri                 ZKG_BASE_IRI                 where zkg serves: ``http://localhost:<port>/``
data                     ZKG_DATA                     ``./zkg-data``
graph_dir                ZKG_GRAPH_DIR                the ``graph/`` folder (see resource_dir)
ontology_dir             ZKG_ONTOLOGY_DIR             the ``ontology/`` folder
host                     ZKG_HOST                     ``127.0.0.1`` (web server)
port                     ZKG_PORT                     ``8080`` (web server)
query_timeout            ZKG_QUERY_TIMEOUT            ``30`` seconds (web server)
row_limit                ZKG_ROW_LIMIT                ``10000`` rows (web server)
max_request_bytes        ZKG_MAX_REQUEST_BYTES        ``1000000`` bytes (web server)
cache_bytes              ZKG_CACHE_BYTES              ``134217728`` bytes (128 MiB, per web process)
connections_per_client   ZKG_CONNECTIONS_PER_CLIENT   ``32`` open connections (0: no limit)
request_read_timeout     ZKG_REQUEST_READ_TIMEOUT     ``20`` seconds to send a whole request
rate_limit               ZKG_RATE_LIMIT               ``6000`` requests a minute per client (0: off)
workers                  ZKG_WORKERS                  one worker process per core (``zkg serve``)
store_spec               ZKG_STORE                    none: the managed engine (``zkg serve --store``)
update_url               ZKG_UPDATE_URL               none: derived from the query URL
engine                   ZKG_ENGINE                   ``auto``: the remote engine recognised by its answer
oxigraph                 ZKG_OXIGRAPH                 the ``oxigraph`` program beside Python, else on PATH
answer_cache             ZKG_ANSWER_CACHE             on (``0``: off, for benchmarks of the engine path)
debug                    ZKG_DEBUG                    off (on: tracebacks of unexpected CLI errors)
behind_proxy             ZKG_BEHIND_PROXY             off (on: the base IRI is served by a proxy)
=======================  ===========================  ===========================================

The default base IRI follows the address zkg is told to serve on, so that every IRI in the data
dereferences there: ``http://localhost:<port>/`` (``http://localhost/`` on port 80) when the
host is a loopback or wildcard address, ``http://<host>:<port>/`` otherwise; ``--port 0``
(any free port) has no address to follow and keeps ``http://localhost:8080/``.

``ZKG_WORKER_CONFIG`` is no setting: ``zkg serve`` hands each worker process its
configuration through it (:mod:`zkg.serve.workers`).

>>> s = Settings.from_env(environ={}, base_iri="https://zkg.example/")
>>> s.base_iri, s.port
('https://zkg.example/', 8080)
>>> Settings.from_env(environ={"ZKG_PORT": "9000"}).base_iri
'http://localhost:9000/'
>>> Settings.from_env(environ={"ZKG_PORT": "abc"})
Traceback (most recent call last):
...
zkg.base.errors.SettingsError: ZKG_PORT must be an integer, got 'abc'
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from zkg.base.errors import SettingsError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # zkg/, from zkg/base/


def resource_dir(name: str) -> Path:
    """Where the project's ``ontology`` or ``graph`` folder is.

    In a source or editable checkout that is the repository root (next to pyproject.toml);
    in an installed wheel it is the copy packaged under ``zkg/_resources/``.
    """
    repo_root = _PACKAGE_DIR.parent
    in_checkout = repo_root / name
    if (repo_root / "pyproject.toml").is_file() and in_checkout.is_dir():
        return in_checkout
    return _PACKAGE_DIR / "_resources" / name


def _check_base_iri(value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or not value.endswith("/")
        or any(c.isspace() or c in '<>"{}|\\^`' for c in value)
    ):
        raise ValueError(f"must be an absolute http(s) IRI ending with '/', got {value!r}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"must be an integer, got {value!r}") from None


def _positive_int(value: Any) -> int:
    number = _int(value)
    if number <= 0:
        raise ValueError(f"must be a positive integer, got {value!r}")
    return number


def _count(value: Any) -> int:
    number = _int(value)
    if number < 0:
        raise ValueError(f"must be a whole number (0 disables it), got {value!r}")
    return number


def _port(value: Any) -> int:
    number = _int(value)
    if not 0 <= number <= 65535:
        raise ValueError(f"must be a port number between 0 and 65535, got {value!r}")
    return number


def _positive_float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number of seconds, got {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise ValueError(f"must be a positive number of seconds, got {value!r}")
    return number


def _optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``parse`` for a setting that may be absent (None, or only spaces)."""
    return lambda value: None if value is None or not str(value).strip() else parse(str(value).strip())


def _switch(value: Any) -> bool:
    """On unless ``0``, ``false``, ``no``, ``off`` or empty (any case)."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("", "0", "false", "no", "off")


def requests_per_minute(value: Any) -> int:
    """A rate limit (``ZKG_RATE_LIMIT``, or the app's config key of that name): 0 or more."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0:
        raise ValueError(f"must be a whole number of requests per minute (0 disables it), got {value!r}")
    return number


def debug_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``ZKG_DEBUG`` asks for tracebacks; for errors raised before the settings are
    built (a bad setting itself), read the same way as :attr:`Settings.debug`.

    >>> debug_requested({"ZKG_DEBUG": "1"}), debug_requested({"ZKG_DEBUG": "0"}), debug_requested({})
    (True, False, False)
    """
    environ = os.environ if environ is None else environ
    return _switch(environ.get("ZKG_DEBUG", ""))


#: The remote engines zkg has a profile for (:mod:`zkg.store.engine_profiles`), and ``auto``.
ENGINES = ("auto", "oxigraph", "virtuoso")


def _one_of(value: Any, choices: tuple[str, ...]) -> str:
    """``value`` (any case) when it is one of ``choices``.

    >>> _one_of(" Virtuoso", ENGINES)
    'virtuoso'
    """
    text = str(value).strip().lower()
    if text not in choices:
        raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
    return text


def _nonempty(value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def _path(value: Any) -> Path:
    return Path(_nonempty(value)).expanduser()


@dataclass(frozen=True)
class Settings:
    """The configuration of one zkg process. Build it with :meth:`from_env`."""

    base_iri: str
    data: Path
    graph_dir: Path
    ontology_dir: Path
    host: str
    port: int
    query_timeout: float
    row_limit: int
    max_request_bytes: int
    cache_bytes: int
    connections_per_client: int
    request_read_timeout: float
    rate_limit: int
    workers: int | None
    store_spec: str | None
    update_url: str | None
    engine: str
    oxigraph: str | None
    answer_cache: bool
    debug: bool
    behind_proxy: bool

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, overlaid by ``environ`` (default ``os.environ``), overlaid by ``overrides``.

        Overrides whose value is None are ignored, so a CLI can pass its options through
        unconditionally. A bad value raises :class:`~zkg.base.errors.SettingsError` (a
        ValueError) naming the variable or option.

        >>> Settings.from_env(environ={"ZKG_BASE_IRI": "ftp://x/"})
        Traceback (most recent call last):
        ...
        zkg.base.errors.SettingsError: ZKG_BASE_IRI must be an absolute http(s) IRI ending with '/', got 'ftp://x/'
        >>> Settings.from_env(environ={"ZKG_ROW_LIMIT": "5"}, row_limit=7).row_limit
        7
        """
        environ = os.environ if environ is None else environ
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, (env_name, default, parse) in _SPEC.items():
            if overrides.get(name) is not None:
                raw, source = overrides[name], "--" + name.replace("_", "-")
            elif environ.get(env_name, "").strip():
                raw, source = environ[env_name], env_name
            else:
                raw, source = default(), None
            try:
                values[name] = parse(raw) if raw is not None else None
            except ValueError as error:
                raise SettingsError(f"{source or name} {error}") from None
        if values["base_iri"] is None:
            values["base_iri"] = default_base_iri(values["host"], values["port"])
        return cls(**values)

    @staticmethod
    def variable(name: str) -> str:
        """The environment variable of the setting ``name``.

        >>> Settings.variable("row_limit"), Settings.variable("store_spec")
        ('ZKG_ROW_LIMIT', 'ZKG_STORE')
        """
        return _SPEC[name][0]

    @property
    def store_dir(self) -> Path:
        """The RocksDB directory of the store inside the data directory."""
        return self.data / "store"


_LOOPBACK_OR_ANY = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""}


def default_base_iri(host: str, port: int) -> str:
    """The base IRI that dereferences where zkg serves on ``host``:``port``.

    >>> default_base_iri("127.0.0.1", 8080), default_base_iri("0.0.0.0", 80)
    ('http://localhost:8080/', 'http://localhost/')
    >>> default_base_iri("zkg.example.org", 9000), default_base_iri("fe80::1", 0)
    ('http://zkg.example.org:9000/', 'http://localhost:8080/')
    """
    if port == 0:  # any free port: not known before serving, so no address to follow
        return "http://localhost:8080/"
    name = "localhost" if host.strip().lower() in _LOOPBACK_OR_ANY else host.strip()
    name = f"[{name}]" if ":" in name else name
    return f"http://{name}/" if port == 80 else f"http://{name}:{port}/"


# setting -> (environment variable, default factory, parser); the parser raises ValueError
# with the text that follows the variable's name in the message.
_SPEC: dict[str, tuple[str, Callable[[], Any], Callable[[Any], Any]]] = {
    # None: derived from host and port once they are known (default_base_iri).
    "base_iri": ("ZKG_BASE_IRI", lambda: None, lambda v: _check_base_iri(_nonempty(v))),
    "data": ("ZKG_DATA", lambda: "./zkg-data", _path),
    "graph_dir": ("ZKG_GRAPH_DIR", lambda: resource_dir("graph"), _path),
    "ontology_dir": ("ZKG_ONTOLOGY_DIR", lambda: resource_dir("ontology"), _path),
    "host": ("ZKG_HOST", lambda: "127.0.0.1", _nonempty),
    "port": ("ZKG_PORT", lambda: 8080, _port),
    "query_timeout": ("ZKG_QUERY_TIMEOUT", lambda: 30.0, _positive_float),
    "row_limit": ("ZKG_ROW_LIMIT", lambda: 10000, _positive_int),
    "max_request_bytes": ("ZKG_MAX_REQUEST_BYTES", lambda: 1_000_000, _positive_int),
    "cache_bytes": ("ZKG_CACHE_BYTES", lambda: 128 * 2**20, _positive_int),
    "connections_per_client": ("ZKG_CONNECTIONS_PER_CLIENT", lambda: 32, _count),
    "request_read_timeout": ("ZKG_REQUEST_READ_TIMEOUT", lambda: 20.0, _positive_float),
    "rate_limit": ("ZKG_RATE_LIMIT", lambda: 6000, requests_per_minute),
    "workers": ("ZKG_WORKERS", lambda: None, _optional(_positive_int)),
    "store_spec": ("ZKG_STORE", lambda: None, _optional(str)),
    "update_url": ("ZKG_UPDATE_URL", lambda: None, _optional(str)),
    "engine": ("ZKG_ENGINE", lambda: "auto", lambda v: _one_of(v, ENGINES)),
    "oxigraph": ("ZKG_OXIGRAPH", lambda: None, _optional(str)),
    "answer_cache": ("ZKG_ANSWER_CACHE", lambda: True, _switch),
    "debug": ("ZKG_DEBUG", lambda: False, _switch),
    "behind_proxy": ("ZKG_BEHIND_PROXY", lambda: False, _switch),
}
