"""The per-client rate limit shared by the worker processes of ``zkg serve --workers N``.

:class:`zkg.web.security.RateLimiter` keeps its token buckets in the process; with N workers
(the kernel hands each connection to any of them) a client would get N times the limit. So
the workers keep the buckets in one small file in the data directory (``serve-rate``, made
afresh by the parent at every start), mapped into each worker's memory:

- a 16-byte random salt, then :data:`SLOTS` slots of (key, tokens, time): the key is a salted
  64-bit hash of the client address (0: a free slot), the bucket's tokens and the
  ``time.monotonic()`` of its last update (the clock is the system's, the same in every
  process);
- a client's slot is found by linear probing from its hash over at most :data:`PROBES` slots;
  a bucket that has refilled to the full is as good as a free slot and is reused first, and
  when all are taken (thousands of clients busy at once) the least recently used is given
  to the newcomer, who starts with a full bucket;
- every take holds a lock: a ``threading.Lock`` among the threads of a worker, and
  ``flock`` on the file among the workers (flock does not exclude threads sharing one open
  file, hence both).
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import time
from pathlib import Path

from zkg.web.security import RateLimiter

RATE_TABLE = "serve-rate"
SALT_BYTES = 16
#: Client buckets in the table (24 bytes each).
SLOTS = 8192
#: Slots looked at for one client.
PROBES = 16
_SLOT = struct.Struct("Qdd")


def create_table(path: Path) -> None:
    """A fresh, empty table at ``path`` (atomically: workers never see a partial one)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(os.urandom(SALT_BYTES) + bytes(_SLOT.size * SLOTS))
    temporary.replace(path)


class SharedRateLimiter(RateLimiter):
    """A :class:`RateLimiter` whose buckets live in the shared table at ``path``."""

    def __init__(self, path: Path, per_minute: int, clock=time.monotonic):
        super().__init__(per_minute, clock=clock)
        self._file = open(path, "r+b")
        self._map = mmap.mmap(self._file.fileno(), SALT_BYTES + _SLOT.size * SLOTS)
        self._salt = bytes(self._map[:SALT_BYTES])

    def _key(self, client: str) -> int:
        digest = hashlib.blake2b(client.encode("utf-8", "replace"), digest_size=8, key=self._salt).digest()
        return int.from_bytes(digest, "little") or 1  # 0 marks a free slot

    def take(self, client: str) -> float:
        key = self._key(client)
        with self.lock:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
            try:
                now = self.clock()
                offset = self._slot_of(key, now)
                found, tokens, then = _SLOT.unpack_from(self._map, offset)
                if found != key:
                    tokens, then = self.capacity, now
                tokens = min(self.capacity, tokens + (now - then) * self.rate)
                wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate
                _SLOT.pack_into(self._map, offset, key, tokens - 1.0 if not wait else tokens, now)
                return wait
            finally:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)

    def _slot_of(self, key: int, now: float) -> int:
        """The offset of ``key``'s slot: its own, else a free or full one, else the stalest."""
        start = key % SLOTS
        reusable, stalest, stalest_then = None, None, None
        for step in range(PROBES):
            offset = SALT_BYTES + ((start + step) % SLOTS) * _SLOT.size
            found, tokens, then = _SLOT.unpack_from(self._map, offset)
            if found == key:
                return offset
            if reusable is None and (found == 0 or tokens + (now - then) * self.rate >= self.capacity):
                reusable = offset
            if stalest is None or then < stalest_then:
                stalest, stalest_then = offset, then
        return reusable if reusable is not None else stalest

    def close(self) -> None:
        self._map.close()
        self._file.close()
