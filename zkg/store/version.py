"""The dataset version: what ETags, Last-Modified and cached dumps derive from.

It must change after any write, or clients would be told "not modified" about data that
was. It is made of:

- the store's load record (``zkg.json``: when ``zkg load`` ran and the sha256 of every file
  it read), which changes with every load, by this process or another one before it;
- the size and time of the data directory's change log and write stamp, which every write
  changes whichever process made it (``zkg serve --workers``: :func:`shared_marker`);
- the engine's own marker, for front ends that share nothing but a remote engine
  (:mod:`zkg.store.engine_version`: read at most once a second);
- the store object's write counter and session (:class:`zkg.store.local.Store` bumps the counter
  after every write it makes: SPARQL Update, loads, curation, all go through it; the
  session is new each time a store is opened, so a restart never reuses a version whose
  data may since have changed).

Last-Modified is the latest of the load time and the store object's last change (its
opening counts as one, since writes before it are unknown). Every store counts its writes
and names its session (:class:`zkg.store.facade.StoreFacade`).

HTTP dates have whole seconds, and two writes can fall within one (:func:`not_modified`):
the version keeps the time of its last change exactly (``changed``: a bound no earlier than
the change itself), a client's ``If-Modified-Since`` is compared with that, and
Last-Modified names the end of the second of the last change, sent only once that second
has passed (:meth:`DatasetVersion.last_modified`). So a date a client got from us matches
only the data it describes, and a write in the same second as an earlier one is never
answered 304.

>>> from zkg.store.local import Store
>>> store = Store.open(base_iri="http://zkg.test/")
>>> before = dataset_version(store)
>>> before == dataset_version(store)
True
>>> store.update("INSERT DATA { GRAPH graph:g { id:a zkg:p 1 } }")
>>> dataset_version(store).tag != before.tag
True
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Callable, Generic, TypeVar

from zkg.store.facade import StoreFacade
from zkg.store.layout import LoadRecord

#: Seconds added to file times: the kernel stamps them from a clock that may lag the one
#: Python reads by a tick (a few milliseconds), so a change is never dated before it happened.
FILE_CLOCK_SLACK = 0.05


@dataclass(frozen=True)
class DatasetVersion:
    tag: str  # opaque, 20 hex digits
    modified: datetime  # UTC, whole seconds (the second of the last change)
    changed: float = 0.0  # Unix time no earlier than the last change, full resolution

    @property
    def http_date(self) -> str:
        """``modified`` as an HTTP date."""
        return format_datetime(self.modified, usegmt=True)

    def last_modified(self, now: float) -> str | None:
        """The Last-Modified to send at ``now`` (Unix time, taken before this version was
        known to be current): the end of the second of the last change, once that second
        has passed; None before (within it, a later write could share the date).

        >>> v = DatasetVersion("x", datetime(2016, 3, 5, tzinfo=timezone.utc), 1457136000.25)
        >>> v.last_modified(1457136000.9), v.last_modified(1457136001.0)
        (None, 'Sat, 05 Mar 2016 00:00:01 GMT')
        """
        end = math.ceil(self.changed)
        if now < end:
            return None
        return format_datetime(datetime.fromtimestamp(end, timezone.utc), usegmt=True)

    def etag(self, *variant: str) -> str:
        """A strong ETag for one representation (e.g. a page, a format) of this version."""
        digest = hashlib.sha256("\x1f".join((self.tag, *variant)).encode("utf-8")).hexdigest()[:24]
        return f'"{digest}"'


def _parse_time(text: object) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def dataset_version(store: StoreFacade) -> DatasetVersion:
    """The version of the data ``store`` holds now (cheap: reads zkg.json, no query)."""
    record: LoadRecord = store.load_record or {}
    writes, session = store.writes, store.session
    # Writes other processes made (zkg serve --workers): seen through the data directory.
    shared, shared_time = shared_marker(store.data_dir)
    # Writes other front ends made on a shared engine: seen through the engine's marker.
    marker, marker_seen = store.engine_marker
    if marker:
        shared = f"{shared}|{marker}"
    changed_at = store.changed_at
    # Asked on every request: the same inputs give the same version, so it is kept. The key
    # holds the record itself (load records are cached per file state, zkg.store.local), so a
    # record's id cannot be reused while its entry lives.
    key = (id(record), session, writes, shared, changed_at, marker_seen)
    known = _VERSIONS.get(key)
    if known is not None and known[0] is record:
        return known[1]
    loaded = json.dumps(
        {"loaded_at": record.get("loaded_at"), "files": [f.get("sha256") for f in record.get("files", [])]},
        sort_keys=True,
    )
    tag = hashlib.sha256(f"{loaded}|{session}|{writes}|{shared}".encode("utf-8")).hexdigest()[:20]
    loaded_at = _parse_time(record.get("loaded_at"))
    if loaded_at is not None and not loaded_at.microsecond:  # written in whole seconds: any time within
        loaded_at += timedelta(seconds=1)
    if shared_time is not None:
        shared_time += timedelta(seconds=FILE_CLOCK_SLACK)
    times = [t for t in (loaded_at, changed_at, shared_time, marker_seen) if t]
    modified = max(times) if times else datetime.now(timezone.utc)
    version = DatasetVersion(tag, modified.astimezone(timezone.utc).replace(microsecond=0), modified.timestamp())
    if times:  # without any time the version's date is "now": not worth keeping
        if len(_VERSIONS) >= 256:
            _VERSIONS.clear()
        _VERSIONS[key] = (record, version)
    return version


#: Versions by their inputs (the record's id, session, writes, shared markers, last change,
#: when the engine's marker was seen).
_VERSIONS: dict[tuple[int, str, int, str, datetime, datetime | None], tuple[LoadRecord, DatasetVersion]] = {}


#: Files in the data directory that every write changes, whichever process made it: the
#: curation log (zkg.curation.changelog) and the stamp RemoteStore appends to after each update.
SHARED_FILES = ("changes.rdfp", "writes.stamp")


def shared_marker(data_dir: str | os.PathLike[str] | None) -> tuple[str, datetime | None]:
    """(text, time) that change with every write to the data directory's store (two stats)."""
    if data_dir is None:
        return "", None
    parts, latest = [], None
    for name in SHARED_FILES:
        try:
            info = os.stat(os.path.join(data_dir, name))
        except OSError:
            parts.append("-")
            continue
        parts.append(f"{info.st_size}:{info.st_mtime_ns}:{info.st_ino}")
        when = datetime.fromtimestamp(info.st_mtime, timezone.utc)
        latest = when if latest is None or when > latest else latest
    return "|".join(parts), latest


def not_modified(
    version: DatasetVersion,
    etag: str,
    if_none_match: str | None,
    if_modified_since: str | None,
    now: float | None = None,
) -> bool:
    """Whether a conditional GET/HEAD may be answered 304 (RFC 9110 §13.2.2: If-None-Match
    wins; If-Modified-Since is only looked at without it). If-Modified-Since matches when
    the data has not changed after that date, to the fraction of a second (HTTP dates have
    whole seconds: a date of the second of the last change does not match, since an earlier
    write in the same second had it too); a date later than ``now`` is no valid date
    (RFC 9110 §13.1.3) and is ignored.

    >>> v = DatasetVersion("x", datetime(2016, 3, 5, tzinfo=timezone.utc), 1457136000.25)
    >>> not_modified(v, '"a"', '"b", "a"', None), not_modified(v, '"a"', 'W/"a"', None), not_modified(v, '"a"', '"b"', v.http_date)
    (True, True, False)
    >>> not_modified(v, '"a"', None, v.last_modified(2e9)), not_modified(v, '"a"', None, v.http_date)
    (True, False)
    >>> not_modified(v, '"a"', None, "Fri, 04 Mar 2016 00:00:00 GMT")
    False
    >>> not_modified(v, '"a"', None, "Sat, 05 Mar 2016 00:00:01 GMT", now=1457136000.5)  # in the future
    False
    """
    if if_none_match is not None:
        wanted = [t.strip() for t in if_none_match.split(",")]
        # Weak comparison, as GET allows: W/"x" matches "x".
        return "*" in wanted or any(t.removeprefix("W/") == etag for t in wanted)
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        moment = since.timestamp()
        if moment > (time.time() if now is None else now):
            return False
        return version.changed <= moment
    return False


T = TypeVar("T")


class PerVersion(Generic[T]):
    """One value per dataset version of a store, computed by ``compute(store)`` once, even when
    threads race for it, and again after any write (a new version). zkg's one cache of
    derived values (indexes, catalogues, summaries): each app keeps its own in
    ``app.extensions``, never in module state.

    >>> from zkg.store.local import Store
    >>> store = Store.open(base_iri="http://zkg.test/")
    >>> sizes = PerVersion(lambda s: s.count())
    >>> sizes.get(store)
    0
    >>> store.update("INSERT DATA { GRAPH <http://zkg.test/g> { <http://zkg.test/a> <http://zkg.test/b> 1 } }")
    >>> sizes.get(store)
    1

    ``wait``: after a write, the value of the version before is kept while the new one is
    computed in a thread of its own; a reader waits up to ``wait`` seconds for it, then gets
    the earlier value, marked not fresh (:meth:`lookup`). Derived values of the whole dataset
    (the model guide, the home page's counts) take a minute at a million triples: without
    this every reader after every write would wait that long, and hold a thread meanwhile.
    Only the first value is computed while the reader waits, however long it takes.

    >>> counts = PerVersion(lambda s: s.count(), wait=5.0)
    >>> counts.lookup(store)
    (1, True)
    >>> store.update("INSERT DATA { GRAPH <http://zkg.test/g> { <http://zkg.test/a> <http://zkg.test/b> 2 } }")
    >>> counts.lookup(store)  # computed within the wait: fresh
    (2, True)
    """

    def __init__(self, compute: Callable[[StoreFacade], T], *, wait: float | None = None):
        self._compute = compute
        self._wait = wait
        self._lock = threading.Lock()
        self._held: tuple[str, T] | None = None  # (the version's tag, the value computed for it)
        self._running: tuple[str, threading.Event] | None = None  # the version computed in a thread

    def get(self, store: StoreFacade) -> T:
        return self.lookup(store)[0]

    def lookup(self, store: StoreFacade) -> tuple[T, bool]:
        """(the value, whether it is of the store's current version)."""
        tag = dataset_version(store).tag
        with self._lock:
            held = self._held
            if held is not None and held[0] == tag:
                return held[1], True
            if held is None or self._wait is None:  # nothing to show meanwhile, or no wait asked
                held = self._held = (tag, self._compute(store))
                return held[1], True
            running = self._running
            if running is None or running[0] != tag or running[1].is_set():  # (set: it failed; again)
                done = threading.Event()
                self._running = (tag, done)
                threading.Thread(target=self._refresh, args=(store, tag, done), daemon=True).start()
            else:
                done = running[1]
        if done.wait(self._wait):
            with self._lock:
                if self._held is not None and self._held[0] == tag:
                    return self._held[1], True
        return held[1], False

    def _refresh(self, store: StoreFacade, tag: str, done: threading.Event) -> None:
        try:
            value = self._compute(store)
        except Exception as error:  # the readers keep the earlier value; the next one tries again
            logging.getLogger("zkg").warning("recomputing figures of the data failed (%s); kept the earlier", error)
        else:
            with self._lock:
                if self._running is not None and self._running[0] == tag:  # not overtaken by a later write
                    self._held = (tag, value)
        finally:
            done.set()
