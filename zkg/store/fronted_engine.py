"""The remote SPARQL engine a data directory fronts, remembered for the commands run on it.

``zkg serve --store sparql+http://…`` keeps its change log, tokens and sessions in its data
directory and the data at the engine. So that ``zkg --data D query`` (``log``, ``add``,
``revert``, ``token``…) reaches the same engine without repeating the store setting, the
server writes ``D/remote-engine.json`` (:func:`remember`): the store setting *without* the
user name and password (never kept in clear text; the record says whether there were
some), the update endpoint when one was given, and the base IRI served.
:func:`zkg.store.opening.open_store` follows it when no store setting is given; a given
one (``ZKG_STORE`` / ``--store``) wins. The record stays when the server stops: the data
directory's change log describes that engine's data, whichever process writes next.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     remember(Path(folder), "sparql+http://dba:secret@db:8890/sparql", None, "http://zkg.test/")
...     print(open(Path(folder) / RECORD_FILE).read().count("secret"), recalled(Path(folder))["store"])
0 sparql+http://db:8890/sparql
>>> without_credentials("sparql+http://u:p@127.0.0.1:7878/query?update=http://h/u")
('sparql+http://127.0.0.1:7878/query?update=http://h/u', True)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from zkg.base.errors import StoreError

#: The record's file name in the data directory.
RECORD_FILE = "remote-engine.json"


def without_credentials(spec: str) -> tuple[str, bool]:
    """(the store setting without ``user:password@``, whether it had any)."""
    parts = urlsplit(spec)
    if parts.username is None and parts.password is None:
        return spec, False
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), True


def remember(data_dir: Path, spec: str, update_url: str | None, base_iri: str) -> None:
    """Record the engine ``data_dir`` fronts (atomically: written, then renamed into place).
    OSError when it cannot be written (the caller serves on: commands then need the setting)."""
    bare, credentials = without_credentials(spec)
    record = {"store": bare, "update_url": update_url, "credentials": credentials, "base_iri": base_iri}
    target = Path(data_dir) / RECORD_FILE
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    temporary.replace(target)


def recalled(data_dir: Path) -> dict[str, Any] | None:
    """The record of the engine ``data_dir`` fronts, or None (none, or unreadable)."""
    try:
        record = json.loads((Path(data_dir) / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("store"), str):
        return None
    return record


def store_setting(data_dir: Path) -> tuple[str, str | None] | None:
    """(store setting, update URL) a command on ``data_dir`` uses when given none, or None.
    StoreError, in one line, when the engine wants credentials the record does not keep."""
    record = recalled(data_dir)
    if record is None:
        return None
    if record.get("credentials"):
        raise StoreError(
            f"{data_dir} fronts the SPARQL engine {record['store']} (`zkg serve --store`), which needs "
            "a user name and password: give them with ZKG_STORE=sparql+http://USER:PASSWORD@…"
        )
    update_url = record.get("update_url")
    return record["store"], update_url if isinstance(update_url, str) else None
