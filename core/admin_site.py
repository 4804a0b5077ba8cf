"""The Django admin, audited: every change made there goes through ``core.audit.record``.

The admin is a way to change state like any page, so it must leave the same trail. Rather than
trusting every ModelAdmin (ours, Django's user admin, third-party ones) to remember, the site
mixes :class:`AuditedModelAdmin` into each one as it is registered: additions, changes and
deletions (single or bulk) and every custom admin action (disable accounts, revoke tokens, …)
are recorded with the signed-in owner and their address. Field values are never copied into
the audit log, only which fields changed (they may be passwords or 2FA secrets).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpResponseBase

from core.audit import record

# How many of an action's selected ids are listed in its audit entry (the count is always kept).
MAX_IDS = 100


class AuditedModelAdmin(admin.ModelAdmin):
    """Records what the admin's own LogEntry records, and custom actions, in the audit log."""

    def log_addition(self, request, obj, message):
        record("admin.add", user=request.user, obj=obj, request=request, detail=_change(message))
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        record("admin.change", user=request.user, obj=obj, request=request, detail=_change(message))
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        # Called before the deletion, with the objects still there.
        for obj in queryset:
            record("admin.delete", user=request.user, obj=obj, request=request,
                   detail={"object": str(obj)[:200]})  # fmt: skip
        return super().log_deletions(request, queryset)

    def response_action(self, request, queryset):
        response = super().response_action(request, queryset)
        action = request.POST.get("action", "")
        # delete_selected records each deletion above (its first answer is only a question).
        if action and action != "delete_selected" and _performed(response):
            ids = request.POST.getlist(ACTION_CHECKBOX_NAME)
            record(
                "admin.action",
                user=request.user,
                object_type=self.model._meta.model_name,
                object_id=ids[0] if len(ids) == 1 else "",
                request=request,
                detail={"action": action, "ids": ids[:MAX_IDS], "count": len(ids),
                        "all": request.POST.get("select_across") == "1"},
            )  # fmt: skip
        return response


def _change(message) -> dict:
    # The admin's change message: [{"changed": {"fields": [...]}}, ...], names only.
    return {"change": message} if message else {}


def _performed(response) -> bool:
    # response_action answers None when nothing was selected or the action was invalid.
    return isinstance(response, HttpResponseBase)


class AuditedAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedModelAdmin):
            admin_class = type(admin_class.__name__, (AuditedModelAdmin, admin_class), {})
        return super().register(model_or_iterable, admin_class, **options)
