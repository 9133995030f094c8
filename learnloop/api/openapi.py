"""The API's OpenAPI document declares every answer the API gives, errors included: 400 for a
body that is not JSON or a query parameter holding a NUL character, 401 without a valid token,
403 for what the caller may not do, 404 for what does not exist or is not theirs, 422 for
invalid input (each error names its field). Files (the .ics invitations) are declared with
their own media type."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

ERROR = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {
                            "field": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
            ]
        }
    },
}
REASONS = {
    "400": "The body is not valid JSON, or a query parameter holds a NUL character",
    "401": "No valid token or session",
    "403": "The caller may not do this",
    "404": "Not found, or not the caller's to see (the path's object, or one the input names)",
    "422": "Invalid input: every error names its field",
}
FILES = {".ics": "text/calendar"}


def declared(operation: dict[str, Any], path: str) -> list[str]:
    codes = ["403", "404"]  # 404: the path's object, or one the input names (a team, a person)
    if operation.get("security"):
        codes.append("401")
    if operation.get("parameters") or operation.get("requestBody"):
        codes.append("422")
    queried = any(p.get("in") == "query" for p in operation.get("parameters", []))
    if operation.get("requestBody") or queried:
        codes.append("400")
    return codes


class LearnloopAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
        reference = {"$ref": "#/components/schemas/Error"}
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                responses = operation["responses"]
                for code in declared(operation, path):
                    responses.setdefault(
                        code,
                        {
                            "description": REASONS[code],
                            "content": {"application/json": {"schema": reference}},
                        },
                    )
                for ending, media in FILES.items():
                    if path.endswith(ending):
                        responses[200]["content"] = {media: {"schema": {"type": "string"}}}
        return schema
