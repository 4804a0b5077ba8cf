"""Query filters of the task and material lists (``?status=3&serial=…``)."""

from __future__ import annotations

import django_filters as filters

from core.api.base import flag_filter
from devices.models import Account
from tasks.models import Material, Task


class TaskFilter(filters.FilterSet):
    status = filters.TypedChoiceFilter(choices=Task.Status.choices, coerce=int)
    serial = filters.CharFilter()
    script_name = filters.CharFilter()
    source = filters.ChoiceFilter(choices=Task.Source.choices)
    username = filters.CharFilter(method="filter_username", label="Account username")

    class Meta:
        model = Task
        fields = ["status", "serial", "script_name", "source", "username"]

    def filter_username(self, queryset, name, value):
        return queryset.filter(username=Account.normalise_username(value))


class MaterialFilter(filters.FilterSet):
    tag = filters.CharFilter(field_name="tags__name")
    used = flag_filter("filter_used", "1 posted already, 0 not yet")
    kind = filters.ChoiceFilter(choices=Material.Kind.choices)

    class Meta:
        model = Material
        fields = ["tag", "used", "kind"]

    def filter_used(self, queryset, name, value):
        return queryset.filter(used_at__isnull=not value)
