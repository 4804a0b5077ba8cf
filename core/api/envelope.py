"""The ``{code, message, data}`` envelope, on every /api/ response.

Views return bare data; :class:`EnvelopeRenderer` wraps it as a success. Every failure, whether
raised by DRF, Django or our services, goes through :func:`handle_exception`, the one place
that maps exceptions to codes (the table is ``core.errors.Code``). Our services raise
``core.errors.DomainError`` subclasses that carry their own code, so this module knows no app.
Requests that never reach a DRF view (unknown routes, crashes in middleware) get the same
envelope from the Django handlers at the bottom. Bodies never carry a stack trace.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import Code, DomainError

log = logging.getLogger("core.api")

API_PREFIX = "/api/"


class ApiError(Exception):
    """An error answered as-is: ``raise ApiError(Code.X, "message", data)``."""

    def __init__(self, code: Code, message: str, data: Any = None, headers: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.data, self.headers = code, message, data, headers or {}


def invalid(errors: dict[str, list[str]], message: str = "invalid parameters") -> ApiError:
    return ApiError(Code.INVALID, message, {"errors": errors})


def envelope(code: Code, message: str, data: Any = None) -> dict:
    return {"code": int(code), "message": message, "data": data}


# --- DRF side -----------------------------------------------------------------------------------


class EnvelopeRenderer(JSONRenderer):
    """Wraps a view's data as a success; error responses are already envelopes."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and not getattr(response, "exception", False):
            data = envelope(Code.SUCCESS, "success", data)
        return super().render(data, accepted_media_type, renderer_context)


class FirstRenderer(DefaultContentNegotiation):
    """Always answer JSON, whatever ``Accept`` says: TikMatrix clients and curl send anything."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# Arrays and objects inside one another: no request of this API needs more than a handful of
# levels, and deeper ones only cost recursion (copying, validating, masking) further on.
MAX_JSON_DEPTH = 32


class StrictJSONParser(JSONParser):
    """JSON as the standard has it: ``NaN``/``Infinity`` are refused, not parsed as floats;
    nesting deeper than :data:`MAX_JSON_DEPTH` is refused too.

    Body size: DRF reads the body through Django, which refuses more than
    DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig, answered as 40001 under ``body``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        too_deep = f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except RecursionError:  # deeper than Python's own parser goes
            raise exceptions.ParseError(too_deep) from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise exceptions.ParseError(f"malformed JSON: {exc}") from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(too_deep)
        return data


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _depth(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (0 for a scalar), without recursing."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            level += 1
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, level) for child in children)
    return deepest


def handle_exception(exc: Exception, context: dict) -> Response:
    """Every exception a DRF view raises, as an enveloped Response (the one mapping)."""
    code, message, data, headers = _classify(exc, context)
    set_rollback()
    return Response(envelope(code, message, data), status=code.http_status, headers=headers)


def _classify(exc: Exception, context: dict) -> tuple[Code, str, Any, dict]:
    if isinstance(exc, ApiError):
        return exc.code, exc.message, exc.data, exc.headers
    if isinstance(exc, DomainError):
        return exc.code, str(exc), exc.data, {}
    if isinstance(exc, RequestDataTooBig):
        message = f"request body too large (limit {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)"
        return Code.INVALID, message, {"errors": {"body": [message]}}, {}
    if isinstance(exc, DjangoValidationError):
        return Code.INVALID, "invalid parameters", {"errors": django_errors(exc)}, {}
    if isinstance(exc, Http404):
        return Code.NOT_FOUND, "not found", None, {}
    if isinstance(exc, DjangoPermissionDenied):
        return Code.ROLE_TOO_LOW, str(exc) or "permission denied", None, {}
    if isinstance(exc, exceptions.APIException):
        return _classify_drf(exc)
    log.error("API request %s failed", _path(context), exc_info=exc)
    return Code.INTERNAL, "internal error; see the server log", None, {}


def _classify_drf(exc: exceptions.APIException) -> tuple[Code, str, Any, dict]:
    message = _text(exc.detail)
    if isinstance(exc, exceptions.ValidationError):
        return Code.INVALID, "invalid parameters", {"errors": drf_errors(exc.detail)}, {}
    if isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        return Code.INVALID, message, {"errors": {"body": [message]}}, {}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        header = getattr(exc, "auth_header", None) or "Token"
        return Code.NOT_AUTHENTICATED, message, None, {"WWW-Authenticate": header}
    if isinstance(exc, exceptions.PermissionDenied):
        return Code.ROLE_TOO_LOW, message, None, {}
    if isinstance(exc, exceptions.NotFound):
        return Code.NOT_FOUND, message, None, {}
    if isinstance(exc, exceptions.MethodNotAllowed):
        return Code.METHOD_NOT_ALLOWED, message, None, {}
    if isinstance(exc, exceptions.Throttled):
        headers = {"Retry-After": str(int(exc.wait))} if exc.wait is not None else {}
        return Code.RATE_LIMITED, message, None, headers
    if isinstance(exc, exceptions.NotAcceptable):
        return Code.INVALID, message, {"errors": {"body": [message]}}, {}
    log.error("unmapped API exception %r", exc)
    return Code.INTERNAL, "internal error; see the server log", None, {}


def drf_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → ``{"field" or "parent.child": [messages]}``, never empty."""
    errors: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "body" if key == "non_field_errors" and not prefix else f"{prefix}{key}"
            for sub_key, messages in drf_errors(value, f"{name}.").items():
                errors.setdefault(sub_key, []).extend(messages)
    elif isinstance(detail, list) and detail and all(isinstance(d, dict) for d in detail):
        for index, item in enumerate(detail):
            errors.update(drf_errors(item, f"{prefix}{index}."))
    else:
        items = detail if isinstance(detail, list) else [detail]
        errors[prefix.rstrip(".") or "body"] = [str(item) for item in items]
    return {key: messages for key, messages in errors.items() if messages} or {"body": ["invalid"]}


def django_errors(exc: DjangoValidationError, prefix: str = "") -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            (f"{prefix}{key}" if key != "__all__" else prefix.rstrip(".") or "body"): messages
            for key, messages in exc.message_dict.items()
        }
    return {prefix.rstrip(".") or "body": list(exc.messages)}


def _text(detail: Any) -> str:
    if isinstance(detail, list | tuple):
        return "; ".join(_text(d) for d in detail)
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in detail.items())
    return str(detail)


def _path(context: dict) -> str:
    request = context.get("request")
    return getattr(request, "path", "?")


# --- Django side: requests that never reach a DRF view ------------------------------------------


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(code: Code, message: str, data: Any = None) -> JsonResponse:
    return JsonResponse(
        envelope(code, message, data),
        status=code.http_status,
        json_dumps_params={"ensure_ascii": False},
    )


@csrf_exempt
def unknown_route(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """The catch-all at the end of /api/: unknown routes (and non-integer ids) → 40401.

    CSRF-exempt like every DRF view (DRF checks CSRF itself, for session callers): it changes
    nothing, and otherwise a write without a token got Django's HTML "CSRF failed" page."""
    return json_error(Code.NOT_FOUND, f"no such API route: {request.method} {request.path}")


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if is_api(request):
        return json_error(Code.NOT_FOUND, "not found")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return json_error(Code.INTERNAL, "internal error; see the server log")
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if is_api(request):
        message = "bad request"
        return json_error(Code.INVALID, message, {"errors": {"body": [message]}})
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if is_api(request):
        return json_error(Code.ROLE_TOO_LOW, str(exception or "") or "permission denied")
    return defaults.permission_denied(request, exception)
