"""Caches bounded by the memory they really hold: keys, values and Python's own overhead.

A cache keyed by what clients send (URLs, query texts, header values) must count its keys:
a bound on values alone let 300 requests with distinct megabyte-long URLs grow one worker
from 44 MB to 808 MB. :func:`footprint` estimates what a value holds, from
:func:`sys.getsizeof` (which includes each object's header) over the containers zkg keeps,
plus :data:`ENTRY_OVERHEAD` for the entry's place in its table; an object shared by several
entries (a dataset version's tag) is counted in each, so the estimate errs high, never low.
``tests/base/test_bounded_cache.py`` checks it against what :mod:`tracemalloc` sees.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

#: Bytes an entry costs beyond its key and value: its slot in the dict's table (hash, key,
#: value, index; tables are kept at most two-thirds full) and its ordered-dict node.
ENTRY_OVERHEAD = 160

_SCALARS = (str, bytes, int, float, bool, type(None))


def footprint(value: object) -> int:
    """Bytes ``value`` holds, counting what it contains (strings, bytes, numbers, tuples,
    lists, sets, dicts; anything else by its own size).

    >>> footprint("a" * 1000) > 1000, footprint(("a" * 1000, "b" * 1000)) > 2000
    (True, True)
    """
    if isinstance(value, _SCALARS):
        return sys.getsizeof(value)
    if isinstance(value, (tuple, list, set, frozenset)):
        return sys.getsizeof(value) + sum(footprint(item) for item in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(footprint(k) + footprint(v) for k, v in value.items())
    return sys.getsizeof(value)


class BoundedCache:
    """A least-recently-used mapping bounded by ``entries`` and by ``max_bytes`` of
    :func:`footprint` (key, value and :data:`ENTRY_OVERHEAD` each); an item of more than
    ``max_item`` bytes is not kept. Thread-safe.

    >>> cache = BoundedCache(entries=10, max_bytes=4000, max_item=3000)
    >>> cache.put("k" * 2000, b"v"); cache.put("a", b"1"); cache.put("b", b"2")
    >>> cache.get("a"), len(cache), cache.bytes <= 4000
    (b'1', 3, True)
    >>> cache.put("x" * 2000, b"v")  # over the bytes: the least recently used goes
    >>> cache.get("k" * 2000), cache.get("a"), len(cache)
    (None, b'1', 3)
    >>> cache.put("y" * 5000, b"v"); cache.get("y" * 5000)  # too big to keep at all
    """

    def __init__(self, *, entries: int, max_bytes: int, max_item: int | None = None):
        self.entries, self.max_bytes = entries, max_bytes
        self.max_item = max_bytes if max_item is None else min(max_item, max_bytes)
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()  # key -> (value, size)
        self.bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return default
            self._items.move_to_end(key)
            return item[0]

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` for ``key`` (replacing an earlier one), unless it is too big."""
        size = footprint(key) + footprint(value) + ENTRY_OVERHEAD
        if size > self.max_item:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, size)
            self.bytes += size
            while self._items and (len(self._items) > self.entries or self.bytes > self.max_bytes):
                self.bytes -= self._items.popitem(last=False)[1][1]

    def __len__(self) -> int:
        return len(self._items)
