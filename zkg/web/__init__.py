"""The zkg web application: ``create_app()`` builds it, one blueprint per concern.

Configuration is a mapping handed to :func:`create_app`; it overrides the settings from the
environment (:class:`zkg.base.settings.Settings`):

- ``ZKG_SETTINGS``: a whole Settings object (else one is built from the environment, with
  any ``ZKG_<SETTING>`` key of the mapping, e.g. ``ZKG_ROW_LIMIT``, overriding it);
- ``ZKG_STORE``: the store facade the app queries: an object (a :class:`zkg.store.local.Store`
  or :class:`zkg.store.remote.RemoteStore`), ``"memory"`` (a new empty in-memory store), a
  ``sparql+http://…`` URL (a remote engine), or absent: the on-disk store of the data
  directory. ``zkg serve`` passes a RemoteStore on the engine it runs;
- anything else is Flask configuration (``TESTING``, …).

Nothing is module-level state: each app has its own settings and store (``app.config``).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Mapping

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from zkg.base.bounded_cache import BoundedCache
from zkg.base.errors import ZkgError
from zkg.base.settings import Settings
from zkg.sparql.passthrough import AnswerCache
from zkg.store.local import Store
from zkg.store.opening import remote_store
from zkg.store.version import dataset_version
from zkg.web.curation.area import init_curation
from zkg.web.front_cache import FrontCache
from zkg.web.http_caching import ResponseCache
from zkg.web.linked_data.entities import entities_blueprint
from zkg.web.linked_data.home import home_blueprint
from zkg.web.linked_data.model import model_blueprint
from zkg.web.linked_data.tables import tables_blueprint
from zkg.web.power.canned import canned_blueprint, service_description_triples
from zkg.web.power.complete import complete_blueprint
from zkg.web.power.reconcile import reconcile_blueprint
from zkg.web.power.reconcile import service_description_triples as reconcile_triples
from zkg.web.security import init_security
from zkg.web.sparql.endpoint import sparql_blueprint
from zkg.web.sparql.service import service_blueprint

log = logging.getLogger(__name__)

#: Paths whose error responses are plain text (machine clients read them).
PLAIN_ERROR_PATHS = ("/sparql", "/.well-known/void", "/graph-store")


def settings_from_config(config: Mapping[str, Any]) -> Settings:
    """``ZKG_SETTINGS`` if given, else the environment's settings with ``ZKG_<NAME>`` keys
    of ``config`` as overrides."""
    if config.get("ZKG_SETTINGS") is not None:
        return config["ZKG_SETTINGS"]
    names = {f.name for f in dataclasses.fields(Settings)}
    overrides = {name: config["ZKG_" + name.upper()] for name in names if "ZKG_" + name.upper() in config}
    return Settings.from_env(**overrides)


def init_store(app: Flask) -> None:
    """Give the app its store (``app.config["ZKG_STORE"]``), from the configuration."""
    settings: Settings = app.config["ZKG_SETTINGS"]
    spec = app.config.get("ZKG_STORE")
    if spec is None or isinstance(spec, str):
        if spec == "memory":
            store = Store.open(None, base_iri=settings.base_iri)
        elif isinstance(spec, str) and spec.startswith("sparql+"):
            store = remote_store(settings, spec=spec)
        else:
            # In-process and on disk: for development (`flask --app zkg.web run`); without
            # the engine process, queries have no time limit. `zkg serve` is for serving.
            store = Store.open(spec or settings.data, base_iri=settings.base_iri)
        app.config["ZKG_STORE"] = store


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(sparql_blueprint)
    app.register_blueprint(service_blueprint)
    # Linked data: IRIs dereference (303), pages and data twins, home, search, dumps.

    app.register_blueprint(entities_blueprint)
    app.register_blueprint(home_blueprint)
    app.register_blueprint(model_blueprint)
    app.register_blueprint(tables_blueprint)
    try:  # the query editor (another part of the project); /sparql answers without it
        from zkg.web.sparql.editor import editor_blueprint
    except ImportError:
        editor_blueprint = None
    if editor_blueprint is not None:
        app.register_blueprint(editor_blueprint)
    # Power tools: canned queries as APIs (+ OpenAPI), completion from the shapes, and the
    # reconciliation service (OpenRefine); each adds itself to the service description.

    app.register_blueprint(canned_blueprint)
    app.register_blueprint(complete_blueprint)
    app.register_blueprint(reconcile_blueprint)
    app.extensions.setdefault("zkg.service_description", []).extend([service_description_triples, reconcile_triples])
    # Curation: SPARQL Update (handed over by /sparql), the Graph Store Protocol, the
    # browser's sign-in, forms, history and recent changes.

    init_curation(app)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if not request.path.startswith(PLAIN_ERROR_PATHS):
            return error  # other blueprints keep Flask's (or their own) pages
        description = error.description
        if error.code == 413:
            limit = app.config["ZKG_SETTINGS"].max_request_bytes
            description = f"the request is larger than the limit of {limit} bytes (ZKG_MAX_REQUEST_BYTES)"
        response = Response(f"{error.code} {error.name}: {description}\n", status=error.code, mimetype="text/plain")
        for name, value in error.get_headers():
            if name.lower() not in ("content-type", "content-length"):
                response.headers[name] = value
        return response

    @app.errorhandler(ZkgError)
    def user_error(error: ZkgError):
        # The error's class knows its status: 400 for bad requests, 503 for a query stopped
        # at the time limit or an engine that cannot be reached, 406 for negotiation.
        return Response(error.message + "\n", status=error.http_status, mimetype="text/plain")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        # A bug: logged with its traceback here, never shown to the client.
        log.exception("unexpected error answering %s %s", request.method, request.path)
        message = "internal error: the server could not answer this request (the error is logged)"
        best = request.accept_mimetypes.best_match(["text/plain", "application/json"], default="text/plain")
        if best == "application/json":
            response = jsonify(error=message)
            response.status_code = 500
            return response
        return Response(message + "\n", status=500, mimetype="text/plain")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """A new zkg Flask app (see the module's docstring for ``config``)."""
    config = dict(config or {})
    app = Flask(__name__)
    settings = settings_from_config(config)
    app.config.update(config)
    app.config["ZKG_SETTINGS"] = settings
    # Bodies past the limit get 413 from werkzeug before any of them is read into memory.
    for key in ("MAX_CONTENT_LENGTH", "MAX_FORM_MEMORY_SIZE"):  # Flask's defaults are None/500 kB
        if key not in config:
            app.config[key] = settings.max_request_bytes
    app.json.sort_keys = False
    init_store(app)

    init_security(app)  # security headers, per-client rate limit, request limits and deadline
    _register_blueprints(app)
    _register_error_handlers(app)
    app.after_request(_no_content_no_type)
    _init_caches(app, settings.cache_bytes)
    return app


def _init_caches(app: Flask, budget: int) -> None:
    """The app's caches of answers per dataset version, sharing ``budget`` bytes
    (``ZKG_CACHE_BYTES``): a quarter for finished responses in front of Flask, a quarter for
    the engine's checked answers, seven sixteenths for pages, documents and search, a
    sixteenth for the IRIs requests resolved to. Each counts its keys as well as its values."""

    app.extensions["zkg.answer_cache"] = AnswerCache(max_bytes=budget // 4, max_answer=min(256 * 1024, budget // 64))
    app.extensions["zkg.response_cache"] = ResponseCache(max_bytes=budget * 7 // 16)
    app.extensions["zkg.resolutions"] = BoundedCache(entries=8192, max_bytes=budget // 16, max_item=budget // 256)
    # Answers the app keeps per dataset version are served again without Flask's request
    # machinery, which cost more than the server itself (zkg.web.front_cache).
    app.wsgi_app = FrontCache(
        app.wsgi_app,
        version_tag=lambda: dataset_version(app.config["ZKG_STORE"]).tag,
        limiter=lambda: app.extensions.get("zkg.rate_limiter"),
        max_bytes=budget // 4,
        max_body=min(2**20, budget // 64),
    )


def _no_content_no_type(response):
    # A 204 has no content, so no type: werkzeug would otherwise label it text/html.
    if response.status_code == 204:
        response.headers.pop("Content-Type", None)
    return response
