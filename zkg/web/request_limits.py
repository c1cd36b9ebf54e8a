"""What any request may carry before zkg works on it, and the deadline of its work.

:func:`init_request_limits` (called by :func:`zkg.web.create_app`) adds a ``before_request``
hook that, before anything parses the request:

- refuses more than :data:`MAX_PARAMETERS` parameters in the URL or in a form body (400):
  werkzeug parses each into Python objects, and a megabyte of ``a&a&…`` costs half a
  CPU-second before any view runs (multipart forms have Flask's own ``MAX_FORM_PARTS``,
  the same number);
- refuses an ``Accept`` or ``Accept-Language`` header longer than :data:`MAX_NEGOTIATED_HEADER`
  characters (400): zkg parses them element by element (:mod:`zkg.rdf.negotiation`,
  :mod:`zkg.linked_data.labels`), and no client needs more than a few hundred;
- starts the request's deadline (:mod:`zkg.base.deadline`): its work in Python stops at the query
  time limit (``ZKG_QUERY_TIMEOUT``), or as soon as its client has gone.

The refusals are JSON (``{"error": …}``) under ``/reconcile``, as the reconciliation
protocol's errors are, and plain text elsewhere.
"""

from __future__ import annotations

from flask import Flask, Response, g, jsonify, request

from zkg.base import deadline

#: Parameters in a URL, or in a form body (Flask's MAX_FORM_PARTS is the same for multipart).
MAX_PARAMETERS = 1000
#: Characters of an Accept or Accept-Language header.
MAX_NEGOTIATED_HEADER = 4096
NEGOTIATED_HEADERS = ("Accept", "Accept-Language")


def _refuse(message: str) -> Response:
    if request.path == "/reconcile" or request.path.startswith("/reconcile/"):
        response = jsonify({"error": message})
        response.status_code = 400
        return response
    return Response(message + "\n", status=400, mimetype="text/plain")


def _parameter_count(raw: bytes | str) -> int:
    return 0 if not raw else raw.count(b"&" if isinstance(raw, bytes) else "&") + 1


def check_request() -> Response | None:
    """A 400 for a request past the limits above; None for the others."""
    for name in NEGOTIATED_HEADERS:
        value = request.headers.get(name)
        if value is not None and len(value) > MAX_NEGOTIATED_HEADER:
            return _refuse(f"the {name} header is longer than {MAX_NEGOTIATED_HEADER} characters ({len(value)})")
    in_url = _parameter_count(request.environ.get("QUERY_STRING", ""))
    if in_url > MAX_PARAMETERS:
        return _refuse(f"the URL has {in_url} parameters, more than {MAX_PARAMETERS}")
    if request.mimetype == "application/x-www-form-urlencoded":
        # Read once and kept: the form is then parsed from these bytes (werkzeug reads the
        # cached body), so nothing is read twice. The size limit applies as it reads.
        in_body = _parameter_count(request.get_data(cache=True))
        if in_body > MAX_PARAMETERS:
            return _refuse(f"the form has {in_body} parameters, more than {MAX_PARAMETERS}")
    return None


def init_request_limits(app: Flask) -> None:
    limit = app.config["ZKG_SETTINGS"].query_timeout

    @app.before_request
    def _limit_request():
        refused = check_request()
        if refused is not None:
            return refused
        g.zkg_deadline = deadline.start(limit)
        return None

    @app.teardown_request
    def _end_deadline(_error):
        token = g.pop("zkg_deadline", None)
        if token is not None:
            deadline.stop(token)
