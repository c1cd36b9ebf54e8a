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
    """A SPARQL query or update that does not parse or cannot be evaluated."""


class DataError(ZkgError):
    """A data file that cannot be read or parsed, or whose content is not allowed.

    ``path``, ``line`` and ``column`` locate the problem when known.
    """

    def __init__(self, message: str, *, path=None, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column


class StoreError(ZkgError):
    """The store cannot be opened or used: missing, locked, or loaded under another base IRI.

    Not the client's fault: the web layer answers 503."""

    http_status = 503
