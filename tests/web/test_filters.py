"""One filter per list: a page and the API narrow phones, accounts, tasks and materials alike."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.models import Account, Device, DeviceGroup, Platform, Tag
from tasks.models import Material, Task
from tests.apihelp import errors, isolate, ok
from tests.tasks.factories import make_account, make_device, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings):
    isolate(settings)


@pytest.fixture
def page(client_as, viewer):
    return client_as(viewer)


@pytest.fixture
def api(api_as, viewer):
    return api_as(viewer)


# Each list: its page, its endpoint, the key of its rows in the API's data, how a row is named.
LISTS = {
    "devices": ("/devices/", "/api/v1/devices", "devices", "serial"),
    "accounts": ("/accounts/", "/api/v1/accounts", "accounts", "username"),
    "tasks": ("/tasks/", "/api/v1/task", "tasks", "id"),
    "materials": ("/materials/", "/api/v1/materials", "materials", "id"),
}


def page_rows(client, kind: str, query: str = "") -> set:
    url, _, _, name = LISTS[kind]
    response = client.get(f"{url}?{query}")
    assert response.status_code == 200
    return {getattr(row, "pk" if name == "id" else name) for row in response.context["page"]}


def api_rows(client, kind: str, query: str = "") -> set:
    _, url, key, name = LISTS[kind]
    return {row[name] for row in ok(client.get(f"{url}?page_size=100&{query}"))[key]}


@pytest.fixture
def farm() -> None:
    """A little of everything, so that each filter below keeps some rows and drops others."""
    vip, summer = Tag.objects.create(name="vip"), Tag.objects.create(name="summer")
    shelf = make_device(serial="emulator-5554", name="shelf one")
    shelf.groups.add(DeviceGroup.objects.create(name="hub"))
    shelf.tags.add(vip)
    spare = make_device(state=Device.State.OFFLINE)
    busy = make_device()
    make_task(busy, status=Task.Status.RUNNING)

    amy = make_account(shelf, username="tt_amy", logined=True)
    amy.tags.add(vip)
    make_account(spare, username="ig_bo", platform=Platform.INSTAGRAM)
    make_account(None, username="tt_off", status=Account.Status.DISABLED)

    make_task(shelf, account=amy, script_name="post", status=Task.Status.FAILED)
    make_task(spare, source=Task.Source.API)

    video = Material.objects.create(file="uploads/a.mp4", kind=Material.Kind.VIDEO)
    video.tags.add(summer)
    Material.objects.create(file="uploads/b.png", kind=Material.Kind.IMAGE, used_at=timezone.now())


SAME_FILTER_CASES = [
    ("devices", "state=offline"),
    ("devices", "state=busy"),
    ("devices", "online=1"),
    ("devices", "group=hub"),
    ("devices", "tag=vip"),
    ("devices", "q=shelf"),
    ("accounts", "platform=instagram"),
    ("accounts", "status=1"),
    ("accounts", "logined=1"),
    ("accounts", "tag=vip"),
    ("accounts", "device=emulator-5554"),
    ("accounts", "q=@tt_"),
    ("tasks", "status=3"),
    ("tasks", "serial=emulator-5554"),
    ("tasks", "script_name=post"),
    ("tasks", "username=@tt_amy"),
    ("tasks", "source=api"),
    ("materials", "kind=image"),
    ("materials", "used=1"),
    ("materials", "used=false"),
    ("materials", "tag=summer"),
]


@pytest.mark.parametrize("kind, query", SAME_FILTER_CASES)
def test_a_filter_keeps_the_same_rows_on_the_page_and_in_the_api(page, api, farm, kind, query):
    everything = api_rows(api, kind)
    kept = api_rows(api, kind, query)
    assert kept and kept != everything  # the filter does narrow the list
    assert page_rows(page, kind, query) == kept


def test_the_task_pages_older_parameter_names_still_work(page, api, farm):
    phone = Device.objects.get(serial="emulator-5554")
    assert page_rows(page, "tasks", "script=post") == api_rows(api, "tasks", "script_name=post")
    assert page_rows(page, "tasks", f"device=%23{phone.index}") == api_rows(
        api, "tasks", "serial=emulator-5554"
    )
    assert page_rows(page, "tasks", "account=tt_amy") == api_rows(api, "tasks", "username=tt_amy")


INVALID_CASES = [
    ("devices", "state=asleep", "state"),
    ("accounts", "platform=myspace", "platform"),
    ("accounts", "status=7", "status"),
    ("tasks", "status=9", "status"),
    ("tasks", "date_from=yesterday", "date_from"),
    ("materials", "used=maybe", "used"),
]


@pytest.mark.parametrize("kind, query, field", INVALID_CASES)
def test_an_invalid_value_is_40001_in_the_api_and_a_form_error_on_the_page(
    page, api, farm, kind, query, field
):
    assert field in errors(api.get(f"{LISTS[kind][1]}?{query}"))

    response = page.get(f"{LISTS[kind][0]}?{query}")
    assert response.status_code == 200
    assert field in response.context["filterset"].form.errors
    assert 'class="field has-error"' in response.content.decode()
    assert page_rows(page, kind, query) == api_rows(api, kind)  # ignored: the whole list


def test_on_a_page_the_valid_filters_still_apply_beside_an_invalid_one(page, api, farm):
    assert page_rows(page, "tasks", "status=9&source=api") == api_rows(api, "tasks", "source=api")


def test_the_group_and_tag_filters_offer_the_existing_names(page, farm):
    form = page.get("/devices/?group=hub").content.decode()
    assert '<option value="hub" selected>hub</option>' in form
    assert '<option value="vip">vip</option>' in form


@pytest.mark.parametrize(
    "kind, query",
    [("accounts", "tag=vip"), ("materials", "tag=summer"), ("tasks", "status=0")],
)
def test_a_filtered_page_needs_the_same_queries_for_5_or_40_rows(page, kind, query):
    def add_rows(n: int) -> None:
        for _ in range(n):
            if kind == "accounts":
                make_account(make_device()).tags.add(Tag.objects.get_or_create(name="vip")[0])
            elif kind == "materials":
                material = Material.objects.create(file="uploads/m.mp4", kind="video")
                material.tags.add(Tag.objects.get_or_create(name="summer")[0])
            else:
                make_task(make_device())

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert len(page_rows(page, kind, query)) in (5, 40)
        return len(ctx.captured_queries)

    add_rows(5)
    five = queries()
    add_rows(35)
    assert queries() == five
