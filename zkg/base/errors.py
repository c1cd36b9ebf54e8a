"""Errors a user can cause, each with a message fit to show them as it is.

The CLI prints ``zkg: error: <message>`` for any :class:`ZkgError`; the web layer turns them
into 4xx responses. Anything else reaching the top is a bug.
"""


class ZkgError(Exception):
    """Base class: ``message`` is one readable line meant for the user.

    ``http_status`` is the status the web layer answers with: 400 (the request is at fault)
    unless a subclass says otherwise.
    """

    http_status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class SettingsError(ZkgError, ValueError):
    """A setting (environment variable or command-line option) has an unusable value."""


class QueryError(ZkgError):
    """A SPARQL query or update that does not parse or cannot be evaluated.

    ``detail``: more lines for the person who wrote it, shown after the message where there is
    room (the protocol's 400 answer): the offending line quoted with a caret, a hint
    (:mod:`zkg.sparql.explain`); empty when there is nothing to add. The message stays one line.
    """

    detail = ""


class DataError(ZkgError):
    """A data file that cannot be read or parsed, or whose content is not allowed.

    ``path``, ``line`` and ``column`` locate the problem when known.
    """

    def __init__(self, message: str, *, path: object = None, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column


class StoreError(ZkgError):
    """The store cannot be opened or used: missing, locked, or loaded under another base IRI.

    Not the client's fault: the web layer answers 503."""

    http_status = 503


class StorageFull(StoreError):
    """The disk holding the data directory is full: the write was not made (HTTP 507
    Insufficient Storage). Reads go on; writes work again once space is freed."""

    http_status = 507


class ReadOnlyData(StoreError):
    """The data directory is read-only (a read-only mount): reads work, writes are refused
    (HTTP 503: the server, not the request, is the reason)."""

    http_status = 503


# What the kernel's errors look like once RocksDB or the engine process has put them in words.
_FULL_WORDS = ("no space left on device", "disk quota exceeded")
_READ_ONLY_WORDS = ("read-only file system",)


def storage_fault(
    error: BaseException | str,
    where: object,
    *,
    doing: str = "write",
    after: str = "nothing was written (free some space and try again)",
) -> StoreError | None:
    """The StorageFull or ReadOnlyData error that ``error`` (an OSError, or the text of an
    engine's or RocksDB's error) stands for, naming the data directory ``where``; None when
    it is about something else. ``doing`` says what could not be done and ``after`` what
    that means, for the message of a full disk.

    >>> storage_fault(OSError(28, "No space left on device"), "/srv/zkg").message
    'no space left on device in the data directory /srv/zkg: could not write; nothing was written (free some space and try again)'
    >>> print(storage_fault("IO error: While open a file for appending: LOG: Read-only file system", "d"))
    the data directory d is read-only: could not write; reads work, writes are refused
    >>> storage_fault(OSError(2, "No such file or directory"), "d") is None
    True
    """
    import errno

    code = getattr(error, "errno", None)
    text = str(error).lower()
    if code in (errno.ENOSPC, errno.EDQUOT) or any(words in text for words in _FULL_WORDS):
        return StorageFull(f"no space left on device in the data directory {where}: could not {doing}; {after}")
    if code == errno.EROFS or any(words in text for words in _READ_ONLY_WORDS):
        return ReadOnlyData(
            f"the data directory {where} is read-only: could not {doing}; reads work, writes are refused"
        )
    return None


class ClientGone(ZkgError):
    """The client closed its connection before its answer was ready: the query was dropped.
    (Nobody reads this answer; the status is for logs.)"""

    http_status = 503

    def __init__(self) -> None:
        super().__init__("the client closed the connection before the answer was ready; the query was stopped")


class QueryRefused(QueryError):
    """A request zkg will not run (HTTP 400): outbound access, an update where only queries
    are accepted, a text it cannot read as the engine would, or one past the limits."""
