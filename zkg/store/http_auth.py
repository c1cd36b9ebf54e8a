"""HTTP authentication to a SPARQL engine: Basic (RFC 7617) and Digest (RFC 7616).

A store setting ``sparql+http://user:password@host/path`` gives credentials; which scheme the
engine wants is its ``401``'s to say (``WWW-Authenticate``): Virtuoso's ``/sparql-auth``
asks for Digest, a proxy in front of Fuseki or Oxigraph for Basic. So nothing is sent before
the engine asks (a password never goes out as Basic to an engine that wanted Digest), and from
then on every request carries the answer:

- **Basic**: the user and password, sent with every request after the first challenge;
- **Digest**: ``MD5`` or ``SHA-256`` (and their ``-sess`` forms), ``qop=auth`` (or none, the
  old RFC 2069 way); the server's nonce is reused, each request with the next nonce count
  (``nc``) and a fresh client nonce, until the server says the nonce is ``stale``: then the
  new one is answered, with the same credentials.

A second challenge to credentials already answered (not stale) means they are wrong:
:meth:`HttpAuth.challenged` says so (False), and the store raises
:class:`EngineRefusedCredentials`.

>>> auth = HttpAuth("Mufasa", "Circle of Life")
>>> auth.authorization("GET", "/dir/index.html") is None  # nothing before the engine asks
True
>>> auth.challenged(['Digest realm="http-auth@example.org", qop="auth, auth-int", '
...                  'algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
...                  'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'])
True
>>> auth.client_nonce = lambda: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
>>> print(auth.authorization("GET", "/dir/index.html"))  # RFC 7616, section 3.9.1
Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
>>> "nc=00000002" in auth.authorization("GET", "/dir/index.html")  # the nonce reused, counted
True
>>> auth.challenged(['Digest realm="http-auth@example.org", nonce="7ypf", qop="auth"'])  # refused
False
>>> auth.challenged(['Digest realm="r", nonce="new", qop="auth", algorithm=SHA-256, stale=true'])
True
>>> answer = auth.authorization("POST", "/sparql")  # the new nonce, counted from 1, in SHA-256
>>> 'nonce="new"' in answer and "nc=00000001" in answer and "algorithm=SHA-256" in answer
True
>>> basic = HttpAuth("dba", "secret")
>>> basic.challenged(['Basic realm="zkg"']), basic.authorization("POST", "/query")
(True, 'Basic ZGJhOnNlY3JldA==')
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Callable, Iterable

from zkg.base.errors import StoreError


class EngineRefusedCredentials(StoreError):
    """The engine refused the credentials of the store setting, or asked for some and the
    setting has none (HTTP 503 at zkg's endpoint: the reader's request is not at fault)."""


#: Digest's hash functions by the algorithm's name (without ``-sess``).
_HASHES: dict[str, Callable[[bytes], "hashlib._Hash"]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
}
#: One auth-param of a challenge: ``name=token`` or ``name="quoted string"``.
_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)')
#: Where a challenge begins in a header that holds several: its scheme's name before a param.
_SCHEME = re.compile(r"(?:^|,)\s*([A-Za-z][A-Za-z0-9_-]*)(?=\s+[A-Za-z0-9_-]+\s*=|\s*(?:,|$))")


def parse_challenges(values: Iterable[str]) -> list[tuple[str, dict[str, str]]]:
    """(scheme in lower case, its parameters) of each challenge in ``WWW-Authenticate`` values.

    >>> parse_challenges(['Basic realm="a, b", Digest realm="r", nonce="n\\\\"x", qop="auth"'])
    [('basic', {'realm': 'a, b'}), ('digest', {'realm': 'r', 'nonce': 'n"x', 'qop': 'auth'})]
    """
    found: list[tuple[str, dict[str, str]]] = []
    for value in values:
        # Quoted strings may hold commas and scheme-like words: read them as masked.
        masked = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: "_" * len(m.group(0)), value)
        starts = [(m.start(1), m.group(1)) for m in _SCHEME.finditer(masked)]
        for number, (start, scheme) in enumerate(starts):
            end = starts[number + 1][0] if number + 1 < len(starts) else len(value)
            params = {}
            for match in _PARAM.finditer(value, start + len(scheme), end):
                raw = match.group(2)
                params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
            found.append((scheme.lower(), params))
    return found


@dataclass
class _Digest:
    """The Digest challenge being answered and how many requests used its nonce."""

    realm: str
    nonce: str
    algorithm: str
    session: bool
    qop: str | None
    opaque: str | None
    count: int = 0


class HttpAuth:
    """The answer to an engine's authentication challenges, with ``user`` and ``password``
    (see the module docstring). Thread-safe: a store's requests run in many threads."""

    def __init__(self, user: str, password: str):
        self.user, self.password = user, password
        self._basic = False
        self._digest: _Digest | None = None
        self._lock = threading.Lock()
        #: A fresh client nonce per request (replaced in the doctest by the RFC's own).
        self.client_nonce: Callable[[], str] = lambda: secrets.token_hex(16)

    def authorization(self, method: str, uri: str) -> str | None:
        """The ``Authorization`` header for a request (``uri``: its path and query, as sent),
        or None while the engine has not asked for any."""
        with self._lock:
            digest = self._digest
            if digest is not None:
                digest.count += 1
                count = digest.count
        if digest is not None:
            return self._digest_answer(digest, count, method, uri)
        if self._basic:
            pair = f"{self.user}:{self.password}".encode("utf-8")
            return "Basic " + base64.b64encode(pair).decode("ascii")
        return None

    def challenged(self, values: Iterable[str]) -> bool:
        """Take the challenges of a ``401`` (its ``WWW-Authenticate`` values). True: send the
        request again (first challenge, or a stale nonce); False: the credentials were
        already given for this challenge and refused, or no scheme here is one zkg speaks."""
        challenges = parse_challenges(values)
        with self._lock:
            for scheme, params in challenges:
                if scheme != "digest" or "nonce" not in params:
                    continue
                algorithm = params.get("algorithm", "MD5").upper()
                session = algorithm.endswith("-SESS")
                algorithm = algorithm.removesuffix("-SESS")
                if algorithm not in _HASHES:
                    continue
                qops = [q.strip().lower() for q in params.get("qop", "").split(",") if q.strip()]
                if qops and "auth" not in qops:
                    continue  # only auth-int offered: the body's hash, which zkg does not send
                stale = params.get("stale", "").lower() == "true"
                if self._digest is not None and not stale:
                    return False  # answered before and not for a stale nonce: refused
                self._digest = _Digest(
                    realm=params.get("realm", ""),
                    nonce=params["nonce"],
                    algorithm=algorithm,
                    session=session,
                    qop="auth" if qops else None,
                    opaque=params.get("opaque"),
                )
                return True
            if any(scheme == "basic" for scheme, _ in challenges) and self._digest is None:
                if self._basic:
                    return False
                self._basic = True
                return True
        return False

    def _digest_answer(self, digest: _Digest, count: int, method: str, uri: str) -> str:
        hash_name = _HASHES[digest.algorithm]

        def h(text: str) -> str:
            return hash_name(text.encode("utf-8")).hexdigest()

        cnonce = self.client_nonce()
        nc = f"{count:08x}"
        secret = h(f"{self.user}:{digest.realm}:{self.password}")
        if digest.session:
            secret = h(f"{secret}:{digest.nonce}:{cnonce}")
        about = h(f"{method}:{uri}")
        if digest.qop:
            response = h(f"{secret}:{digest.nonce}:{nc}:{cnonce}:{digest.qop}:{about}")
        else:
            response = h(f"{secret}:{digest.nonce}:{about}")
        algorithm = digest.algorithm + ("-sess" if digest.session else "")
        parts = [
            f'username="{_quoted(self.user)}"',
            f'realm="{_quoted(digest.realm)}"',
            f'uri="{_quoted(uri)}"',
            f"algorithm={algorithm}",
            f'nonce="{_quoted(digest.nonce)}"',
        ]
        if digest.qop:
            parts += [f"nc={nc}", f'cnonce="{cnonce}"', f"qop={digest.qop}"]
        parts.append(f'response="{response}"')
        if digest.opaque is not None:
            parts.append(f'opaque="{_quoted(digest.opaque)}"')
        return "Digest " + ", ".join(parts)


def answer_challenge(auth: HttpAuth | None, challenges: list[str], times: int) -> None:
    """After a ``401`` with ``challenges`` (the ``times``-th for one request): return to send
    the request again with the answer, or raise :class:`EngineRefusedCredentials`.

    >>> answer_challenge(None, ['Basic realm="x"'], 1)
    Traceback (most recent call last):
    zkg.store.http_auth.EngineRefusedCredentials: the SPARQL engine asks for credentials: give user:password@ in the store setting
    """
    if auth is None:
        raise EngineRefusedCredentials(
            "the SPARQL engine asks for credentials: give user:password@ in the store setting"
        )
    if times > 3 or not auth.challenged(challenges):
        raise EngineRefusedCredentials(
            f"the SPARQL engine refused the credentials of the store setting (user {auth.user})"
        )


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
