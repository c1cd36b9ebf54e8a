"""A bound on how deeply a query, update or uploaded document nests brackets.

Oxigraph's parsers recurse on ``{``, ``(`` and ``[``: a few thousand levels overflow the
native stack and kill the whole process (no exception: a segmentation fault). Real queries
and data nest a few levels, so anything past :data:`MAX_DEPTH` is refused with 400 before
the parser sees it. Brackets inside strings, IRIs and comments do not count.
"""

from __future__ import annotations

from zkg.errors import ZkgError

#: Levels of ``{``/``(``/``[`` allowed in a query, an update or an uploaded document.
MAX_DEPTH = 200

_OPEN, _CLOSE = "{([", "})]"


class TooDeep(ZkgError):
    http_status = 400


def check_nesting(text: str | bytes, what: str = "the query", limit: int = MAX_DEPTH) -> None:
    """Raise :class:`TooDeep` when ``text`` nests brackets more than ``limit`` deep.

    >>> check_nesting("SELECT * { { ?s ?p '{{{{' } }", limit=2)
    >>> check_nesting("ASK { ( ( ( 1 ) ) ) }", limit=3)
    Traceback (most recent call last):
    ...
    zkg.nesting_guard.TooDeep: the query nests brackets more than 3 levels deep (at offset 10): zkg refuses deeper nesting
    """
    if isinstance(text, bytes):
        if sum(text.count(c.encode()) for c in _OPEN) <= limit:
            return
        text = text.decode("utf-8", errors="replace")
    elif sum(text.count(c) for c in _OPEN) <= limit:
        return
    from zkg.sparql_guard import tokens

    depth = 0
    for token in tokens(text):
        if token.kind != "punct":
            continue
        if token.text in _OPEN:
            depth += 1
            if depth > limit:
                raise TooDeep(f"{what} nests brackets more than {limit} levels deep (at offset {token.start}): "
                              "zkg refuses deeper nesting")
        elif token.text in _CLOSE and depth:
            depth -= 1
