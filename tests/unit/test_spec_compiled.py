"""The compiled validator agrees with the Python one on what passes.

`spec.validate_schema` lets a compiled validator pass a body and leaves
everything else to the Python validator, so the two must agree that a body
passes: for Kivra's own examples and for each example broken in one place.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from backend.kivra import spec


def _examples() -> dict[str, dict[str, Any]]:
    operation = spec.load_spec()["paths"][spec.CONTENT_PATH]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    return {name: item["value"] for name, item in examples.items()}


def _broken(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The body broken one way at a time, at the top and inside nested parts."""
    variants = []
    for key, value in body.items():
        for wrong in (None, 12345, "", [], {"x": 1}, True):
            if wrong != value:
                variants.append({**body, key: wrong})
        variants.append({k: v for k, v in body.items() if k != key})
        if isinstance(value, dict):
            for inner in value:
                for wrong in (None, -1, "", []):
                    changed = copy.deepcopy(body)
                    changed[key][inner] = wrong
                    variants.append(changed)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for inner in value[0]:
                changed = copy.deepcopy(body)
                changed[key][0][inner] = None
                variants.append(changed)
    variants.append({**body, "unexpected_field": "x"})
    return variants


@pytest.mark.parametrize(("name", "body"), sorted(_examples().items()))
def test_spec_compiled_validator_agrees_with_python(
    name: str, body: dict[str, Any]
) -> None:
    schema = spec.content_schema_name(body)
    pointer = spec._pointer("components", "schemas", schema)
    fast = spec._fast_validator_for(pointer)
    python = spec._validator_for(pointer)
    assert fast is not None, name
    for variant in [body, *_broken(body)]:
        python_passes = not list(python.iter_errors(variant))
        assert fast.is_valid(variant) == python_passes, (name, variant)
        assert (spec.validate_schema(schema, variant) == []) == python_passes
