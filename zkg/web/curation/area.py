"""The curation area of the app, registered in one call: SPARQL Update, the Graph Store
Protocol, the browser's curation pages and history, and what their templates share."""

from __future__ import annotations

from flask import Flask

from zkg.web.curation import writes
from zkg.web.curation.forms import curate_blueprint
from zkg.web.curation.graph_store import graph_store_blueprint
from zkg.web.curation.history import history_blueprint
from zkg.web.curation.new_entity import new_entity_blueprint
from zkg.web.curation.panel import curation_panel
from zkg.web.curation.revert import revert_blueprint
from zkg.web.curation.session import Forbidden, csrf_token, current_curator
from zkg.web.curation.update import init_update
from zkg.web.redirects import current_path
from zkg.web.sessions import init_sessions


def init_curation(app: Flask) -> None:
    """SPARQL Update, the Graph Store Protocol, the browser's curation pages, history, reverts."""
    writes.init_writes(app)
    init_sessions(app)
    init_update(app)
    app.register_blueprint(graph_store_blueprint)
    app.register_blueprint(curate_blueprint)
    app.register_blueprint(history_blueprint)
    app.register_blueprint(new_entity_blueprint)
    app.register_blueprint(revert_blueprint)

    @app.context_processor
    def curation_context():
        return {
            "curation_panel": curation_panel,
            "current_curator": current_curator,
            "csrf_token": csrf_token,
            "current_path": current_path,
        }

    @app.errorhandler(Forbidden)
    def forbidden(error: Forbidden):
        return writes.plain(error.message, 403)
