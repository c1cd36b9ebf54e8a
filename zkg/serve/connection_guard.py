"""Connections a client may hold: at most ``ZKG_CONNECTIONS_PER_CLIENT`` open at once per
address, and each request received whole within ``ZKG_REQUEST_READ_TIMEOUT``.

Why: waitress serves at most 100 connections per process and, past them, accepts no more
until one closes; it closes a connection only after 120 s without a byte. So 210 sockets
from one address, each sending half a request (or one byte a minute), took every slot and
held it: nobody else was served. Here:

- **Per address.** A connection from an address that already has the limit open is answered
  at once with a short 429 (written without waiting, then closed): it never takes a slot.
  The count is one for all worker processes of ``zkg serve --workers N`` (a table shared in
  the runtime directory, like the rate limit's), private to the process otherwise.
- **Read deadline.** A connection waiting for a request (just accepted, between two
  requests of a kept-alive connection, or with a request half received) is closed once it
  has waited ``ZKG_REQUEST_READ_TIMEOUT`` seconds, however many bytes trickle in meanwhile;
  one that had sent part of a request is first told so (408). While a request is being
  answered, and while its response is still being sent, the deadline does not run: a big
  dump to a slow reader is not cut (waitress's own 120 s without any progress still is).

The table: a 16-byte random salt, then :data:`ROWS` rows of (key, one count per worker); the
key is a salted 64-bit hash of the address (0: a free row), found by linear probing over at
most :data:`PROBES` rows; a row whose counts are all 0 is free. Each worker writes only its
own count, and the parent clears a dead worker's counts when it starts another. Every change
holds a ``threading.Lock`` and, when shared, ``flock`` on the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import mmap
import os
import struct
import threading
import time
from pathlib import Path

CLIENT_TABLE = "serve-clients"
SALT_BYTES = 16
#: Addresses with connections open at once that the table can count; past that (all
#: :data:`PROBES` rows of an address taken) a connection is let in uncounted.
ROWS = 4096
PROBES = 32
_KEY = struct.Struct("Q")
_COUNT = struct.Struct("i")


class ClientTable:
    """Open connections per client address: in the file at ``path`` shared by ``workers``
    processes (this one counting in column ``slot``), or in this process's memory
    (``path`` None). ``create``: make the file afresh (the parent, before any worker)."""

    def __init__(self, path: Path | None = None, *, workers: int = 1, slot: int = 0, create: bool = False):
        self.workers, self.slot = workers, slot
        self.row_size = _KEY.size + _COUNT.size * workers
        size = SALT_BYTES + ROWS * self.row_size
        self._lock = threading.Lock()
        self._file = None
        if path is None:
            self._map = mmap.mmap(-1, size)
            self._map[:SALT_BYTES] = os.urandom(SALT_BYTES)
        else:
            if create:
                temporary = path.with_name(path.name + ".tmp")
                temporary.write_bytes(os.urandom(SALT_BYTES) + bytes(size - SALT_BYTES))
                temporary.replace(path)
            self._file = open(path, "r+b")
            self._map = mmap.mmap(self._file.fileno(), size)
        self._salt = bytes(self._map[:SALT_BYTES])

    def _key(self, address: str) -> int:
        digest = hashlib.blake2b(address.encode("utf-8", "replace"), digest_size=8, key=self._salt).digest()
        return int.from_bytes(digest, "little") or 1  # 0 marks a free row

    def _counts(self, row: int) -> list[int]:
        return [_COUNT.unpack_from(self._map, row + _KEY.size + i * _COUNT.size)[0] for i in range(self.workers)]

    @contextlib.contextmanager
    def _exclusive(self):
        with self._lock:
            if self._file is None:
                yield
                return
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)

    def open(self, address: str, limit: int) -> tuple[bool, int | None]:
        """Count a new connection from ``address`` unless it already has ``limit`` open:
        (allowed, its row to pass to :meth:`close`; None when not counted)."""
        key = self._key(address)
        with self._exclusive():
            start = key % ROWS
            free = None
            for step in range(PROBES):
                row = SALT_BYTES + ((start + step) % ROWS) * self.row_size
                found = _KEY.unpack_from(self._map, row)[0]
                if found == key:
                    break
                if free is None and (found == 0 or not any(self._counts(row))):
                    free = row
            else:
                if free is None:
                    return True, None  # thousands of busy addresses: let it in uncounted
                row = free
                _KEY.pack_into(self._map, row, key)
            counts = self._counts(row)
            if sum(max(0, c) for c in counts) >= limit:
                return False, None
            offset = row + _KEY.size + self.slot * _COUNT.size
            _COUNT.pack_into(self._map, offset, counts[self.slot] + 1)
            return True, row

    def close(self, row: int) -> None:
        """One connection counted at ``row`` (by :meth:`open`) has closed."""
        offset = row + _KEY.size + self.slot * _COUNT.size
        with self._exclusive():
            _COUNT.pack_into(self._map, offset, max(0, _COUNT.unpack_from(self._map, offset)[0] - 1))

    def open_count(self, address: str) -> int:
        """Connections from ``address`` counted now, over all workers."""
        key = self._key(address)
        with self._exclusive():
            for step in range(PROBES):
                row = SALT_BYTES + ((key % ROWS + step) % ROWS) * self.row_size
                if _KEY.unpack_from(self._map, row)[0] == key:
                    return sum(max(0, c) for c in self._counts(row))
        return 0

    def clear(self, slot: int) -> None:
        """Forget the connections counted by worker ``slot`` (it died with them)."""
        with self._exclusive():
            for index in range(ROWS):
                _COUNT.pack_into(self._map, SALT_BYTES + index * self.row_size + _KEY.size + slot * _COUNT.size, 0)


def _plain_answer(status: str, message: str, *headers: str) -> bytes:
    """A whole HTTP answer, written without the app: ``status`` ("429 Too Many Requests"),
    ``message`` after it in a plain-text body, then the connection closed."""
    body = f"{status}: {message}\n".encode("utf-8")
    head = [
        f"HTTP/1.1 {status}",
        "Content-Type: text/plain; charset=utf-8",
        "X-Content-Type-Options: nosniff",
        *headers,
        "Connection: close",
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


def too_many_connections(limit: int) -> bytes:
    """The whole answer to a connection past the per-address limit."""
    return _plain_answer(
        "429 Too Many Requests",
        f"more than {limit} connections are open from your address "
        "(ZKG_CONNECTIONS_PER_CLIENT); close some, or wait for them to finish, and try again",
        "Retry-After: 1",
    )


def request_timeout(seconds: float) -> bytes:
    """The whole answer to a request not received within the read deadline."""
    return _plain_answer(
        "408 Request Timeout",
        f"the request was not received whole within {seconds:g} seconds (ZKG_REQUEST_READ_TIMEOUT)",
    )


def refuse(conn, answer: bytes) -> None:
    """Answer ``conn`` without waiting, then close it: what it already sent is read first
    (so that closing does not reset the connection before the answer is read), up to 64 KiB."""
    try:
        conn.setblocking(False)
        try:
            conn.recv(65536)
        except OSError:
            pass
        conn.send(answer)
    except OSError:
        pass
    finally:
        conn.close()


def accepting(channel_class, limit: int, clients: ClientTable):
    """What a waitress listener calls to make a connection's channel (its ``channel_class``):
    past ``limit`` connections from the address, answer 429 and close instead, and mark the
    listener (``refused_one``) so that it takes the next connection at once."""

    def accept(server, conn, addr, adj, map=None):
        address = addr[0] if isinstance(addr, tuple) and addr else str(addr)
        allowed, row = clients.open(address, limit)
        if not allowed:
            refuse(conn, too_many_connections(limit))
            server.refused_one = True
            return None
        try:
            channel = channel_class(server, conn, addr, adj, map=map)
        except BaseException:
            if row is not None:
                clients.close(row)
            raise
        channel.client_row = row
        return channel

    return accept


def close_late_requests(listener, read_timeout: float) -> None:
    """Close the connections of a waitress ``listener`` that have waited longer than
    ``read_timeout`` for a request (``ZKG_REQUEST_READ_TIMEOUT``), answering 408 where part
    of one had come; connections answering a request or sending a response are left alone.
    Runs in waitress's loop, with its own check for idle connections (``maintenance``); a
    channel's ``waiting_since`` is set anew when it has answered a request."""
    now = time.monotonic()
    for channel in list(listener.active_channels.values()):
        if channel.requests or channel.total_outbufs_len or channel.will_close:
            channel.waiting_since = None  # busy: the deadline starts when it waits again
            continue
        since = getattr(channel, "waiting_since", now)
        if since is None:
            channel.waiting_since = now
        elif now - since > read_timeout:
            if channel.request is not None:  # part of a request came: say why it is closed
                try:
                    channel.socket.send(request_timeout(read_timeout))
                except OSError:
                    pass
            channel.will_close = True
