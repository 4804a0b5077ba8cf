"""What every app shares: the audit trail, installed licences, team members' API tokens and the
farm's settings."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who did what, when, from where. Written by every mutation (UI, API, admin, commands)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # Kept as text too: the user may be deleted, and some actors are not users ("localhost API").
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=50, db_index=True)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}"


class Licence(models.Model):
    """An installed licence key (or the built-in trial). Verified from its signature, not rows.

    The plan, limit and expiry columns are copies of what the signed key says, for listing; the
    licensing service re-verifies ``key`` before trusting it, so editing a row grants nothing.
    The trial's ``key`` is its start, signed with this instance's secret; deleting or editing
    the trial row cannot restart it (``core.licensing``, "the trial").
    """

    key = models.TextField(_("licence key"), blank=True)
    is_trial = models.BooleanField(default=False)
    plan = models.CharField(_("plan"), max_length=20)
    device_limit = models.PositiveIntegerField(_("device limit"))
    licensee = models.CharField(_("licensee"), max_length=200, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    installed_at = models.DateTimeField(default=timezone.now, editable=False)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-installed_at"]
        constraints = [
            # Only one trial, ever: reinstalling the trial would reset its 14 days.
            models.UniqueConstraint(
                fields=["is_trial"], condition=Q(is_trial=True), name="licence_single_trial"
            ),
        ]

    def __str__(self) -> str:
        kind = "trial" if self.is_trial else self.licensee or "licence"
        return f"{self.plan} ({kind}) until {self.expires_at:%Y-%m-%d}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


TOKEN_PREFIX = "tmx_"


def hash_token(key: str) -> str:
    # Keys are 256-bit random strings, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, help_text="What this token is for.")
    # The first characters of the key, kept in clear so people can tell their tokens apart.
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user, name: str = "") -> tuple[ApiToken, str]:
        """Create a token and return it with its secret key, which is never stored."""
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=key[: len(TOKEN_PREFIX) + 6], key_hash=hash_token(key)
        )
        return token, key

    @classmethod
    def find_active(cls, key: str) -> ApiToken | None:
        return cls.objects.active().select_related("user").filter(key_hash=hash_token(key)).first()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class Setting(models.Model):
    """A farm-wide setting an owner changed: key -> JSON value. A key without a row takes its
    default from the environment; ``core.farm_settings`` knows the keys and reads them."""

    key = models.CharField(_("setting"), max_length=100, primary_key=True)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} = {self.value!r}"
