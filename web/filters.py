"""One FilterSet per list (phones, accounts, tasks, materials), serving the page and the API.

The API filters with ``DjangoFilterBackend``: an invalid value is 40001 naming the parameter.
A dashboard page builds the same FilterSet from its query string and renders
``filterset.form`` as its filter bar; ``filterset.qs`` applies the valid filters and ignores
an invalid one, which the form shows as an error. The page decides the base queryset (its
ordering and what it prefetches), the FilterSet only narrows it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters as filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from devices.models import Account, Device, DeviceGroup, Platform, Tag
from tasks.models import Material, Task

# -- filter kinds -------------------------------------------------------------------------------

FLAG_VALUES = ("1", "0", "true", "false", "True", "False")


class FlagField(forms.TypedChoiceField):
    """Offers yes/no (``1``/``0``) on a page; also accepts the ``true``/``false`` clients send."""

    def valid_value(self, value) -> bool:
        return value in FLAG_VALUES


@extend_schema_field({"type": "string", "enum": list(FLAG_VALUES)})
class FlagFilter(filters.TypedChoiceFilter):
    """A yes/no filter: ``1``/``0``/``true``/``false``; anything else is invalid."""

    field_class = FlagField

    def __init__(self, *, method: str, label: str, yes: str, no: str) -> None:
        super().__init__(
            choices=[("", _("all")), ("1", yes), ("0", no)],
            coerce=lambda value: value in ("1", "true", "True"),
            method=method,
            label=label,
        )


class NameFilter(filters.CharFilter):
    """A tag or group by its exact name (an unknown name matches nothing); a page offers the
    existing names in a drop-down."""

    def __init__(self, *, field_name: str, model: type[Tag | DeviceGroup], label: str) -> None:
        def choices() -> list[tuple[str, str]]:  # read when the form is drawn, not at import
            names = model.objects.values_list("name", flat=True)
            return [("", _("all")), *((name, name) for name in names)]

        super().__init__(field_name=field_name, label=label, widget=forms.Select(choices=choices))


class DayField(forms.DateField):
    """A day the task lists can filter on: one whose midnight exists in every time zone and
    whose next day does too (``9999-12-31`` has no next day), and not before 1970 (no farm
    ran earlier). Outside that, the filter is invalid: a 40001, or an error on the page."""

    FIRST, LAST = date(1970, 1, 1), date(9998, 12, 31)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.validators += [MinValueValidator(self.FIRST), MaxValueValidator(self.LAST)]


@extend_schema_field({"type": "string", "format": "date"})
class DayFilter(filters.DateFilter):
    field_class = DayField


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day``, in the server's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _renamed(data: QueryDict | dict | None, aliases: dict[str, str]) -> QueryDict | dict | None:
    """The query with older parameter names (kept for bookmarks) under their current names."""
    if data is None or not any(old in data for old in aliases):
        return data
    data = data.copy()
    for old, new in aliases.items():
        if old in data:
            value = data.pop(old)
            if new not in data:
                data[new] = value[-1] if isinstance(value, list) else value
    return data


# -- the lists ----------------------------------------------------------------------------------

BUSY = "busy"


class DeviceFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_search", label=_("Search"))
    state = filters.ChoiceFilter(
        choices=[*Device.State.choices, (BUSY, _("busy"))],
        method="filter_state",
        label=_("State"),
        empty_label=_("any state"),
    )
    # API only (the grid's state filter covers it): English, like the rest of the API docs.
    online = FlagFilter(
        method="filter_online", label="1 online, 0 not online", yes="online", no="not online"
    )
    group = NameFilter(field_name="groups__name", model=DeviceGroup, label=_("Group"))
    tag = NameFilter(field_name="tags__name", model=Tag, label=_("Tag"))
    host = filters.CharFilter(label="Farm host (FARM_HOST) the phone is plugged into")

    class Meta:
        model = Device
        fields = ["q", "state", "online", "group", "tag", "host"]

    def filter_search(self, queryset, name, value):
        """Part of the serial, name or model."""
        return queryset.filter(
            Q(serial__icontains=value) | Q(name__icontains=value) | Q(model__icontains=value)
        )

    def filter_state(self, queryset, name, value):
        if value == BUSY:
            running = Task.objects.running().filter(device=OuterRef("pk"))
            return queryset.filter(Exists(running))
        return queryset.filter(state=value)

    def filter_online(self, queryset, name, value):
        online = Q(state=Device.State.ONLINE)
        return queryset.filter(online if value else ~online)


class AccountFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_search", label=_("Search"))
    platform = filters.ChoiceFilter(
        choices=Platform.choices, label=_("Platform"), empty_label=_("all")
    )
    # API only: English, like the rest of the API docs.
    device = filters.CharFilter(field_name="device__serial", label="Device serial")
    logined = FlagFilter(
        method="filter_logined", label="1 logged in, 0 not", yes="logged in", no="not logged in"
    )
    status = filters.ChoiceFilter(
        choices=Account.Status.choices, label=_("Status"), empty_label=_("all")
    )
    tag = NameFilter(field_name="tags__name", model=Tag, label=_("Tag"))

    class Meta:
        model = Account
        fields = ["q", "platform", "device", "logined", "status", "tag"]

    def filter_search(self, queryset, name, value):
        """Part of the username (with or without @), the email or the phone's serial."""
        value = value.lstrip("@")
        return queryset.filter(
            Q(username__icontains=value)
            | Q(email__icontains=value)
            | Q(device__serial__icontains=value)
        )

    def filter_logined(self, queryset, name, value):
        return queryset.filter(logined=value)


class TaskFilter(filters.FilterSet):
    # The dashboard's first names for three of these, still accepted for bookmarks.
    OLDER_NAMES = {"script": "script_name", "device": "serial", "account": "username"}

    status = filters.ChoiceFilter(
        choices=Task.Status.choices, label=_("Status"), empty_label=_("any status")
    )
    script_name = filters.CharFilter(label=_("Script"), max_length=50)
    serial = filters.CharFilter(
        method="filter_phone", label=_("Phone"), help_text=_("serial or #number"), max_length=100
    )
    username = filters.CharFilter(method="filter_username", label=_("Account"), max_length=100)
    source = filters.ChoiceFilter(
        choices=Task.Source.choices, label=_("Source"), empty_label=_("any source")
    )
    date_from = DayFilter(
        method="filter_created_from",
        label=_("Created from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = DayFilter(
        method="filter_created_until",
        label=_("Created until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Task
        fields = ["status", "script_name", "serial", "username", "source", "date_from", "date_to"]

    def __init__(self, data=None, *args, **kwargs) -> None:
        super().__init__(_renamed(data, self.OLDER_NAMES), *args, **kwargs)

    def filter_phone(self, queryset, name, value):
        """A serial, or the phone's friendly number as ``#12``."""
        value = value.strip()
        number = value.removeprefix("#")
        if value.startswith("#") and number.isdigit():
            return queryset.filter(device__index=int(number))
        return queryset.filter(serial=value)

    def filter_username(self, queryset, name, value):
        return queryset.filter(username=Account.normalise_username(value))

    def filter_created_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_created_until(self, queryset, name, value):
        return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))


class MaterialFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(
        choices=Material.Kind.choices, label=_("Kind"), empty_label=_("all")
    )
    used = FlagFilter(method="filter_used", label=_("Used"), yes=_("used"), no=_("unused"))
    tag = filters.CharFilter(field_name="tags__name", label=_("Tag"))

    class Meta:
        model = Material
        fields = ["kind", "used", "tag"]

    def filter_used(self, queryset, name, value):
        return queryset.filter(used_at__isnull=not value)
