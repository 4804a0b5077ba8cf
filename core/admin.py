"""Admin for the shared models: the audit trail (read-only), licences (list/remove) and tokens."""

from django.contrib import admin

from core.models import ApiToken, AuditEntry, Licence


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor", "object_id"]
    date_hierarchy = "at"

    # The audit trail is append-only.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["plan", "device_limit", "licensee", "is_trial", "expires_at", "installed_at"]
    list_filter = ["plan", "is_trial"]
    # Licences are installed through `manage.py licence install` or the dashboard, which verify
    # the signature; the admin only lists and removes them.
    readonly_fields = [f.name for f in Licence._meta.fields]

    def has_add_permission(self, request):
        return False

    # The trial row cannot be removed (nor would removing it restart the trial: see
    # core.licensing); installed keys can.
    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_trial


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["revoke"]

    # Tokens are created with `manage.py api_token` or on the team page, where the key is shown
    # once; the admin cannot create one because it could never show the secret.
    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            token.revoke()
