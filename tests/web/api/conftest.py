"""Fixtures for the API tests (shared helpers live in tests/apihelp.py)."""

from tests.apihelp import (  # noqa: F401  (fixtures, found by pytest by name)
    api_cache,
    as_operator,
    as_owner,
    as_viewer,
    free_plan,
    local_api,
    starter_plan,
)
