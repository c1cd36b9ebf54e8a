"""Each user-facing error reaches the client with its own status, never a traceback."""

from __future__ import annotations

import pytest

from zkg.base.errors import DataError, QueryError
from zkg.store.http_exchange import EngineUnavailable, QueryTimeout


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (QueryTimeout(2), 503),  # stopped at the time limit
        (EngineUnavailable("the engine is restarting"), 503),  # not the client's fault
        (QueryError("SPARQL syntax error at 1:8"), 400),
        (DataError("bad Turtle at line 3"), 400),
    ],
)
def test_errors_raised_anywhere_in_the_app_keep_their_status(app, error, status):
    # A page that runs a query (an entity page, say) can meet the same errors as /sparql.
    @app.route("/_raises")
    def raises():
        raise error

    response = app.test_client().get("/_raises")
    assert response.status_code == status
    assert error.message in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
