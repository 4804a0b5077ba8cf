"""Sign-ins: the attempt limits (django-axes), the lockout page, the audit trail, unlocking.

django-axes counts failed sign-ins per username and per client address and refuses a locked
one before the password is hashed (settings: ``AXES_*``). This module adds what the team sees:
every sign-in, failed sign-in and lockout in the audit log, the lockout message on the login
page, and the owner's list of current locks with a way to lift them early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models import Max, Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.audit import record

LOCKOUT_ACTOR = "sign-in limit"
USERNAME, ADDRESS = "username", "address"


# -- the audit trail ----------------------------------------------------------------------------


@receiver(user_logged_in)
def record_sign_in(sender, request, user, **kwargs) -> None:
    record("signin.success", user=user, obj=user, request=request)


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials: dict, request=None, **kwargs) -> None:
    """A wrong password (or unknown name) on the login or admin page.

    Runs after axes' own receiver (axes is listed first in INSTALLED_APPS), so the request says
    whether this failure reached the limit (``axes_locked_out`` with a fresh failure count) or
    was refused because a lock was already in force (no count): those are not recorded one by
    one, or a flood of guesses would flood the audit log too; the lockout itself is.
    """
    if request is None or _refused_while_locked(request):
        return
    username = str(credentials.get("username") or "")
    record(
        "signin.failure",
        actor="anonymous",
        object_type="user",
        object_id=username[:100],
        request=request,
    )
    if getattr(request, "axes_locked_out", False):
        record(
            "signin.lockout",
            actor=LOCKOUT_ACTOR,
            object_type="user",
            object_id=username[:100],
            detail={"failures": request.axes_failures_since_start},
            request=request,
        )


def _refused_while_locked(request) -> bool:
    return getattr(request, "axes_locked_out", False) and (
        getattr(request, "axes_failures_since_start", None) is None
    )


# -- the lockout page ---------------------------------------------------------------------------


def lockout_minutes() -> int:
    return int(get_cool_off().total_seconds() // 60)


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the login page again, saying why and for how long (429)."""
    username = str((credentials or {}).get("username") or "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "locked_out": True, "lockout_minutes": lockout_minutes()}
    return render(request, "registration/login.html", context, status=429)


# -- current locks, and lifting them ------------------------------------------------------------


@dataclass(frozen=True)
class Lock:
    kind: str  # USERNAME or ADDRESS
    value: str
    failures: int
    until: datetime


def current_locks() -> list[Lock]:
    """Usernames and addresses whose recent failures reached the limit, longest-locked last."""
    cool_off = get_cool_off()
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cool_off)
    locks = []
    for kind, field in ((USERNAME, "username"), (ADDRESS, "ip_address")):
        groups = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        )
        locks += [Lock(kind, g[field], g["failures"], g["last"] + cool_off) for g in groups]
    return sorted(locks, key=lambda lock: lock.until, reverse=True)


def unlock(kind: str, value: str, **audit) -> int:
    """Forget the failures of a username or an address (so its lock ends now); audited.

    ``audit`` is ``user=``/``actor=``/``request=`` for ``core.audit.record``. Returns how many
    attempt records were forgotten."""
    field = {USERNAME: "username", ADDRESS: "ip_address"}[kind]
    count, _ = AccessAttempt.objects.filter(**{field: value}).delete()
    record(
        "signin.unlock", object_type=kind, object_id=value[:100], detail={"records": count}, **audit
    )
    return count
