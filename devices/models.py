"""Phones, their groups and tags, and the social-media accounts on them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.encryption import EncryptedTextField


class Tag(models.Model):
    """A free label shared by devices, accounts and materials (``batch-3``, ``brazil`` …)."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeviceGroup(models.Model):
    """A named set of phones (a USB hub, a shelf, a client) to target tasks at together."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeviceQuerySet(models.QuerySet):
    def online(self):
        return self.filter(state=Device.State.ONLINE)

    def on_host(self, host: str | None = None):
        return self.filter(host=host or settings.FARM_HOST)

    def note_automation(self, error: str = "") -> int:
        """Keep how the phones' automation server (uiautomator2) last started: ready, or the
        reason it could not (shown on the device page until a later start works)."""
        status = Device.Automation.FAILED if error else Device.Automation.READY
        return self.update(
            automation=status, automation_error=error[:500], automation_checked_at=timezone.now()
        )

    def adb_server_not_answering(self) -> int:
        """These phones' adb server stopped answering: their state is unknown (not offline:
        nothing says the phones are gone) until the device watcher hears from it again."""
        reachable = self.exclude(state__in=[Device.State.OFFLINE, Device.State.UNKNOWN])
        return reachable.update(state=Device.State.UNKNOWN)


class Device(models.Model):
    """A phone as the adb server lists it. Its serial is its identity."""

    class State(models.TextChoices):
        ONLINE = "online", _("online")
        OFFLINE = "offline", _("offline")
        UNAUTHORIZED = "unauthorized", _("unauthorized")
        # The adb server this host uses stopped answering: the phone may be fine, nobody knows.
        UNKNOWN = "unknown", _("unknown (adb server not answering)")

    class Automation(models.TextChoices):
        """How the uiautomator2 server on the phone last started (blank: no task tried yet)."""

        READY = "ready", _("ready")
        FAILED = "failed", _("cannot start")

    serial = models.CharField(_("serial"), max_length=100, unique=True)
    # A short stable number people say out loud ("phone 42"); assigned once, never reused.
    index = models.PositiveIntegerField(_("index"), unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    android_version = models.CharField(_("Android version"), max_length=20, blank=True)
    sdk = models.PositiveSmallIntegerField(_("SDK level"), null=True, blank=True)
    screen = models.CharField(_("screen"), max_length=20, blank=True, help_text="e.g. 1080x2400")
    battery = models.PositiveSmallIntegerField(_("battery %"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State, default=State.OFFLINE)
    host = models.CharField(_("farm host"), max_length=100, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    # The latest scaled-down screenshot, by the watcher or a person (see devices.actions).
    thumbnail = models.FileField(_("thumbnail"), upload_to="screens/", blank=True, editable=False)
    thumbnail_at = models.DateTimeField(_("thumbnail taken"), null=True, blank=True, editable=False)
    # The automation server scripts drive the screen through (devices.adb, uiautomator2).
    automation = models.CharField(
        _("automation server"), max_length=10, choices=Automation, blank=True, editable=False
    )
    automation_error = models.CharField(
        _("automation server problem"), max_length=500, blank=True, editable=False
    )
    automation_checked_at = models.DateTimeField(
        _("automation server checked"), null=True, blank=True, editable=False
    )
    groups = models.ManyToManyField(DeviceGroup, blank=True, related_name="devices")
    tags = models.ManyToManyField(Tag, blank=True, related_name="devices")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        ordering = ["index"]
        indexes = [
            # The dispatcher asks "which online phones does this host own?" every second.
            models.Index(fields=["host", "state"], name="device_host_state"),
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.index} {self.serial}"

    @property
    def display_name(self) -> str:
        return self.name or self.model or self.serial

    def save(self, *args, **kwargs) -> None:
        if self.index is None:
            self._save_with_next_index(*args, **kwargs)
        else:
            super().save(*args, **kwargs)

    def _save_with_next_index(self, *args, **kwargs) -> None:
        # Two watchers may discover phones at once; retry on the unique index rather than lock.
        for _attempt in range(5):
            highest = Device.objects.aggregate(m=Max("index"))["m"] or 0
            self.index = highest + 1
            try:
                with transaction.atomic():
                    super().save(*args, **kwargs)
                return
            except IntegrityError:
                if Device.objects.filter(serial=self.serial).exists():
                    raise
        raise IntegrityError("could not assign a device index")


class Platform(models.TextChoices):
    TIKTOK = "tiktok", "TikTok"
    INSTAGRAM = "instagram", "Instagram"


DEFAULT_PACKAGES = {
    Platform.TIKTOK: "com.zhiliaoapp.musically",
    Platform.INSTAGRAM: "com.instagram.android",
}


class AccountQuerySet(models.QuerySet):
    def enabled(self):
        return self.filter(status=Account.Status.ENABLED)


class Account(models.Model):
    """A social-media account living on a phone. Secrets are encrypted at rest, never shown."""

    class Status(models.IntegerChoices):
        # The API's numbering: 0 enabled, 1 disabled.
        ENABLED = 0, _("enabled")
        DISABLED = 1, _("disabled")

    platform = models.CharField(_("platform"), max_length=20, choices=Platform)
    username = models.CharField(_("username"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    password = EncryptedTextField(_("password"), blank=True)
    twofa_secret = EncryptedTextField(_("2FA secret"), blank=True)
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="accounts"
    )
    packagename = models.CharField(
        _("app package"), max_length=150, blank=True, help_text=_("For clone apps; empty = default")
    )
    logined = models.BooleanField(_("logged in"), default=False)
    status = models.PositiveSmallIntegerField(_("status"), choices=Status, default=Status.ENABLED)
    tags = models.ManyToManyField(Tag, blank=True, related_name="accounts")
    # Daily limits keep accounts inside what the platforms tolerate; on by default.
    daily_follow_limit = models.PositiveIntegerField(_("follows per day"), default=20)
    daily_unfollow_limit = models.PositiveIntegerField(_("unfollows per day"), default=20)
    daily_post_limit = models.PositiveIntegerField(_("posts per day"), default=5)
    daily_comment_limit = models.PositiveIntegerField(_("comments per day"), default=50)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["platform", "username"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "username"], name="account_unique_username_per_platform"
            ),
            # Usernames are stored without the leading "@" so lookups need no normalising.
            models.CheckConstraint(
                condition=~Q(username__startswith="@") & ~Q(username=""),
                name="account_username_bare",
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.username} ({self.get_platform_display()})"

    @staticmethod
    def normalise_username(raw: str) -> str:
        return raw.strip().lstrip("@").strip()

    def clean(self) -> None:
        self.username = self.normalise_username(self.username or "")
        if not self.username:
            raise ValidationError({"username": _("A username is required.")})

    @property
    def app_package(self) -> str:
        return self.packagename or DEFAULT_PACKAGES[self.platform]

    @property
    def is_enabled(self) -> bool:
        return self.status == self.Status.ENABLED

    def daily_limit(self, action: str) -> int:
        return getattr(self, f"daily_{action}_limit")
