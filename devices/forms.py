"""Dashboard forms for phones and accounts. Secrets are write-only in every form."""

from __future__ import annotations

import re

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from devices.actions import clean_address
from devices.models import Account, Device, DeviceGroup, Tag


def split_names(raw: str) -> list[str]:
    """``"brazil, batch-3;  vip"`` → ``["brazil", "batch-3", "vip"]`` (order kept, no repeats)."""
    names: list[str] = []
    for part in re.split(r"[,;\n]", raw or ""):
        name = part.strip()
        if name and name not in names:
            names.append(name)
    return names


class NamesField(forms.CharField):
    """Tags or groups typed as comma-separated names; new names are created on save."""

    def __init__(self, *, max_name_length: int = 50, **kwargs):
        self.max_name_length = max_name_length
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Comma-separated; new names are created."))
        super().__init__(**kwargs)

    def to_python(self, value) -> list[str]:
        names = split_names(super().to_python(value))
        too_long = [n for n in names if len(n) > self.max_name_length]
        if too_long:
            raise forms.ValidationError(
                _("Names can be at most %(n)d characters: %(names)s"),
                params={"n": self.max_name_length, "names": ", ".join(too_long)},
            )
        return names

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value


def tags_named(names: list[str]) -> list[Tag]:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    return [existing.get(n) or Tag.objects.create(name=n) for n in names]


def groups_named(names: list[str]) -> list[DeviceGroup]:
    existing = {g.name: g for g in DeviceGroup.objects.filter(name__in=names)}
    return [existing.get(n) or DeviceGroup.objects.create(name=n) for n in names]


class DeviceForm(forms.ModelForm):
    group_names = NamesField(label=_("Groups"), max_name_length=100)
    tag_names = NamesField(label=_("Tags"))

    class Meta:
        model = Device
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["group_names"] = [g.name for g in self.instance.groups.all()]
            self.initial["tag_names"] = [t.name for t in self.instance.tags.all()]

    @transaction.atomic
    def save(self, commit: bool = True) -> Device:
        device = super().save()
        device.groups.set(groups_named(self.cleaned_data["group_names"]))
        device.tags.set(tags_named(self.cleaned_data["tag_names"]))
        return device


class ConnectForm(forms.Form):
    address = forms.CharField(
        label=_("Address"),
        max_length=100,
        help_text=_("The phone's IP and port, e.g. 192.168.1.50:5555"),
    )

    def clean_address(self) -> str:
        return clean_address(self.cleaned_data["address"])  # the API's rule too


class SecretInput(forms.PasswordInput):
    """Never renders a stored value back into the page."""

    def __init__(self):
        super().__init__(render_value=False, attrs={"autocomplete": "new-password"})


class AccountForm(forms.ModelForm):
    # Write-only: empty means "keep the current secret"; the value is never rendered.
    password = forms.CharField(
        label=_("Password"),
        required=False,
        widget=SecretInput(),
        help_text=_("Leave empty to keep the current one."),
    )
    twofa_secret = forms.CharField(
        label=_("2FA secret"),
        required=False,
        widget=SecretInput(),
        help_text=_("Leave empty to keep the current one."),
    )
    clear_secrets = forms.BooleanField(
        label=_("Remove the stored password and 2FA secret"), required=False
    )
    tag_names = NamesField(label=_("Tags"))

    class Meta:
        model = Account
        fields = [
            "platform",
            "username",
            "email",
            "password",
            "twofa_secret",
            "device",
            "packagename",
            "logined",
            "status",
            "daily_follow_limit",
            "daily_unfollow_limit",
            "daily_post_limit",
            "daily_comment_limit",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = Device.objects.order_by("index")
        self.fields["device"].label_from_instance = lambda d: f"#{d.index} {d.display_name}"
        self.fields["packagename"].widget.attrs["placeholder"] = "com.zhiliaoapp.musically"
        if self.instance.pk and not self.is_bound:
            self.initial["tag_names"] = [t.name for t in self.instance.tags.all()]
        self._stored = (self.instance.password, self.instance.twofa_secret)

    def clean_username(self) -> str:
        return Account.normalise_username(self.cleaned_data["username"])

    def _post_clean(self) -> None:
        # Before the model validates, put back the secrets the user left empty.
        for field, stored in zip(("password", "twofa_secret"), self._stored, strict=True):
            if not self.cleaned_data.get(field):
                self.cleaned_data[field] = "" if self.cleaned_data.get("clear_secrets") else stored
        super()._post_clean()

    @transaction.atomic
    def save(self, commit: bool = True) -> Account:
        account = super().save()
        account.tags.set(tags_named(self.cleaned_data["tag_names"]))
        return account

    def changed_for_audit(self) -> list[str]:
        """Changed field names, secrets named but never their values."""
        return [f for f in self.changed_data if f != "clear_secrets"]


class AccountImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
