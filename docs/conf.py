"""Sphinx configuration of zkg's documentation (MyST Markdown pages).

Build: ``.venv/bin/sphinx-build -W -b html docs /tmp/docs-out`` (``-W``: a warning fails the
build, as in CI through tests/test_docs.py). The reference pages' generated parts are
written by cog beforehand (docs/zkg_reference.py), not at build time, so the build imports no
zkg module but ``zkg`` itself (its version).
"""

from zkg import __version__

project = "zkg"
author = "the zkg authors"
copyright = "the zkg authors; Apache-2.0"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", ".venv", "**/__pycache__"]

# Headings get anchors down to level 3, so pages can link to "#a-section" as on GitHub.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

html_theme = "furo"
html_title = f"zkg {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
# No web fonts, no analytics, no outside assets: the site builds and reads offline.
html_theme_options = {"navigation_with_keys": True}

# Every warning is an error in CI; this one (a link to a file outside docs/, e.g. a test file
# named in prose) is avoided by writing such paths as code, not links.
suppress_warnings: list[str] = []
