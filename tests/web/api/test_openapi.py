"""The OpenAPI document and the docs page: valid, complete, enveloped, with a working example."""

from __future__ import annotations

import json

import pytest
import yaml
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from core.api.envelope import Code
from tasks.models import Task
from tests.apihelp import isolate, ok
from tests.tasks.factories import make_device

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings):
    isolate(settings)


@pytest.fixture
def as_operator(api_as, operator):
    return api_as(operator)


CONTRACT = {
    "/api/v1/task": {"get", "post"},
    "/api/v1/task/{task_id}": {"get", "delete"},
    "/api/v1/task/batch": {"delete"},
    "/api/v1/task/{task_id}/stop": {"post"},
    "/api/v1/task/{task_id}/retry": {"post"},
    "/api/v1/task/retry-all": {"post"},
    "/api/v1/task/stats": {"get"},
    "/api/v1/license/check": {"get"},
    "/api/v1/accounts": {"get"},
    "/api/v1/devices": {"get"},
    "/api/v1/devices/{serial}": {"get"},
    "/api/v1/devices/connect": {"post"},
    "/api/v1/devices/disconnect": {"post"},
    "/api/v1/devices/{serial}/screenshot": {"get"},
    "/api/v1/materials": {"get", "post"},
    "/api/v1/materials/{id}": {"delete"},
}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema() -> dict:
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_valid_openapi_3_in_json_and_yaml(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    response = APIClient().get("/api/schema/")
    assert yaml.safe_load(response.content)["paths"].keys() == schema["paths"].keys()


def test_every_endpoint_of_the_contract_is_documented(schema):
    for path, methods in CONTRACT.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))


def test_every_operation_documents_the_envelope_and_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation["responses"]
            assert {"200", "400", "401", "403", "429", "500"} <= set(responses), (path, method)
            if "{" in path:
                assert "404" in responses
            json_ok = responses["200"]["content"].get("application/json")
            if json_ok:
                assert json_ok["schema"]["required"] == ["code", "message", "data"], path


def test_every_code_is_documented_with_an_example(schema):
    documented = set(schema["components"]["schemas"]["Error"]["properties"]["code"]["enum"])
    assert documented == {c.value for c in Code} - {0}
    examples = {
        name
        for operation in schema["paths"]["/api/v1/task/{task_id}/stop"].values()
        for response in operation["responses"].values()
        for name in response.get("content", {}).get("application/json", {}).get("examples", {})
    }
    assert {f"code_{c.value}" for c in Code if c is not Code.SUCCESS} <= examples
    for code in Code:
        assert f"| {code.value} |" in schema["info"]["description"]


def test_the_per_script_configs_are_documented_from_the_registry(schema):
    post = schema["components"]["schemas"]["PostConfig"]["properties"]
    assert post["upload_wait_time"]["default"] == 30
    assert "add_button" in post["post_way"]["description"]
    warmup = schema["components"]["schemas"]["AccountWarmupConfig"]["properties"]
    assert "follow_probable" in warmup["floow_probable"]["description"]


def test_the_create_example_validates_as_is(schema, as_operator):
    make_device(serial="emulator-5554")
    operation = schema["paths"]["/api/v1/task"]["post"]
    example = operation["requestBody"]["content"]["application/json"]["examples"]["CurlExample"]

    data = ok(as_operator.post("/api/v1/task", example["value"], format="json"))

    assert data["created_count"] == 1
    assert Task.objects.get().script_name == "post"


def test_the_readme_curl_example_is_the_documented_one(schema):
    from pathlib import Path

    from web.api.schema import CREATE_EXAMPLE_BODY, CURL_EXAMPLE

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert CURL_EXAMPLE.replace("-H 'Authorization: Token <your token>' \\\n  ", "") in readme
    assert json.dumps(CREATE_EXAMPLE_BODY) in CURL_EXAMPLE.replace("\\\n", "")


def test_the_docs_page_serves_its_assets_locally(db):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in page
    assert "cdn." not in page and "unpkg" not in page
