"""Constants of the web tests (importable by name, unlike conftest modules)."""

#: The row limit of the `app` fixture: small enough that the fixture project exceeds it.
APP_ROW_LIMIT = 5
#: The options of the session's live `zkg serve`.
LIVE_ROW_LIMIT = 100
LIVE_QUERY_TIMEOUT = 1
LIVE_MAX_REQUEST_BYTES = 50_000
