"""Kivra's published API spec as a judge: schema validators and error texts.

The spec is vendored in `spec/` next to this module (swagger.yml, its
partials and Kivra's error catalogue api-errors.json). It is loaded once and
every validator is built once and reused, because building a validator over
the 200 kB spec costs far more than using one.

The spec needs two repairs before it can judge anything:

- the content operation lives in a partial whose `#/components/...`
  references only resolve once the partial is inlined under `paths`;
- the content request body is `oneOf[Content_user_v2, Content_company]`, but
  neither branch forbids extra properties, so valid company bodies match both
  and `oneOf` rejects them. The branch is therefore chosen by recipient key.

Every validation function returns readable error strings (empty = valid),
because callers (the Kivra client, the emulator, tests) report rather than
raise.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema_rs
import msgspec
import yaml
from jsonschema import Draft6Validator, Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT6, DRAFT202012

SPEC_DIR = Path(__file__).parent / "spec"
SWAGGER_FILE = SPEC_DIR / "swagger.yml"
PARTIALS_DIR = SPEC_DIR / "_partials"
CONTENT_PARTIAL = PARTIALS_DIR / "path-v2-tenantkey-content.yml"
CONTENT_RESPONSE_PARTIAL = PARTIALS_DIR / "schema-v2-tenantkey-content-response.yml"
SALARY_SLIP_FILE = PARTIALS_DIR / "schema-salary-slip.json"
ERRORS_FILE = SPEC_DIR / "api-errors.json"

CONTENT_PATH = "/v2/tenant/{tenantKey}/content"
SPEC_VERSION = "c9dd84c"

# The refs the spec uses, relative to its own location, are resolved against
# these URIs; they only need to be stable and distinct, not reachable.
ROOT_URI = SWAGGER_FILE.resolve().as_uri()
SALARY_SLIP_URI = SALARY_SLIP_FILE.resolve().as_uri()
CONTENT_RESPONSE_URI = CONTENT_RESPONSE_PARTIAL.resolve().as_uri()


class ErrorMessage(msgspec.Struct, frozen=True):
    """One entry of Kivra's error catalogue."""

    code: int
    short_message: str
    long_message: str


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


@functools.cache
def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = _load_yaml(SWAGGER_FILE)
    spec["paths"][CONTENT_PATH] = _load_yaml(CONTENT_PARTIAL)
    # The introduction is prose behind a $ref in info.description, which no
    # OpenAPI tool accepts; the text is not needed to judge anything.
    spec["info"]["description"] = "Kivra sender API (introduction omitted)."
    # YAML reads unquoted status codes as integers; JSON pointers and OpenAPI
    # tools both need them as strings.
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"] = {
                    str(k): v for k, v in operation["responses"].items()
                }
    return spec


def load_spec() -> dict[str, Any]:
    """Return a deep copy of the spec with the content partial inlined."""
    return copy.deepcopy(_spec())


@functools.cache
def salary_slip_schema() -> dict[str, Any]:
    """Return the salary slip JSON schema (draft-06)."""
    schema: dict[str, Any] = _load_json(SALARY_SLIP_FILE)
    return schema


@functools.cache
def _registry() -> Registry[Any]:
    slip = Resource.from_contents(salary_slip_schema(), default_specification=DRAFT6)
    response = Resource.from_contents(
        _load_yaml(CONTENT_RESPONSE_PARTIAL), default_specification=DRAFT202012
    )
    root = Resource.from_contents(_spec(), default_specification=DRAFT202012)
    return Registry().with_resources(
        [
            (ROOT_URI, root),
            (SALARY_SLIP_URI, slip),
            (slip.id() or SALARY_SLIP_URI, slip),
            (CONTENT_RESPONSE_URI, response),
        ]
    )


def _pointer(*segments: str) -> str:
    escaped = (s.replace("~", "~0").replace("/", "~1") for s in segments)
    return "#" + quote("/" + "/".join(escaped), safe="/~")


@functools.cache
def _validator_for(pointer: str) -> Validator:
    validator: Validator = Draft202012Validator(
        {"$ref": ROOT_URI + pointer}, registry=_registry()
    )
    return validator


@functools.cache
def _salary_slip_validator() -> Validator:
    validator: Validator = Draft6Validator(salary_slip_schema())
    return validator


def _format_error(error: ValidationError) -> str:
    where = error.json_path
    return f"{where}: {error.message}"


def _errors(validator: Validator, instance: Any) -> list[str]:
    found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [_format_error(error) for error in found]


def schema_names() -> list[str]:
    """Return the names of the spec's component schemas."""
    return list(_spec()["components"]["schemas"])


@functools.cache
def _fast_registry() -> jsonschema_rs.Registry:
    def plain(document: Any) -> Any:
        # YAML reads the examples' dates as dates; a schema is JSON.
        return json.loads(json.dumps(document, default=str))

    # The salary slip's telephone pattern writes "{,2}", which Python reads
    # as "{0,2}" and the compiled validator's regex engine refuses; spelled
    # out it means the same to both.
    slip = json.loads(
        SALARY_SLIP_FILE.read_text(encoding="utf-8").replace("{,2}", "{0,2}")
    )
    return jsonschema_rs.Registry(
        [
            (ROOT_URI, plain(_spec())),
            (SALARY_SLIP_URI, slip),
            (CONTENT_RESPONSE_URI, plain(_load_yaml(CONTENT_RESPONSE_PARTIAL))),
        ]
    )


@functools.cache
def _fast_validator_for(pointer: str) -> jsonschema_rs.Validator | None:
    """A compiled validator for the schema at `pointer`, or None if it cannot be.

    Formats are not checked, as in the Python validator.
    """
    try:
        return jsonschema_rs.validator_for(
            {"$ref": ROOT_URI + pointer},
            registry=_fast_registry(),
            validate_formats=False,
        )
    except (ValueError, jsonschema_rs.ReferencingError):
        return None


def validate_schema(name: str, instance: Any) -> list[str]:
    """Validate `instance` against the component schema `name`.

    A compiled validator answers in microseconds for what passes, which is
    almost everything a client sends (a payroll run's bodies, each checked
    by the client and again by the emulator); whatever it refuses or cannot
    read goes through the Python validator, which has the last word and
    names every error.

    Raises:
        KeyError: when the spec has no component schema of that name.
    """
    if name not in _spec()["components"]["schemas"]:
        raise KeyError(f"no component schema {name!r} in Kivra's spec")
    pointer = _pointer("components", "schemas", name)
    fast = _fast_validator_for(pointer)
    if fast is not None:
        with contextlib.suppress(ValueError):
            if fast.is_valid(instance):
                return []
    return _errors(_validator_for(pointer), instance)


def content_schema_name(body: Any) -> str:
    """Name the content schema branch for `body`: company when it has a VAT number."""
    if isinstance(body, dict) and "vat_number" in body:
        return "Content_company"
    return "Content_user_v2"


def validate_content(body: Any) -> list[str]:
    """Validate a content request body against the branch its recipient selects."""
    return validate_schema(content_schema_name(body), body)


def validate_salary_slip(slip: Any) -> list[str]:
    """Validate a `salaryslip` object against Kivra's salary slip schema."""
    return _errors(_salary_slip_validator(), slip)


def _operation(method: str, path_template: str) -> dict[str, Any] | None:
    item = _spec()["paths"].get(path_template)
    if not isinstance(item, dict):
        return None
    operation = item.get(method.lower())
    return operation if isinstance(operation, dict) else None


def _response_key(operation: dict[str, Any], status: int) -> str | None:
    key = str(status)
    return key if key in operation.get("responses", {}) else None


def has_response_schema(method: str, path_template: str, status: int) -> bool:
    """Tell whether the spec defines a JSON body schema for this response."""
    operation = _operation(method, path_template)
    if operation is None:
        return False
    key = _response_key(operation, status)
    if key is None:
        return False
    content = operation["responses"][key].get("content") or {}
    return "schema" in (content.get("application/json") or {})


def response_headers(method: str, path_template: str, status: int) -> list[str]:
    """Name the headers the spec documents for this response (lower case)."""
    operation = _operation(method, path_template)
    key = _response_key(operation, status) if operation else None
    if operation is None or key is None:
        return []
    return [name.lower() for name in operation["responses"][key].get("headers") or {}]


def validate_response(
    method: str, path_template: str, status: int, body: Any
) -> list[str]:
    """Validate a response body against the operation's response schema.

    Returns an empty list when the spec defines no schema for the response:
    there is nothing to judge by.
    """
    if not has_response_schema(method, path_template, status):
        return []
    pointer = _pointer(
        "paths",
        path_template,
        method.lower(),
        "responses",
        str(status),
        "content",
        "application/json",
        "schema",
    )
    return _errors(_validator_for(pointer), body)


def validate_request(method: str, path_template: str, body: Any) -> list[str]:
    """Validate a request body against the operation's request schema.

    The content operation is judged per recipient branch (see the module
    docstring); operations without a JSON request schema accept anything.
    """
    if path_template == CONTENT_PATH and method.lower() == "post":
        return validate_content(body)
    operation = _operation(method, path_template)
    if operation is None:
        return []
    content = (operation.get("requestBody") or {}).get("content") or {}
    if "schema" not in (content.get("application/json") or {}):
        return []
    pointer = _pointer(
        "paths",
        path_template,
        method.lower(),
        "requestBody",
        "content",
        "application/json",
        "schema",
    )
    return _errors(_validator_for(pointer), body)


def validate_webhook(name: str, body: Any) -> list[str]:
    """Validate a webhook body Kivra sends against the spec's `webhooks` section.

    `name` is the webhook's key there, e.g. `payment.webhook`.

    Raises:
        KeyError: when the spec describes no webhook of that name.
    """
    if name not in _spec().get("webhooks", {}):
        raise KeyError(f"no webhook {name!r} in Kivra's spec")
    pointer = _pointer(
        "webhooks", name, "post", "requestBody", "content", "application/json", "schema"
    )
    return _errors(_validator_for(pointer), body)


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    compiled = [
        (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$"), t)
        for t in _spec()["paths"]
    ]
    # Static segments win over parameters: /v2/tenant/request_access is not a tenant key.
    return sorted(compiled, key=lambda item: item[1].count("{"))


def path_template(path: str) -> str | None:
    """Return the spec's path template for a concrete request path, if any."""
    for pattern, template in _templates():
        if pattern.match(path):
            return template
    return None


@functools.cache
def _catalogue() -> dict[int, ErrorMessage]:
    raw: dict[str, dict[str, str]] = _load_json(ERRORS_FILE)
    return {
        int(code): ErrorMessage(
            code=int(code),
            short_message=entry.get("short_message", ""),
            long_message=entry.get("long_message", ""),
        )
        for code, entry in raw.items()
    }


def error_message(code: int | str) -> ErrorMessage | None:
    """Look up a Kivra error code (int or 5-character string) in the catalogue."""
    try:
        return _catalogue().get(int(str(code)))
    except ValueError:
        return None


def openapi_for_tools() -> dict[str, Any]:
    """Return the spec repaired for strict OpenAPI tools (schemathesis, openapi-core).

    Partials are inlined, status keys are strings, `info.version` exists and
    the OAuth2 flow has a `scopes` map.
    """
    spec = load_spec()
    spec["info"]["version"] = SPEC_VERSION
    spec["components"]["schemas"]["Content_user"] = _load_yaml(CONTENT_RESPONSE_PARTIAL)
    spec["components"]["schemas"]["SalarySlip"] = {
        k: v for k, v in salary_slip_schema().items() if k not in {"$schema", "$id"}
    }
    for scheme in spec["components"].get("securitySchemes", {}).values():
        for flow in (scheme.get("flows") or {}).values():
            flow.setdefault("scopes", {})
    return spec


__all__ = [
    "CONTENT_PATH",
    "ErrorMessage",
    "content_schema_name",
    "error_message",
    "has_response_schema",
    "load_spec",
    "openapi_for_tools",
    "path_template",
    "response_headers",
    "salary_slip_schema",
    "schema_names",
    "validate_content",
    "validate_request",
    "validate_response",
    "validate_salary_slip",
    "validate_schema",
    "validate_webhook",
]
