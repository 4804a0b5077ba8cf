"""What the overview page shows: counts, running work, farm health and the history chart.

The chart is drawn on the server as SVG (no chart library): stacked bars of completed and failed
tasks per hour over the last 24 hours, or per day over the last 7 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone
from django.utils.formats import date_format

from devices.models import Device
from tasks.models import Task

CHART_WIDTH, CHART_HEIGHT, CHART_TOP = 960, 150, 10


def task_counts() -> dict[str, int]:
    """{status name: count} in one query."""
    return Task.objects.count_by_status()


def running_tasks(limit: int = 20) -> list[Task]:
    return list(
        Task.objects.running().select_related("device", "account").order_by("started_at")[:limit]
    )


@dataclass
class HostHealth:
    host: str
    online: int = 0
    offline: int = 0
    unauthorized: int = 0
    busy: int = 0

    @property
    def total(self) -> int:
        return self.online + self.offline + self.unauthorized


def farm_health() -> list[HostHealth]:
    """Phones per farm host and state, plus how many are busy; two queries."""
    hosts: dict[str, HostHealth] = {}
    for row in Device.objects.values("host", "state").annotate(n=Count("id")).order_by("host"):
        health = hosts.setdefault(row["host"], HostHealth(row["host"]))
        setattr(health, row["state"], getattr(health, row["state"], 0) + row["n"])
    busy = Task.objects.running().values("device__host").annotate(n=Count("id"))
    for row in busy:
        hosts.setdefault(
            row["device__host"] or "", HostHealth(row["device__host"] or "")
        ).busy = row["n"]
    return sorted(hosts.values(), key=lambda h: h.host)


@dataclass
class Bar:
    label: str
    title: str
    completed: int
    failed: int
    x: float = 0
    width: float = 0
    completed_y: float = 0
    completed_h: float = 0
    failed_y: float = 0
    failed_h: float = 0
    show_label: bool = False


@dataclass
class Chart:
    bars: list[Bar]
    peak: int
    completed: int
    failed: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


def history(period: str, now: datetime | None = None) -> Chart:
    """Completed/failed tasks per hour (``"24h"``) or per day (``"7d"``), ready to draw."""
    now = timezone.localtime(now or timezone.now())
    if period == "7d":
        step, count, trunc = timedelta(days=1), 7, TruncDay
        first = now.replace(hour=0, minute=0, second=0, microsecond=0) - step * (count - 1)
        label_fmt, title_fmt, label_every = "D", "DATE_FORMAT", 1
    else:
        step, count, trunc = timedelta(hours=1), 24, TruncHour
        first = now.replace(minute=0, second=0, microsecond=0) - step * (count - 1)
        label_fmt, title_fmt, label_every = "H:i", "SHORT_DATETIME_FORMAT", 4
    rows = (
        Task.objects.filter(status__in=Task.TERMINAL, ended_at__gte=first)
        .annotate(bucket=trunc("ended_at", tzinfo=timezone.get_current_timezone()))
        .values("bucket", "status")
        .annotate(n=Count("id"))
    )
    counts: dict[tuple[datetime, int], int] = {}
    for row in rows:
        key = (timezone.localtime(row["bucket"]).replace(tzinfo=None), row["status"])
        counts[key] = counts.get(key, 0) + row["n"]
    bars = []
    for i in range(count):
        start = first + step * i
        key = start.replace(tzinfo=None)
        bars.append(
            Bar(
                label=date_format(start, label_fmt),
                title=date_format(start, title_fmt),
                completed=counts.get((key, Task.Status.COMPLETED), 0),
                failed=counts.get((key, Task.Status.FAILED), 0),
                show_label=i % label_every == 0,
            )
        )
    return _layout(bars)


def _layout(bars: list[Bar]) -> Chart:
    peak = max((b.completed + b.failed for b in bars), default=0)
    scale = (CHART_HEIGHT - CHART_TOP) / peak if peak else 0
    slot = CHART_WIDTH / len(bars)
    for i, bar in enumerate(bars):
        bar.x, bar.width = round(i * slot + slot * 0.15, 1), round(slot * 0.7, 1)
        bar.completed_h = round(bar.completed * scale, 1)
        bar.failed_h = round(bar.failed * scale, 1)
        bar.completed_y = round(CHART_HEIGHT - bar.completed_h, 1)
        bar.failed_y = round(bar.completed_y - bar.failed_h, 1)
    return Chart(
        bars=bars,
        peak=peak,
        completed=sum(b.completed for b in bars),
        failed=sum(b.failed for b in bars),
    )
