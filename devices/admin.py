from django import forms
from django.contrib import admin

from devices.models import Account, Device, DeviceGroup, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(DeviceGroup)
class DeviceGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["index", "serial", "name", "model", "state", "host", "battery", "last_seen"]
    list_filter = ["state", "host", "groups", "tags"]
    search_fields = ["serial", "name", "model"]
    readonly_fields = ["index", "created_at"]
    filter_horizontal = ["groups", "tags"]


class AccountAdminForm(forms.ModelForm):
    """Secrets are write-only: the form never renders them; leaving a field empty keeps it."""

    password = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="Leave empty to keep the current one."
    )
    twofa_secret = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="Leave empty to keep the current one."
    )

    class Meta:
        model = Account
        fields = "__all__"

    def clean_password(self):
        return self.cleaned_data["password"] or (self.instance.password if self.instance.pk else "")

    def clean_twofa_secret(self):
        value = self.cleaned_data["twofa_secret"]
        return value or (self.instance.twofa_secret if self.instance.pk else "")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    form = AccountAdminForm
    list_display = ["username", "platform", "device", "packagename", "logined", "status"]
    list_filter = ["platform", "status", "logined", "tags"]
    search_fields = ["username", "email", "device__serial"]
    list_select_related = ["device"]
    autocomplete_fields = ["device"]
    filter_horizontal = ["tags"]
    actions = ["enable", "disable"]

    @admin.action(description="Enable selected accounts")
    def enable(self, request, queryset):
        queryset.update(status=Account.Status.ENABLED)

    @admin.action(description="Disable selected accounts")
    def disable(self, request, queryset):
        queryset.update(status=Account.Status.DISABLED)
