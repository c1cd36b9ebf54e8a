"""The tests' helpers: the one importable package of test code (``from tests.support.zkg_testing
import TEST_BASE``). Fixtures live in ``conftest.py`` files (tests/conftest.py for those
several folders use); the code the tests share that is not a fixture lives here.

- ``zkg_testing``: the test base IRI, the fixture project, the real graph/ and ontology/;
- ``sparql_testing``: the query interface of the competency questions and vocabulary guards;
- ``shapes_testing``: parsing and validation for the shape tests;
- ``web_testing``: the limits of the test apps and of the session's live server;
- ``curation_testing``: a writable app with a write and a read token;
- ``live_server``: a real ``zkg serve`` subprocess (``LiveServer``), ``zkg load``, process trees;
- ``browser``: headless Chromium, started for tests/web/conftest.py's ``browser`` fixture;
- ``markers``: which tests are ``live``, ``browser`` and ``remote`` (applied by tests/conftest.py);
- ``w3c_runner``, ``w3c_gsp_runner``: zkg's runners of the W3C SPARQL 1.1 Protocol and Graph
  Store Protocol tests (the manifests: tests/conformance/w3c/sparql11/);
- ``engine_oracle``: a raw Oxigraph server to compare the guard with;
- ``mount_namespace``, ``seccomp_refused``: real disk faults and a seccomp filter, for hardening;
- ``reconciliation_schemas``: the Reconciliation API's JSON schemas (tests/power/schemas/).
"""
