"""Building blocks shared by the OpenAPI descriptions of each resource."""

from __future__ import annotations

from typing import Any

from caseapp.fields import FieldSpec

NULLABLE_STRING = {"type": ["string", "null"]}
TIME = {"type": ["string", "null"], "format": "date-time"}


def input_schema(fields: dict[str, FieldSpec]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, spec in fields.items():
        if spec.kind == "choice":
            properties[name] = {"type": "string", "enum": list(spec.choices)}
        elif spec.kind == "time":
            properties[name] = {
                "type": ["string", "null"],
                "description": "ISO 8601; without an offset it is read in the user's zone",
            }
        elif spec.kind == "amount":
            properties[name] = {
                "type": ["string", "number", "null"],
                "description": "decimal, 0 or more",
            }
        elif spec.kind == "bool":
            properties[name] = {"type": "boolean"}
        else:
            properties[name] = {"type": ["string", "null"]}
            if spec.max_length:
                properties[name]["maxLength"] = spec.max_length
    return {"type": "object", "properties": properties, "additionalProperties": False}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "next_cursor": NULLABLE_STRING,
        },
    }


def json_content(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "404": {"$ref": "#/components/responses/NotFound"},
}
INVALID = {"422": {"$ref": "#/components/responses/Invalid"}}
PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
]
CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}
DOSSIER_ID = {"name": "dossier_id", "in": "path", "required": True, "schema": {"type": "string"}}
EVIDENCE_ID = {"name": "evidence_id", "in": "path", "required": True, "schema": {"type": "string"}}
UPLOAD_ERRORS = {
    "413": {"$ref": "#/components/responses/TooLarge"},
    "415": {"$ref": "#/components/responses/Unsupported"},
    "422": {"$ref": "#/components/responses/Invalid"},
}
EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "string"}}


def op(
    summary: str,
    responses: dict[str, Any],
    *,
    params: list[Any] | None = None,
    body: str | None = None,
    tag: str = "cases",
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "responses": {**responses, **ERRORS},
    }
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return operation


def error_response(description: str) -> dict[str, Any]:
    """A response whose body is the API's one error shape."""
    return json_content(ref("Error"), description)


FORBIDDEN = json_content(ref("Error"), "Shared with you read-only: not yours to change")
