"""Who may call the API: tokens or sessions, the localhost compatibility mode, roles, the
licence gate and the rate limit.

Order of checks on every request: authenticated (else 40101) → licence has API access (else
40301; ``license/check`` is exempt) → role high enough (else 40302) → rate (else 42901). Roles
come from ``core.roles.has_role`` only: viewers read, operators change, owners do everything.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings

from core.api.envelope import ApiError, Code
from core.licensing import Entitlement, current_entitlement
from core.roles import Role, has_role

LOOPBACK_ACTOR = "localhost API"


class LoopbackOperator:
    """The caller in compatibility mode: a TikMatrix client on this machine, acting as an
    operator. Not a database user, so audit entries and tasks name it by ``actor`` instead."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_superuser = False
    is_staff = False
    pk = id = None
    username = LOOPBACK_ACTOR
    _team_role = Role.OPERATOR  # what core.roles.role_of reads for an already-known role

    def get_username(self) -> str:
        return LOOPBACK_ACTOR

    def __str__(self) -> str:
        return LOOPBACK_ACTOR


def is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def is_loopback_host(host: str) -> bool:
    """``localhost:50809``, ``127.0.0.1``, ``[::1]:50809``: a Host header naming this machine."""
    domain, _ = split_domain_port(host)
    return domain == "localhost" or is_loopback(domain.strip("[]"))


def loopback_refusal(request) -> str | None:
    """Why a tokenless call from this machine may not act as the local operator (None: it may).

    Any web page open in a browser on the farm PC can send requests to 127.0.0.1, and the
    browser's requests come from a loopback address too. TikMatrix clients are programs, not
    pages: they name this machine in the Host header, send no Origin or Referer of another site
    and send JSON. A cross-site page cannot do all three: a form or a no-CORS fetch cannot send
    ``application/json``, the browser adds its own Origin (``null`` from sandboxes and files)
    and Referer, and a DNS-rebinding page's Host is its own name. Uploads (multipart) need a
    token.
    """
    host = request.get_host()
    if not is_loopback_host(host):
        return f"tokenless local calls must address this machine (Host {host!r} is not local)"
    own_origin = f"{request.scheme}://{host}".lower()
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None and origin.lower() != own_origin:
        return f"a request from another site ({origin}) needs a token"
    referer = request.META.get("HTTP_REFERER")
    if referer and _origin_of(referer) != own_origin:
        return "a request from another page needs a token"
    if request.method not in SAFE_METHODS and _has_body(request) and not _is_json(request):
        return (
            "tokenless local calls must send JSON (Content-Type: application/json); "
            "uploads need a token"
        )
    return None


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _has_body(request) -> bool:
    meta = request.META
    return meta.get("CONTENT_LENGTH") not in (None, "", "0") or "HTTP_TRANSFER_ENCODING" in meta


def _is_json(request) -> bool:
    return request.content_type.split(";")[0].strip().lower() == "application/json"


class LoopbackAuthentication(authentication.BaseAuthentication):
    """API_OPEN_ON_LOCALHOST=1: requests from a loopback address need no token, as long as they
    do not come from a web page (see ``loopback_refusal``). Tried last, so a token or session
    (with its own role) still wins; a bad token is still a 401."""

    def authenticate(self, request):
        if not settings.API_OPEN_ON_LOCALHOST or not is_loopback(request.META.get("REMOTE_ADDR")):
            return None
        refusal = loopback_refusal(request)
        if refusal is not None:
            raise exceptions.AuthenticationFailed(refusal)
        return LoopbackOperator(), None


AUTHENTICATION_CLASSES = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, LoopbackAuthentication]


def audit_kwargs(request) -> dict[str, Any]:
    """``user=``/``actor=``/``request=`` for ``core.audit.record`` and the services."""
    user = request.user
    if isinstance(user, LoopbackOperator):
        return {"user": None, "actor": LOOPBACK_ACTOR, "request": request}
    return {"user": user, "actor": None, "request": request}


def licence_data(entitlement: Entitlement) -> dict[str, Any]:
    expires = entitlement.expires_at
    return {
        "plan_name": entitlement.plan.name,
        "api_enabled": entitlement.api_enabled,
        "device_limit": entitlement.device_limit,
        "expires_at": expires.isoformat() if expires else None,
        "message": entitlement.message,
    }


def plan_has_no_api(entitlement: Entitlement) -> ApiError:
    return ApiError(
        Code.PLAN_HAS_NO_API,
        f"API access requires a Pro, Team or Business licence (this install: "
        f"{entitlement.plan.name})",
        licence_data(entitlement),
    )


class ApiAccess(permissions.BasePermission):
    """Authenticated, licensed, and the role the view asks for (``view.required_role``)."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("authentication required: send 'Token <key>'")
        if not getattr(view, "licence_exempt", False):
            entitlement = current_entitlement()
            if not entitlement.api_enabled:
                raise plan_has_no_api(entitlement)
        needed = view.required_role(request)
        if not has_role(request.user, needed):
            raise ApiError(Code.ROLE_TOO_LOW, f"this needs the {needed.label} role")
        return True


class ApiThrottle(throttling.SimpleRateThrottle):
    """One budget per user (per address in compatibility mode), API_THROTTLE_RATE."""

    scope = "api"

    def get_rate(self) -> str:
        # Read at request time (DRF's default reads its settings once, at import).
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        user = request.user
        ident = user.pk if getattr(user, "pk", None) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
