"""Whether the base IRI dereferences where ``zkg serve`` listens.

Every IRI in the data starts with the base IRI, and every page, result and link is built from
those IRIs. If the base names another port, another host or HTTPS, and no proxy stands in
between, every link a reader follows is dead. ``zkg serve`` therefore checks, once it has its
socket (so that ``--port 0`` is checked against the port it got), that the base IRI names the
address it serves, and refuses to serve otherwise, unless told the base is served through a
proxy (``--behind-proxy``, ``ZKG_BEHIND_PROXY``).

No name is looked up (no DNS): a host name is taken at its word, except that a server bound to
a loopback address can only be reached by a loopback name.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from zkg.base.settings import default_base_iri

_WILDCARDS = {"", "0.0.0.0", "::"}


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def why_not_served(base_iri: str, host: str, port: int) -> str | None:
    """Why ``base_iri`` does not dereference at ``host``:``port`` (None: it does).

    >>> why_not_served("http://localhost:8080/", "127.0.0.1", 8080) is None
    True
    >>> why_not_served("http://localhost:8080/", "127.0.0.1", 9000)
    'it names port 8080, not 9000'
    >>> why_not_served("https://zkg.example.org/", "0.0.0.0", 443)
    'it is https, and zkg serves plain http'
    >>> why_not_served("http://zkg.example.org/", "127.0.0.1", 80)
    'it names the host zkg.example.org, and 127.0.0.1 is reachable only from this machine'
    >>> why_not_served("http://zkg.example.org:8080/", "0.0.0.0", 8080) is None
    True
    """
    parts = urlsplit(base_iri)
    if parts.scheme != "http":
        return f"it is {parts.scheme}, and zkg serves plain http"
    if parts.path != "/":
        return f"its path is {parts.path}, and zkg serves from /"
    try:
        named_port = parts.port or 80
    except ValueError:
        return "its port is not a number"
    if named_port != port:
        return f"it names port {named_port}, not {port}"
    named_host = (parts.hostname or "").lower()
    bound = host.strip().lower().strip("[]")
    if bound in _WILDCARDS:
        return None  # every address of the machine: any name of it will do
    if _is_loopback(bound):
        if not _is_loopback(named_host):
            return f"it names the host {named_host}, and {host} is reachable only from this machine"
        return None
    if _is_ip(named_host) and _is_ip(bound) and ipaddress.ip_address(named_host) != ipaddress.ip_address(bound):
        return f"it names the address {named_host}, and zkg listens on {host}"
    if _is_loopback(named_host):
        return f"it names {named_host}, and zkg listens on {host}, not on a loopback address"
    return None


def refusal(base_iri: str, host: str, port: int) -> str | None:
    """What ``zkg serve`` says when it refuses to serve ``base_iri`` on ``host``:``port``,
    with the three ways out (None: nothing to refuse).

    >>> print(refusal("http://localhost:8080/", "127.0.0.1", 9000))
    the base IRI http://localhost:8080/ does not dereference where zkg serves, 127.0.0.1:9000 (it names port 8080, not 9000): serve at the address it names (--host, --port), or load the store for this address and serve it (--base-iri http://localhost:9000/ to both zkg load and zkg serve), or, if a proxy serves http://localhost:8080/, say so with --behind-proxy
    """
    reason = why_not_served(base_iri, host, port)
    if reason is None:
        return None
    here = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    fitting = default_base_iri(host, port)
    return (
        f"the base IRI {base_iri} does not dereference where zkg serves, {here} ({reason}): "
        f"serve at the address it names (--host, --port), or load the store for this address and serve it "
        f"(--base-iri {fitting} to both zkg load and zkg serve), or, if a proxy serves {base_iri}, "
        "say so with --behind-proxy"
    )
