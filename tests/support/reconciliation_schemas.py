"""Validation against the Reconciliation API 0.2's own JSON schemas (test data in
tests/power/schemas/reconciliation-0.2/, with their attribution in its README)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "power" / "schemas" / "reconciliation-0.2"
SWAGGER_SECURITY = "http://swagger.io/v2/schema.json"


@lru_cache(maxsize=1)
def _registry() -> tuple[Registry, dict[str, dict]]:
    schemas = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(SCHEMA_DIR.glob("*.json"))}
    resources = [
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7)) for schema in schemas.values()
    ]
    # The manifest's optional `authentication` refers to Swagger 2.0's security scheme, which
    # is not copied here: zkg's manifest has none, so anything goes for it.
    resources.append(
        (
            SWAGGER_SECURITY,
            Resource.from_contents(
                {"definitions": {"securityDefinitions": {"additionalProperties": {}}}}, default_specification=DRAFT7
            ),
        )
    )
    return Registry().with_resources(resources), schemas


def errors(schema_name: str, instance) -> list[str]:
    """What is wrong with ``instance`` by the named schema (``manifest``, ``type``, …)."""
    registry, schemas = _registry()
    validator = Draft7Validator(schemas[schema_name], registry=registry)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(instance)]


def assert_valid(schema_name: str, instance) -> None:
    found = errors(schema_name, instance)
    assert not found, f"not a valid {schema_name}:\n" + "\n".join(found[:20])
