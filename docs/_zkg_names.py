"""The names of zkg the documentation is generated from, imported in this one place.

Only three: the web app's factory (its URL map), the Settings class (its fields and
defaults) and the command line's parser and command table. When a module moves, this is the
file to change; docs/zkg_reference.py and tests/test_docs.py import from here.
"""

from zkg.base.settings import Settings
from zkg.cli.main import COMMANDS, build_parser
from zkg.web import create_app

__all__ = ["COMMANDS", "Settings", "build_parser", "create_app"]
