import dataclasses
from pathlib import Path

import pytest

from zkg.base.errors import SettingsError, ZkgError
from zkg.base.settings import Settings, resource_dir


def test_defaults():
    s = Settings.from_env(environ={})
    assert s.base_iri == "http://localhost:8080/"
    assert s.data == Path("zkg-data")
    assert (s.host, s.port, s.query_timeout, s.row_limit, s.max_request_bytes) == (
        "127.0.0.1",
        8080,
        30.0,
        10000,
        1_000_000,
    )
    assert s.graph_dir == resource_dir("graph") and s.ontology_dir == resource_dir("ontology")
    assert s.store_dir == Path("zkg-data") / "store"


def test_environment_then_overrides():
    env = {
        "ZKG_BASE_IRI": "https://zkg.example.org/",
        "ZKG_DATA": "/srv/zkg",
        "ZKG_PORT": "9000",
        "ZKG_QUERY_TIMEOUT": "2.5",
        "ZKG_ROW_LIMIT": "50",
        "ZKG_MAX_REQUEST_BYTES": "2048",
        "ZKG_HOST": "0.0.0.0",
        "ZKG_GRAPH_DIR": "/g",
        "ZKG_ONTOLOGY_DIR": "/o",
    }
    s = Settings.from_env(environ=env)
    assert (s.base_iri, s.data, s.port, s.query_timeout, s.row_limit, s.max_request_bytes, s.host) == (
        "https://zkg.example.org/",
        Path("/srv/zkg"),
        9000,
        2.5,
        50,
        2048,
        "0.0.0.0",
    )
    assert (s.graph_dir, s.ontology_dir) == (Path("/g"), Path("/o"))
    # An override (a CLI option) wins over the environment; None means "not given".
    s = Settings.from_env(environ=env, port=1234, base_iri=None, data="/elsewhere")
    assert (s.port, s.base_iri, s.data) == (1234, "https://zkg.example.org/", Path("/elsewhere"))


def test_settings_are_frozen():
    s = Settings.from_env(environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.port = 1


def test_uses_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("ZKG_ROW_LIMIT", "7")
    assert Settings.from_env().row_limit == 7


@pytest.mark.parametrize(
    "variable, value",
    [
        ("ZKG_PORT", "abc"),
        ("ZKG_PORT", "70000"),
        ("ZKG_QUERY_TIMEOUT", "soon"),
        ("ZKG_QUERY_TIMEOUT", "-1"),
        ("ZKG_ROW_LIMIT", "0"),
        ("ZKG_ROW_LIMIT", "1.5"),
        ("ZKG_MAX_REQUEST_BYTES", "lots"),
        ("ZKG_BASE_IRI", "zkg.example.org/"),
        ("ZKG_BASE_IRI", "http://zkg.example.org"),
        ("ZKG_BASE_IRI", "ftp://zkg.example.org/"),
        ("ZKG_BASE_IRI", "http:///"),
        ("ZKG_BASE_IRI", "http://x/?q=1/"),
        ("ZKG_BASE_IRI", "http://x y/"),
    ],
)
def test_bad_environment_value_names_the_variable(variable, value):
    with pytest.raises(ValueError) as caught:
        Settings.from_env(environ={variable: value})
    message = str(caught.value)
    assert message.startswith(variable + " ") and "\n" not in message
    assert isinstance(caught.value, SettingsError) and isinstance(caught.value, ZkgError)


def test_bad_override_names_the_option():
    with pytest.raises(SettingsError, match=r"^--base-iri must be an absolute http\(s\) IRI ending with '/'"):
        Settings.from_env(environ={}, base_iri="not an iri")


def test_unknown_override_is_a_programming_error():
    with pytest.raises(TypeError):
        Settings.from_env(environ={}, colour="blue")


def test_resource_dir_is_the_repository_root_in_a_checkout():
    root = Path(__file__).resolve().parents[2]
    for name in ("graph", "ontology"):
        if (root / name).is_dir():
            assert resource_dir(name) == root / name


def test_a_worker_rebuilds_the_same_settings_from_its_payload():
    """zkg serve hands every setting to its workers as text (zkg.serve.workers): the optional
    ones (None) and the switches must come back as they were."""
    from zkg.serve.workers import _settings_payload  # noqa: PLC2701 (the payload's own test)

    for environ in (
        {},
        {
            "ZKG_WORKERS": "3",
            "ZKG_STORE": "sparql+http://127.0.0.1:1/query",
            "ZKG_ANSWER_CACHE": "0",
            "ZKG_DEBUG": "1",
            "ZKG_RATE_LIMIT": "0",
            "ZKG_OXIGRAPH": "/opt/oxigraph",
        },
    ):
        settings = Settings.from_env(environ=environ)
        assert Settings.from_env(environ={}, **_settings_payload(settings)) == settings
