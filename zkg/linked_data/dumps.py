"""Whole-dataset dumps (TriG and N-Quads, gzip), made once per dataset version.

A dump is the store's deterministic export (:meth:`zkg.store.local.Store.dump`) gzipped with a
fixed header time, so the same data gives the same bytes. It is built on first request and
kept until the dataset version changes: on disk under ``<data dir>/dumps/`` for an on-disk
store (written to a temporary file, then renamed, so a reader never sees half a dump;
older versions are deleted), in memory otherwise. One lock per format: two requests for a
missing dump build it once. When the dump cannot be written there (a full disk, a read-only
data directory), it is served from memory all the same: reads never fail for lack of room.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from pathlib import Path

from zkg.store.facade import StoreFacade
from zkg.store.version import DatasetVersion, dataset_version


@dataclass(frozen=True)
class DumpFormat:
    name: str  # as Store.dump() knows it
    file_name: str  # the dump's URL ends with it
    media_type: str  # of the uncompressed content


DUMP_FORMATS: dict[str, DumpFormat] = {
    f.name: f
    for f in (
        DumpFormat("trig", "zkg.trig.gz", "application/trig"),
        DumpFormat("nquads", "zkg.nq.gz", "application/n-quads"),
    )
}
GZIP_MEDIA_TYPE = "application/gzip"


def dump_format_for(file_name: str) -> DumpFormat | None:
    return next((f for f in DUMP_FORMATS.values() if f.file_name == file_name), None)


@dataclass(frozen=True)
class Dump:
    format: DumpFormat
    version: DatasetVersion
    path: Path | None  # on disk, or None when held in memory
    content: bytes | None

    def read(self) -> bytes:
        return self.content if self.content is not None else self.path.read_bytes()

    @property
    def size(self) -> int:
        return len(self.content) if self.content is not None else self.path.stat().st_size


class DumpCache:
    """The dumps of one store, rebuilt when its dataset version changes."""

    def __init__(self, store: StoreFacade):
        self.store = store
        self.directory = Path(store.data_dir) / "dumps" if store.data_dir is not None else None
        self._memory: dict[str, Dump] = {}
        self._locks = {name: threading.Lock() for name in DUMP_FORMATS}

    def get(self, name: str) -> Dump:
        """The dump in format ``name`` (``trig`` or ``nquads``) of the data as it is now."""
        dump_format = DUMP_FORMATS[name]
        with self._locks[name]:
            version = dataset_version(self.store)
            if self.directory is None:
                held = self._memory.get(name)
                if held is None or held.version.tag != version.tag:
                    held = Dump(dump_format, version, None, self._build(dump_format))
                    self._memory[name] = held
                return held
            path = self.directory / f"{version.tag}-{dump_format.file_name}"
            if not path.is_file():
                content = self._build(dump_format)
                temporary = path.with_name(path.name + ".tmp")
                try:
                    self.directory.mkdir(parents=True, exist_ok=True)
                    temporary.write_bytes(content)
                    temporary.replace(path)
                except OSError:  # no room, or a read-only directory: serve it from memory
                    try:
                        temporary.unlink(missing_ok=True)
                    except OSError:
                        pass
                    return Dump(dump_format, version, None, content)
                for old in self.directory.glob(f"*-{dump_format.file_name}"):
                    if old != path:
                        old.unlink(missing_ok=True)
            return Dump(dump_format, version, path, None)

    def _build(self, dump_format: DumpFormat) -> bytes:
        # mtime=0: the same data gives the same bytes (and the same ETag would not lie).
        return gzip.compress(self.store.dump(format=dump_format.name), compresslevel=6, mtime=0)
