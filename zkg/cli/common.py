"""What every command of the command line shares: its usage error, its parser, writing to
standard output and opening the store."""

from __future__ import annotations

import argparse
import sys

from zkg.base.errors import ZkgError
from zkg.base.settings import Settings


class UsageError(ZkgError):
    """Bad command-line usage."""


class Parser(argparse.ArgumentParser):
    # argparse prints usage and exits 2; zkg promises one line and exit 1 for every user error.
    def error(self, message: str):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def write(data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    sys.stdout.buffer.write(data)
    if data and not data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.buffer.flush()


def open_store(settings: Settings, *, create: bool = False, writing: bool = False):
    """The store of ``settings``, as every command opens it: the remote engine the store
    setting names, else the engine of a ``zkg serve`` running on the data directory, else
    the data directory's own store (:func:`zkg.store.opening.open_store` decides)."""
    from zkg.store.opening import open_store as open_configured  # (pyoxigraph's store: loaded when a command needs it)

    return open_configured(settings, create=create, writing=writing)
