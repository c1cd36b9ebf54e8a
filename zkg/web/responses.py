"""What every web area adds to an answer: the row cap said in headers, and the SPARQL
protocol's answers (:class:`zkg.sparql.protocol.Answer`) made responses (the kit of zkg.web)."""

from __future__ import annotations

from flask import Response, request, url_for

from zkg.sparql.protocol import Answer
from zkg.web.front_cache import mark_shareable


def plain(message: str, status: int = 200) -> Response:
    """A plain-text answer of one message (one trailing newline): every area's errors a person
    can act on (400, 404, 406, …) and the curation writes' reports."""
    return Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")


#: The header of an answer cut at the row limit (``limit=N``).
TRUNCATED_HEADER = "ZKG-Results-Truncated"


def limits_url() -> str:
    return url_for("service.limits", _external=True) + "#row-limit"


def mark_truncated(response: Response, limit: int) -> None:
    """The row cap, said in headers (for every format, CSV and TSV included)."""
    response.headers[TRUNCATED_HEADER] = f"limit={limit}"
    response.headers.add("Link", f'<{limits_url()}>; rel="describedby"; title="row limit"')
    response.headers["Warning"] = f'199 zkg "results truncated at the row limit of {limit}"'


def answer_response(answer: Answer) -> Response:
    """The response that sends ``answer`` (not :attr:`~zkg.sparql.protocol.Answer.editor`,
    which each area shows its own way)."""
    response = Response(answer.body, status=answer.status, content_type=answer.content_type)
    for name in answer.vary:
        response.vary.add(name)
    if answer.retry_after is not None:
        response.headers["Retry-After"] = str(answer.retry_after)
    if answer.truncated_at is not None:
        mark_truncated(response, answer.truncated_at)
    if answer.shareable is not None:
        mark_shareable(request.environ, answer.shareable)  # a checked answer of this version (zkg.web.front_cache)
    return response
