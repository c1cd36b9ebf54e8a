"""zkg: the Zhongguancun Knowledge Graph.

The core (settings, prefixes, store, loading, validation, serialisation, CLI) never imports
Flask; the web application lives in :mod:`zkg.web`.
"""

__version__ = "0.2.0"
