"""Query filters of the device and account lists."""

from __future__ import annotations

import django_filters as filters

from core.api.base import flag_filter
from devices.models import Account, Device, Platform


class DeviceFilter(filters.FilterSet):
    online = flag_filter("filter_online", "1 online, 0 not online")
    state = filters.ChoiceFilter(choices=Device.State.choices)
    group = filters.CharFilter(field_name="groups__name", label="Group name")
    tag = filters.CharFilter(field_name="tags__name", label="Tag name")
    host = filters.CharFilter()

    class Meta:
        model = Device
        fields = ["online", "state", "group", "tag", "host"]

    def filter_online(self, queryset, name, value):
        online = queryset.filter(state=Device.State.ONLINE)
        return online if value else queryset.exclude(state=Device.State.ONLINE)


class AccountFilter(filters.FilterSet):
    platform = filters.ChoiceFilter(choices=Platform.choices)
    device = filters.CharFilter(field_name="device__serial", label="Device serial")
    logined = flag_filter("filter_logined", "1 logged in, 0 not")
    status = filters.TypedChoiceFilter(choices=Account.Status.choices, coerce=int)
    tag = filters.CharFilter(field_name="tags__name", label="Tag name (exact)")

    class Meta:
        model = Account
        fields = ["platform", "device", "logined", "status", "tag"]

    def filter_logined(self, queryset, name, value):
        return queryset.filter(logined=value)
