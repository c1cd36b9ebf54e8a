"""Reading zkg's JSON-LD documents offline: their ``@context`` is the URL of the vocabulary's
context (``{base}def/context.jsonld``), which a processor loads; here it is loaded from the
bytes the server serves, never from the internet.

- :func:`inline_context`: the document with the served context written in place of its URL
  (for pyoxigraph, whose Python API takes no document loader);
- :func:`pyld_loader`: a pyld document loader that answers the context's URL with the served
  bytes and refuses every other URL.
"""

from __future__ import annotations

import json


def inline_context(document: bytes, context: bytes) -> bytes:
    """``document`` with its ``@context`` URL replaced by the served context's ``@context``."""
    parsed = json.loads(document)
    assert isinstance(parsed["@context"], str), "a zkg JSON-LD document names its context by URL"
    parsed["@context"] = json.loads(context)["@context"]
    return json.dumps(parsed, ensure_ascii=False).encode("utf-8")


def pyld_loader(url: str, context: bytes):
    """A pyld document loader serving ``context`` at ``url`` and nothing else."""

    def load(requested: str, options=None) -> dict:
        if requested != url:
            raise AssertionError(f"the JSON-LD processor asked for {requested}, not the context {url}")
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                "document": json.loads(context)}  # fmt: skip

    return load
