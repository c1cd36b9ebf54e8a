"""How soon search finds a curator's write, and how long the first search after a start takes,
on a live ``zkg serve`` (issue 18: within 1 s and 2 s at 10M triples).

A write here is what a curator sends: a SPARQL Update over HTTP with a write token and a
source, adding an alternate name of a made-up word to an existing company. The clock starts
when the write is acknowledged and stops when ``/search`` (JSON) lists the company for that
word; the search is asked every 20 ms meanwhile. Used by :mod:`benchmarks.large`.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.parse
import urllib.request
from pathlib import Path

SOURCE = "https://example.org/benchmark-write"
POLL_SECONDS = 0.02


def write_token(data: Path, name: str = "benchmark") -> str:
    """A write token in ``data`` (made before the server starts, as ``zkg token create`` does)."""
    from zkg.curation import tokens  # the project's own token store

    return tokens.create(data, name, scope=tokens.WRITE)


def made_up_word(k: int) -> str:
    """A word no generated name holds, different for each ``k``.

    >>> made_up_word(0), made_up_word(1), made_up_word(27)
    ('Qzxwvbaa', 'Qzxwvbab', 'Qzxwvbbb')
    """
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "Qzxwvb" + letters[k // 26 % 26] + letters[k % 26]


def search(base_url: str, word: str, *, timeout: float = 600) -> tuple[float, list[str]]:
    """(seconds, IRIs found) of one ``/search?q=word`` in JSON."""
    url = f"{base_url}/search?{urllib.parse.urlencode({'q': word, 'limit': 100})}"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        found = [hit["iri"] for hit in json.load(answer)["results"]]
    return time.perf_counter() - started, found


def write_then_find(base_url: str, base_iri: str, token: str, k: int, *, company: int, give_up: float = 120) -> dict:
    """Write one alternate name and time how long until search finds it."""
    word = made_up_word(k)
    iri = f"{base_iri}id/company-{company}"
    update = f'INSERT DATA {{ <{iri}> <https://schema.org/alternateName> "{word} Labs"@en }}'
    request = urllib.request.Request(
        base_url + "/sparql",
        data=update.encode("utf-8"),
        headers={
            "Content-Type": "application/sparql-update",
            "Authorization": f"Bearer {token}",
            "ZKG-Source": SOURCE,
        },
        method="POST",
    )
    sent = time.perf_counter()
    with urllib.request.urlopen(request, timeout=give_up) as answer:
        answer.read()
    acknowledged = time.perf_counter()
    polls = 0
    while True:
        polls += 1
        _seconds, found = search(base_url, word.lower(), timeout=give_up)
        if iri in found:
            break
        if time.perf_counter() - acknowledged > give_up:
            return {"write_s": round(acknowledged - sent, 3), "found_after_s": None, "polls": polls}
        time.sleep(POLL_SECONDS)
    return {
        "write_s": round(acknowledged - sent, 3),
        "found_after_s": round(time.perf_counter() - acknowledged, 3),
        "polls": polls,
    }


def measure(base_url: str, base_iri: str, token: str, *, companies: int, writes: int = 5) -> dict:
    """``writes`` writes, each to another company: every write's figures and the medians."""
    runs = [write_then_find(base_url, base_iri, token, k, company=(k * 7919) % companies) for k in range(writes)]
    found = [r["found_after_s"] for r in runs if r["found_after_s"] is not None]
    return {
        "runs": runs,
        "median_write_s": statistics.median(r["write_s"] for r in runs),
        "median_found_after_s": statistics.median(found) if found else None,
        "max_found_after_s": max(found) if found else None,
        "not_found": len(runs) - len(found),
    }
