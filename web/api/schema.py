"""The OpenAPI document: every success wrapped in the envelope, every error code listed with an
example, the per-script config schemas derived from the registry, and the curl example."""

from __future__ import annotations

import copy
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample

from core.errors import CODE_MEANINGS, Code
from tasks.scripts.registry import MAX_CONFIG_BYTES, SCRIPTS, Field

# The example of the README and the docs; a test posts it verbatim (with this phone present).
CREATE_EXAMPLE_BODY = {
    "serials": ["emulator-5554"],
    "script_name": "post",
    "script_config": {
        "content_type": 0,
        "captions": "First post from the API #fyp",
        "material_source": "materialLibrary",
    },
}
CREATE_EXAMPLE = OpenApiExample(
    "curl example",
    summary="Post a library video on one phone (the README's curl example)",
    value=CREATE_EXAMPLE_BODY,
    request_only=True,
)
CURL_EXAMPLE = (
    "curl -s -X POST http://127.0.0.1:50809/api/v1/task \\\n"
    "  -H 'Content-Type: application/json' \\\n"
    "  -H 'Authorization: Token <your token>' \\\n"
    """  -d '{"serials": ["emulator-5554"], "script_name": "post", "script_config": """
    """{"content_type": 0, "captions": "First post from the API #fyp", """
    """"material_source": "materialLibrary"}}'"""
)

DESCRIPTION = f"""
A drop-in for the TikMatrix local task API (`/api/v1`), plus devices and materials.

**Envelope.** Every response under `/api/` is `{{"code", "message", "data"}}`; success is
`code 0`, `message "success"`, HTTP 200. Clients only need to read `code`. Invalid parameters
(`40001`) always carry `data.errors`: field → list of messages (`script_config.<key>` for
script options, `body` for the body as a whole).

**Authentication.** `Authorization: Token <key>` (create one with
`manage.py api_token USERNAME` or in the dashboard) or a signed-in browser session (with CSRF).
Viewers may read; operators may also create, stop, retry and delete, and take live phone
screenshots; owners everything.
With `API_OPEN_ON_LOCALHOST=1`, requests from this machine need no token and act as an operator
(how TikMatrix clients call today). Such a call must name this machine in `Host`, carry no
`Origin`/`Referer` of another site and send JSON (web pages cannot use it); uploads need a token.

**Licence.** Every endpoint but `GET /api/v1/license/check` needs a plan with API access
(Pro, Team, Business): otherwise `40301`.

Example:

```
{CURL_EXAMPLE}
```

| code | HTTP | meaning |
|---|---|---|
""" + "\n".join(f"| {c.value} | {c.http_status} | {CODE_MEANINGS[c]} |" for c in Code)


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.tokens.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: a team member's API token (stored hashed).",
        }


SCHEMA_SETTINGS = {
    "DESCRIPTION": DESCRIPTION,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "web.api.schema.envelope_hook",
    ],
    "TAGS": [
        {"name": "tasks", "description": "Create, list, stop, retry and delete tasks."},
        {"name": "devices", "description": "Phones, as the adb server lists them."},
        {"name": "accounts", "description": "Accounts with their phone's live status."},
        {"name": "materials", "description": "Uploaded videos and images for `post`."},
        {"name": "licence", "description": "What this install's licence allows."},
    ],
}

ERROR_STATUSES: dict[int, list[Code]] = {}
for _code in Code:
    if _code is not Code.SUCCESS:
        ERROR_STATUSES.setdefault(_code.http_status, []).append(_code)

ERROR_EXAMPLES: dict[Code, Any] = {
    Code.INVALID: {"errors": {"serials": ["unknown serial: emulator-9999"]}},
    Code.SCRIPT_MISSING: {"errors": {"script_name": ["script_name is required"]}},
    Code.SCRIPT_NOT_SUPPORTED: {"errors": {"script_name": ["script 'like' is not supported"]}},
    Code.PLAN_HAS_NO_API: {
        "plan_name": "Starter",
        "api_enabled": False,
        "device_limit": 5,
        "expires_at": "2026-01-31T00:00:00+00:00",
        "message": "Starter licence for this farm",
    },
}


def envelope_hook(result: dict, generator, request, public) -> dict:
    """Wrap every documented success in the envelope and list the error answers."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = _error_schema()
    schemas.update(_config_schemas())
    # Documented as TikMatrix clients call them (no trailing slash; both forms are served).
    result["paths"] = {path.rstrip("/"): ops for path, ops in result.get("paths", {}).items()}
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                _wrap_operation(path, operation)
    return result


def _wrap_operation(path: str, operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    ok = responses.pop("201", None) or responses.get("200") or {}
    ok["description"] = ok.get("description") or "success (code 0)"
    content = ok.setdefault("content", {})
    json_body = content.pop("application/json", None)
    if json_body is not None or not content:
        data = (json_body or {}).get("schema", {"nullable": True})
        content["application/json"] = {"schema": _success_schema(data)}
    responses["200"] = ok
    for status, codes in ERROR_STATUSES.items():
        if status == 404 and "{" not in path:
            codes = [c for c in codes if c is not Code.NOT_FOUND] or codes
        responses.setdefault(str(status), _error_response(codes))


def _success_schema(data: dict) -> dict:
    return {
        "type": "object",
        "required": ["code", "message", "data"],
        "properties": {
            "code": {"type": "integer", "enum": [0]},
            "message": {"type": "string", "enum": ["success"]},
            "data": data,
        },
    }


def _error_schema() -> dict:
    return {
        "type": "object",
        "required": ["code", "message", "data"],
        "properties": {
            "code": {"type": "integer", "enum": [c.value for c in Code if c is not Code.SUCCESS]},
            "message": {"type": "string"},
            "data": {
                "type": "object",
                "nullable": True,
                "description": "`errors` (field → messages) for 40001-40003; the licence for "
                "40301; otherwise null.",
                "properties": {
                    "errors": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    }
                },
            },
        },
    }


def _error_response(codes: list[Code]) -> dict:
    examples = {
        f"code_{code.value}": {
            "summary": f"{code.value}: {CODE_MEANINGS[code]}",
            "value": {
                "code": code.value,
                "message": CODE_MEANINGS[code],
                "data": copy.deepcopy(ERROR_EXAMPLES.get(code)),
            },
        }
        for code in codes
    }
    return {
        "description": "; ".join(f"{c.value} {CODE_MEANINGS[c]}" for c in codes),
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "examples": examples,
            }
        },
    }


# --- script configs, from the registry ----------------------------------------------------------

_TYPES = {
    "int": {"type": "integer"},
    "number": {"type": "number"},
    "bool": {"type": "boolean"},
    "str": {"type": "string"},
    "str_or_int": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    "str_list": {"type": "array", "items": {"type": "string"}},
    "object": {"type": "object", "additionalProperties": True},
}


def _config_schemas() -> dict:
    return {
        f"{''.join(p.title() for p in script.name.split('_'))}Config": {
            "type": "object",
            "description": f"`script_config` of `{script.name}`: unknown keys are accepted but "
            "not stored (the answer names them in `ignored_keys`); at most "
            f"{MAX_CONFIG_BYTES} bytes of JSON per task.",
            "additionalProperties": True,
            "properties": {f.name: _field_schema(f) for f in script.fields},
        }
        for script in SCRIPTS.values()
        if script.api
    }


def _field_schema(spec: Field) -> dict:
    schema = copy.deepcopy(_TYPES[spec.kind])
    if spec.default is not None:
        schema["default"] = spec.default
    if spec.choices:
        schema["enum"] = list(spec.choices)
    if spec.minimum is not None:
        schema["minimum"] = spec.minimum
    if spec.maximum is not None:
        schema["maximum"] = spec.maximum
    notes = []
    if spec.aliases:
        notes.append("also accepted as " + ", ".join(f"`{a}`" for a in spec.aliases))
    if spec.value_aliases:
        notes.append("also " + ", ".join(f"`{a}` for `{v}`" for a, v in spec.value_aliases.items()))
    if notes:
        schema["description"] = "; ".join(notes)
    return schema
