"""What every API view shares: the envelope, access rules, pagination and the router."""

from __future__ import annotations

from django.http import QueryDict
from rest_framework.pagination import BasePagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.access import (
    AUTHENTICATION_CLASSES,
    ApiAccess,
    ApiThrottle,
)
from core.api.envelope import (
    EnvelopeRenderer,
    FirstRenderer,
    StrictJSONParser,
    handle_exception,
    invalid,
)
from core.roles import Role

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000  # far beyond any real list; keeps OFFSET inside a 64-bit integer


class ApiViewMixin:
    """Mix into every API view or viewset, first. ``action_roles`` overrides the default
    (viewer for reads, operator for writes) per viewset action."""

    renderer_classes = [EnvelopeRenderer]
    parser_classes = [StrictJSONParser]
    content_negotiation_class = FirstRenderer
    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [ApiAccess]
    throttle_classes = [ApiThrottle]
    licence_exempt = False
    action_roles: dict[str, Role] = {}

    def get_exception_handler(self):
        return handle_exception

    def filter_queryset(self, queryset):
        # Query filters narrow lists only: `POST /task/7/stop?status=0` must still find task 7.
        if getattr(self, "action", None) != "list":
            return queryset
        return super().filter_queryset(queryset)

    def required_role(self, request) -> Role:
        action = getattr(self, "action", None)
        if action in self.action_roles:
            return self.action_roles[action]
        return Role.VIEWER if request.method in SAFE_METHODS else Role.OPERATOR


def page_params(query: QueryDict) -> tuple[int, int]:
    """``(page, page_size)`` from the query; page_size above 100 is clamped, not refused."""
    errors: dict[str, list[str]] = {}
    page = _positive_int(query.get("page"), 1, "page", errors)
    size = _positive_int(query.get("page_size"), DEFAULT_PAGE_SIZE, "page_size", errors)
    if page > MAX_PAGE:
        errors["page"] = [f"must be at most {MAX_PAGE}"]
    if errors:
        raise invalid(errors)
    return page, min(size, MAX_PAGE_SIZE)


def _positive_int(raw: str | None, default: int, name: str, errors: dict) -> int:
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 12:
        errors[name] = ["must be a positive integer"]
        return default
    return int(raw)


class EnvelopePagination(BasePagination):
    """``{<key>: [...], total, page, page_size}``: two queries (count, page) whatever the size.
    A page past the end is an empty list, not an error."""

    key = "items"

    def paginate_queryset(self, queryset, request, view=None):
        self.page, self.page_size = page_params(request.query_params)
        self.total = queryset.count()
        start = (self.page - 1) * self.page_size
        return list(queryset[start : start + self.page_size])

    def get_paginated_response(self, data) -> Response:
        return Response(
            {self.key: data, "total": self.total, "page": self.page, "page_size": self.page_size}
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        integer = {"type": "integer"}
        return {
            "type": "object",
            "required": [self.key, "total", "page", "page_size"],
            "properties": {
                self.key: schema,
                "total": integer,
                "page": integer,
                "page_size": {**integer, "maximum": MAX_PAGE_SIZE},
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            _query_param("page", "1-based page number", 1, MAX_PAGE),
            _query_param("page_size", "items per page; above 100 means 100", DEFAULT_PAGE_SIZE),
        ]


def _query_param(name: str, description: str, default: int, maximum: int | None = None) -> dict:
    schema = {"type": "integer", "minimum": 1, "default": default}
    if maximum:
        schema["maximum"] = maximum
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def paginated(key: str) -> type[EnvelopePagination]:
    """A pagination class whose list is under ``data.<key>`` (``tasks``, ``accounts`` …)."""
    return type(f"{key.title()}Pagination", (EnvelopePagination,), {"key": key})


class ApiRouter(SimpleRouter):
    """TikMatrix clients call ``/api/v1/task`` without a slash; browsers and DRF habit add one.
    Both match (no redirect, which would turn a POST into a GET)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
