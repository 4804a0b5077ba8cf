"""Owner forms: team members, their roles and API tokens, licences, farm settings; and the audit
filter."""

from __future__ import annotations

import ipaddress
import secrets

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core import farm_settings, licensing
from core.roles import Role, role_of, set_role
from team import signins, usernames

ROLE_CHOICES = [
    (Role.VIEWER.label, _("viewer: sees everything, changes nothing")),
    (Role.OPERATOR.label, _("operator: devices, accounts, materials, tasks")),
    (Role.OWNER.label, _("owner: everything, including team and licences")),
]


def other_active_owners(user) -> bool:
    """Is there an owner besides ``user``? The team must never lose its last owner."""
    User = get_user_model()
    others = User.objects.filter(is_active=True).exclude(pk=user.pk).prefetch_related("groups")
    return any(role_of(u) is Role.OWNER for u in others)


class MemberCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=Role.OPERATOR.label)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one, shown once."),
    )

    def clean_username(self) -> str:
        User = get_user_model()
        username = usernames.normalise(self.cleaned_data["username"])
        # Letters, digits and @.+-_ only: no markup, spaces or invisible characters.
        User.username_validator(username)
        existing = list(User.objects.values_list("username", flat=True))
        if usernames.confusable_with(username, existing):
            raise forms.ValidationError(
                _("This username is taken, or looks too much like one that is.")
            )
        return username

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if password:
            user = get_user_model()(username=self.data.get("username", ""))
            password_validation.validate_password(password, user)
        return password

    @transaction.atomic
    def save(self) -> tuple[object, str]:
        """Create the member; returns (user, the generated password or "")."""
        generated = "" if self.cleaned_data["password"] else secrets.token_urlsafe(12)
        user = get_user_model().objects.create_user(
            username=self.cleaned_data["username"],
            email=self.cleaned_data["email"],
            password=self.cleaned_data["password"] or generated,
        )
        set_role(user, Role.from_label(self.cleaned_data["role"]))
        return user, generated


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)

    def __init__(self, *args, member=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_role(self) -> Role:
        role = Role.from_label(self.cleaned_data["role"])
        demoting_owner = role_of(self.member) is Role.OWNER and role is not Role.OWNER
        if demoting_owner and not other_active_owners(self.member):
            raise forms.ValidationError(_("The team needs at least one owner."))
        return role


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("What is it for?"), max_length=100, required=False, help_text=_("e.g. my script")
    )
    user = forms.ModelChoiceField(
        label=_("For"), queryset=get_user_model().objects.filter(is_active=True)
    )


class SignInUnlockForm(forms.Form):
    """Which lock to lift: a username, or a client address."""

    kind = forms.ChoiceField(choices=[(signins.USERNAME, ""), (signins.ADDRESS, "")])
    value = forms.CharField(max_length=255)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == signins.ADDRESS and "value" in data:
            try:
                data["value"] = str(ipaddress.ip_address(data["value"]))
            except ValueError:
                self.add_error("value", _("Not an IP address."))
        return data


class LicenceInstallForm(forms.Form):
    key = forms.CharField(
        label=_("Licence key"), widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_key(self) -> str:
        key = "".join(self.cleaned_data["key"].split())  # keys pasted from email wrap lines
        try:
            licensing.verify_key(key)
        except licensing.LicenceError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return key

    def save(self):
        try:
            return licensing.install_key(self.cleaned_data["key"], user=self.user)
        except licensing.LicenceError as exc:
            self.add_error("key", str(exc))
            return None


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who"), required=False, max_length=150)
    action = forms.CharField(label=_("Action"), required=False, max_length=50)
    object_type = forms.CharField(label=_("Object"), required=False, max_length=50)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filter(self, entries):
        if not self.is_valid():
            return entries
        data = self.cleaned_data
        if data["actor"]:
            entries = entries.filter(actor__iexact=data["actor"].strip())
        if data["action"]:
            entries = entries.filter(action__startswith=data["action"].strip())
        if data["object_type"]:
            entries = entries.filter(object_type=data["object_type"].strip())
        if data["date_from"]:
            entries = entries.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(at__date__lte=data["date_to"])
        return entries


class FarmSettingsForm(forms.Form):
    """The farm settings an owner may change (``core.farm_settings``), one field each."""

    phone_keyboard_install = forms.BooleanField(
        label=farm_settings.definition("phone_keyboard_install").label,
        help_text=farm_settings.definition("phone_keyboard_install").help_text,
        required=False,
    )

    @classmethod
    def current(cls) -> FarmSettingsForm:
        return cls(initial={name: farm_settings.get(name) for name in cls.base_fields})

    def save(self, *, user, request) -> list[str]:
        """Store what changed (each change audited); the names of the changed settings."""
        return [
            name
            for name, value in self.cleaned_data.items()
            if farm_settings.change(name, value, user=user, request=request)
        ]
