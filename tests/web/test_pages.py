"""Every dashboard page renders for every role that may see it; the overview's numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.models import Device
from tasks.models import Task
from tests.tasks.factories import make_account, make_device, make_task
from web import overview

pytestmark = pytest.mark.django_db

READ_PAGES = ["/", "/?period=7d", "/devices/", "/accounts/", "/materials/", "/tasks/", "/audit/"]
OPERATOR_PAGES = ["/tasks/new/", "/accounts/new/"] + [
    f"/tasks/new/?script={s}" for s in ("post", "follow", "unfollow", "account_warmup", "comment")
]
OWNER_PAGES = ["/team/", "/licences/"]


@pytest.fixture
def farm():
    device = make_device(name="Farm phone")
    account = make_account(device, username="farmer")
    return device, account, make_task(device, account=account)


@pytest.mark.parametrize("url", READ_PAGES + OPERATOR_PAGES + OWNER_PAGES)
def test_owners_see_every_page(client_as, owner, farm, url):
    assert client_as(owner).get(url).status_code == 200


@pytest.mark.parametrize("url", READ_PAGES)
def test_viewers_see_the_read_pages(client_as, viewer, farm, url):
    assert client_as(viewer).get(url).status_code == 200


@pytest.mark.parametrize("url", OPERATOR_PAGES + OWNER_PAGES)
def test_viewers_are_refused_the_others(client_as, viewer, url):
    assert client_as(viewer).get(url).status_code == 403


def test_the_overview_counts_running_work_and_farm_health(client_as, viewer, settings):
    online = make_device(host="farm-1")
    make_device(state=Device.State.OFFLINE, host="farm-1")
    make_device(state=Device.State.UNAUTHORIZED, host="farm-2")
    make_task(online, status=Task.Status.RUNNING, progress=65, step="posting")
    make_task(online, status=Task.Status.FAILED)
    response = client_as(viewer).get("/")
    context = response.context
    assert context["task_counts"] == {"pending": 0, "running": 1, "completed": 0, "failed": 1}
    hosts = {h.host: h for h in context["hosts"]}
    assert (hosts["farm-1"].online, hosts["farm-1"].offline, hosts["farm-1"].busy) == (1, 1, 1)
    assert hosts["farm-2"].unauthorized == 1
    page = response.content.decode()
    assert "posting" in page and 'value="65"' in page and "<svg" in page


def test_the_overview_needs_few_queries(client_as, viewer, django_assert_max_num_queries):
    for i in range(30):
        device = make_device()
        make_task(device, status=Task.Status.RUNNING if i % 2 else Task.Status.COMPLETED)
    client = client_as(viewer)
    client.get("/")  # the trial licence row is created on first use
    with django_assert_max_num_queries(12):
        client.get("/")


def test_the_chart_counts_completed_and_failed_per_bucket():
    device = make_device()
    now = timezone.now()
    for hours_ago, status in [(0, 2), (0, 3), (3, 2), (30, 2), (200, 2)]:
        ended = now - timedelta(hours=hours_ago)
        make_task(device, status=status, ended_at=ended)
    day = overview.history("24h", now)
    assert (day.completed, day.failed) == (2, 1) and len(day.bars) == 24
    assert (day.bars[-1].completed, day.bars[-1].failed) == (1, 1)
    week = overview.history("7d", now)
    assert (week.completed, week.failed) == (3, 1) and len(week.bars) == 7
    assert all(0 <= b.failed_y <= b.completed_y <= week.height for b in week.bars)


def test_the_overview_fragment_for_live_refresh(client_as, viewer):
    response = client_as(viewer).get("/?fragment=1")
    assert response.status_code == 200 and b"<html" not in response.content
    assert b"<svg" in response.content
