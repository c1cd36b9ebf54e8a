"""What every web area adds to an answer: the row cap said in headers (the kit of zkg.web)."""

from __future__ import annotations

from flask import Response, url_for

#: The header of an answer cut at the row limit (``limit=N``).
TRUNCATED_HEADER = "ZKG-Results-Truncated"


def limits_url() -> str:
    return url_for("service.limits", _external=True) + "#row-limit"


def mark_truncated(response: Response, limit: int) -> None:
    """The row cap, said in headers (for every format, CSV and TSV included)."""
    response.headers[TRUNCATED_HEADER] = f"limit={limit}"
    response.headers.add("Link", f'<{limits_url()}>; rel="describedby"; title="row limit"')
    response.headers["Warning"] = f'199 zkg "results truncated at the row limit of {limit}"'
