"""Schema-based fuzzing of ``/api/v1`` from its own OpenAPI document: never a 5xx, always JSON.

A small hypothesis generator reads the document the API serves and sends valid and invalid parameters
(wrong types, huge numbers, odd Unicode, unknown values) to every operation. (schemathesis was tried: its
pytest plugin does not work with pytest 9, and its jsonschema_rs backend changes how openapi-spec-validator
judges our document, so it is not a dependency.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import User
from tests.access_rows import World
from tests.support import examples

SETTINGS = settings(
    max_examples=examples(8),
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
NASTY = [
    "",
    "0",
    "-1",
    "9" * 30,
    "1e309",
    "NaN",
    "true",
    "null",
    "[]",
    "\x00",
    "疏勒",
    "🧧" * 20,
    "%",
    "a" * 500,
]


def _operations(client: FlaskClient) -> list[tuple[str, list[dict[str, Any]]]]:
    """(path template, parameters) of every GET operation in the served OpenAPI document."""
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    return [
        (path, operation.get("parameters", []))
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method == "get"
    ]


def _value(parameter: dict[str, Any]) -> st.SearchStrategy[str]:
    """Valid-looking values of the parameter's schema, mixed with invalid ones."""
    schema = parameter.get("schema", {})
    valid: st.SearchStrategy[str]
    if "enum" in schema:
        valid = st.sampled_from([str(v) for v in schema["enum"]])
    elif schema.get("type") == "integer":
        valid = st.integers(schema.get("minimum", -(2**40)), schema.get("maximum", 2**40)).map(str)
    elif schema.get("type") == "boolean":
        valid = st.sampled_from(["true", "false", "1", "0"])
    else:
        valid = st.text(max_size=40)
    invalid = st.one_of(
        st.sampled_from(NASTY), st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
    )
    return st.one_of(valid, invalid)


@st.composite
def requests(draw: st.DrawFn, operations: list[tuple[str, list[dict[str, Any]]]]) -> str:
    """A URL for one operation, its path and query parameters drawn from the document."""
    path, parameters = draw(st.sampled_from(operations))
    query = {}
    for parameter in parameters:
        value = draw(_value(parameter))
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", quote(value, safe="") or "0")
        elif parameter["in"] == "query" and (parameter.get("required") or draw(st.booleans())):
            query[parameter["name"]] = value
    if draw(st.booleans()):
        query[draw(st.sampled_from(["page", "per_page", "unknown", "q"]))] = draw(st.sampled_from(NASTY))
    return path + ("?" + urlencode(query) if query else "")


def test_every_api_operation_answers_json_below_500(
    world: World, as_user: Callable[[User | None], FlaskClient]
) -> None:
    client = as_user(None)
    operations = _operations(client)
    assert {path for path, _ in operations} >= {"/api/v1/products", "/api/v1/certified"}

    @SETTINGS
    @given(url=requests(operations))
    def call(url: str) -> None:
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        assert response.mimetype == "application/json", (url, response.mimetype)
        if response.status_code >= 400:
            assert response.get_json()["error"]["status"] == response.status_code
        response.close()

    call()


def test_path_templates_are_all_exercised(as_user: Callable[[User | None], FlaskClient]) -> None:
    """The generator understands every path template the document has (no unfilled ``{...}``)."""
    for path, parameters in _operations(as_user(None)):
        names = set(re.findall(r"{(\w+)}", path))
        assert names <= {p["name"] for p in parameters if p["in"] == "path"}, path
