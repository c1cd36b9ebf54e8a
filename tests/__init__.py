"""zkg's tests. A package only so that ``tests.support`` (the helpers) has one importable
name; test modules are not imported by each other (``--import-mode=importlib``)."""
