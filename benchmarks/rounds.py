"""Servers taking turns under load, with the distinct mix or the cached one.

:func:`measure` drives each server with its requests in rounds taken in turn. With the
cached mix a server's requests are one short list, sent over and over (the Python driver
and wrk start it again at its end). With the distinct mix a server's requests are a
:class:`Feed`: its warm-up and each of its rounds take the next requests of one long list,
so no text is sent to a server twice in the whole measurement (warm-up included), and the
list is lengthened before a round from the rate seen so far so that a fast server does not
reach its end. What each server was sent is in its numbers: ``distinct_sent`` (distinct texts
over the warm-up and all rounds), ``repeats`` (texts sent again: 0 unless wrk ran past the
list's end, which the Python driver never does) and ``list_length``.
"""

from __future__ import annotations

import sys
import urllib.request
from typing import Callable

from benchmarks import distinct, load, servers

#: The longest distinct list made for one server and kind (memory: ~0.5 KB a request).
MOST_TEXTS = 400_000
#: Requests a second assumed for the warm-up's list, before any rate is known (above
#: Oxigraph server's point lookups on the 2-core machine, ~16,000 a second).
FIRST_GUESS_RPS = 20_000


class Feed:
    """The distinct requests of one kind for one server, made by ``make(count)`` (which may
    give fewer: a page per entity), lengthened on demand; ``cursor``: the next unsent one.

    >>> feed = Feed(lambda n: [f"/{i}" for i in range(min(n, 10))])
    >>> feed.take(4), feed.take(4)
    (['/0', '/1', '/2', '/3'], ['/0', '/1', '/2', '/3'])
    >>> feed.advance(4); feed.take(100)
    ['/4', '/5', '/6', '/7', '/8', '/9']
    """

    def __init__(self, make: Callable[[int], list], *, most: int = MOST_TEXTS):
        self.make, self.most = make, most
        self.requests: list = []
        self.cursor = 0
        self.repeats = 0

    def take(self, count: int) -> list:
        """The next ``count`` requests not yet sent (fewer at the list's end)."""
        wanted = min(self.most, self.cursor + count)
        if len(self.requests) < wanted and (not self.requests or len(self.requests) == self._asked):
            self._asked = min(self.most, max(wanted, 2 * len(self.requests)))
            self.requests = self.make(self._asked)
        return self.requests[self.cursor : self.cursor + count]

    _asked = 0

    def advance(self, sent: int, repeats: int = 0) -> None:
        self.cursor = min(len(self.requests), self.cursor + sent)
        self.repeats += repeats


def prime(base_url: str, requests, *, rounds: int) -> None:
    """Send each request ``rounds`` times on new connections (so every worker gets some)."""
    for _ in range(rounds):
        for request in requests:
            with urllib.request.urlopen(
                urllib.request.Request(base_url + request.path, headers={"Accept": request.accept}), timeout=120
            ) as answer:
                answer.read()


def _run(server: servers.Server, source, args, *, duration: float, rate: float | None) -> dict:
    """One run of ``duration`` seconds; ``source``: a list (cycled) or a :class:`Feed`."""
    if not isinstance(source, Feed):
        return load.run(
            server.url,
            source,
            duration=duration,
            connections=args.connections,
            driver=args.driver,
            max_requests=args.max_requests,
        )
    # Half again the requests the rate seen so far gives, and never fewer than a few thousand.
    need = int((rate or FIRST_GUESS_RPS) * duration * 1.5) + 50 * args.connections + 2000
    requests = source.take(need)
    if not requests:
        return {"requests": 0, "seconds": duration, "rps": 0.0, "errors": 0, "p50_ms": 0.0, "p99_ms": 0.0,
                "sent": 0, "distinct": 0, "repeats": 0, "exhausted": True}  # fmt: skip
    result = load.run(
        server.url,
        requests,
        duration=duration,
        connections=args.connections,
        driver=args.driver,
        max_requests=args.max_requests,
        cycle=False,
    )
    source.advance(result["distinct"], result["repeats"])
    result["exhausted"] = result["sent"] >= len(requests)
    return result


def measure(targets: dict[str, tuple[servers.Server, object]], args, *, rounds: int | None = None) -> dict[str, dict]:
    """Drive each server with its requests (a list, or a :class:`Feed`), taking turns
    (``args.rounds`` rounds of ``args.duration / args.rounds`` seconds each, after a
    warm-up); each server's numbers are those of its median round (by requests/s), with
    every round's requests/s beside them. Turns make the ratios fair on a machine whose
    speed drifts (a shared VM): a slow minute falls on every server, not on whichever ran
    then. A server whose warm-up showed slow answers (a median over a twentieth of a round)
    runs one round of the whole duration instead: in a short round, the answers still under
    way at its end, lost to the count, would be a large share of the few it gives."""
    turns = rounds or args.rounds
    own_turns, rates = {}, {}
    for name, (server, source) in targets.items():
        own_turns[name], rates[name] = turns, None
        if args.warmup > 0:
            warm = _run(server, source, args, duration=args.warmup, rate=None)
            server.settle()
            rates[name] = warm["rps"] or None
            if warm["requests"] == 0 or warm["p50_ms"] / 1000 > args.duration / turns / 20:
                own_turns[name] = 1
    rounds_run: dict[str, list[dict]] = {name: [] for name in targets}
    for turn in range(turns):
        for name, (server, source) in targets.items():
            if turn >= own_turns[name]:
                continue
            done = _run(server, source, args, duration=args.duration / own_turns[name], rate=rates[name])
            rates[name] = max(rates[name] or 0, done["rps"]) or None
            rounds_run[name].append(done)
            server.settle()  # each round starts on an idle machine
    measured = {}
    for name, runs in rounds_run.items():
        median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        errors = sum(r["errors"] for r in runs)
        measured[name] = {**median, "errors": errors, "rounds_rps": [r["rps"] for r in runs]}
        source = targets[name][1]
        if isinstance(source, Feed):
            measured[name].update(
                distinct_sent=source.cursor,
                repeats=source.repeats,
                list_length=len(source.requests),
                exhausted=any(r.get("exhausted") for r in runs),
            )
    return measured


def say_run(kind: str, name: str, numbers: dict) -> None:
    spread = "/".join(f"{rps:.0f}" for rps in numbers.get("rounds_rps", []))
    sent = (
        f"  distinct {numbers['distinct_sent']}, repeats {numbers['repeats']}"
        + (" (list used up)" if numbers.get("exhausted") else "")
        if "distinct_sent" in numbers
        else ""
    )
    print(
        f"   {kind:13s} {name:9s} {numbers['rps']:9.1f} req/s  p50 {numbers['p50_ms']:8.2f} ms  "
        f"p99 {numbers['p99_ms']:8.2f} ms  errors {numbers['errors']}  (rounds {spread}){sent}",
        file=sys.stderr,
        flush=True,
    )


def sparql_feeds(kind: str, endpoints: dict[str, tuple[servers.Server, str]], base: str, figures: dict) -> dict:
    """For :func:`measure`: each server (by name, with its SPARQL endpoint's path) and a
    :class:`Feed` of ``kind``'s requests never sent before (:mod:`benchmarks.distinct`)."""
    return {
        name: (
            server,
            Feed(lambda count, path=path: distinct.sparql_requests(kind, base, path, figures, count)),
        )
        for name, (server, path) in endpoints.items()
    }
