"""Domain errors and the API's code table: the one vocabulary every layer shares.

A service that refuses a request raises a :class:`DomainError` subclass naming its API code
(``InvalidTransition`` → 40901, ``ScriptNotSupported`` → 40003 …). The API's envelope maps any
``DomainError`` to ``{code, message, data}`` without knowing which app raised it; a page shows
the message. The codes are TikMatrix's (``shared/spec/api.md`` §1.3); ours are added at the end.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class Code(IntEnum):
    SUCCESS = 0
    INVALID = 40001
    SCRIPT_MISSING = 40002
    SCRIPT_NOT_SUPPORTED = 40003
    NOT_AUTHENTICATED = 40101
    PLAN_HAS_NO_API = 40301
    ROLE_TOO_LOW = 40302
    NOT_FOUND = 40401
    METHOD_NOT_ALLOWED = 40501
    INVALID_STATE = 40901
    RATE_LIMITED = 42901
    INTERNAL = 50001

    @property
    def http_status(self) -> int:
        return 200 if self is Code.SUCCESS else self.value // 100


CODE_MEANINGS = {
    Code.SUCCESS: "success",
    Code.INVALID: "invalid parameters; data.errors maps each field (or 'body') to messages",
    Code.SCRIPT_MISSING: "script_name missing",
    Code.SCRIPT_NOT_SUPPORTED: "script not supported via the API",
    Code.NOT_AUTHENTICATED: "not authenticated (send 'Authorization: Token <key>')",
    Code.PLAN_HAS_NO_API: "the licence plan has no API access (Free, Starter)",
    Code.ROLE_TOO_LOW: "your role may not do this",
    Code.NOT_FOUND: "resource not found (also unknown routes)",
    Code.METHOD_NOT_ALLOWED: "method not allowed",
    Code.INVALID_STATE: "action not valid in the task's current state",
    Code.RATE_LIMITED: "rate limited; retry after the Retry-After header's seconds",
    Code.INTERNAL: "internal error",
}


class DomainError(Exception):
    """A rule of the domain refused the request; the message is for the person who asked.

    ``field`` names the request field at fault, if one is (the API then answers with
    ``data.errors[field]``, like a validation error).
    """

    code: Code = Code.INVALID
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field

    @property
    def data(self) -> Any:
        return {"errors": {self.field: [str(self)]}} if self.field else None
