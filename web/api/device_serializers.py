"""Device and account shapes of the API (TikMatrix's field names; never a password)."""

from __future__ import annotations

from rest_framework import serializers

from devices.actions import clean_address
from devices.models import Account, Device


class DeviceSerializer(serializers.ModelSerializer):
    busy_task_id = serializers.IntegerField(read_only=True, allow_null=True)
    groups = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Device
        fields = [
            "serial", "index", "name", "model", "brand", "android_version", "state", "host",
            "battery", "screen", "busy_task_id", "last_seen", "groups", "tags",
        ]  # fmt: skip
        read_only_fields = fields


class AccountSerializer(serializers.ModelSerializer):
    email = serializers.SerializerMethodField()
    packagename = serializers.SerializerMethodField()
    device = serializers.SlugRelatedField(read_only=True, slug_field="serial", allow_null=True)
    device_online = serializers.SerializerMethodField()
    device_name = serializers.SerializerMethodField()
    logined = serializers.SerializerMethodField()
    logined_text = serializers.SerializerMethodField()
    status_text = serializers.SerializerMethodField()
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Account
        fields = [
            "id", "username", "email", "platform", "packagename", "device", "device_online",
            "device_name", "logined", "logined_text", "status", "status_text", "tags",
        ]  # fmt: skip
        read_only_fields = fields

    def get_email(self, account: Account) -> str | None:
        return account.email or None

    def get_packagename(self, account: Account) -> str | None:
        """Null means the platform's default app; a value names a clone app."""
        return account.packagename or None

    def get_device_online(self, account: Account) -> bool:
        return account.device is not None and account.device.state == Device.State.ONLINE

    def get_device_name(self, account: Account) -> str:
        """The phone's name (or model) while it is online; empty otherwise, as TikMatrix."""
        if not self.get_device_online(account):
            return ""
        return account.device.name or account.device.model

    def get_logined(self, account: Account) -> int:
        return int(account.logined)

    def get_logined_text(self, account: Account) -> str:
        return "logged_in" if account.logined else "not_logged_in"

    def get_status_text(self, account: Account) -> str:
        return Account.Status(account.status).name.lower()


class LicenceSerializer(serializers.Serializer):
    plan_name = serializers.CharField()
    api_enabled = serializers.BooleanField()
    device_limit = serializers.IntegerField()
    expires_at = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField()


class ConnectSerializer(serializers.Serializer):
    address = serializers.CharField(
        max_length=200,
        help_text="host:port of a phone with adb over TCP, e.g. 192.168.1.20:5555 (a bare "
        "host means port 5555).",
    )

    def validate_address(self, value: str) -> str:
        return clean_address(value)  # the dashboard form's rule too


class ConnectedSerializer(serializers.Serializer):
    address = serializers.CharField()
    message = serializers.CharField()


class DisconnectedSerializer(serializers.Serializer):
    address = serializers.CharField()
    disconnected = serializers.BooleanField()
