"""After a POST, ``next`` sends people back where they were, but only to a path on this site:
never to another site, a script, or anything the browser would read as one (issue 16 item 9)."""

from __future__ import annotations

import pytest

from core.pages import safe_next
from tests.tasks.factories import make_account, make_device, make_task

pytestmark = pytest.mark.django_db

FOREIGN = [
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " https://evil.example",
    "accounts/",  # relative to the form's own URL: not where anyone came from
    "https://testserver/accounts/",  # this site, but spelled as a URL: only paths are kept
]
OURS = ["/accounts/", "/tasks/?status=3&page=2", "/devices/127.0.0.1:5555/"]


@pytest.mark.parametrize("target", FOREIGN)
def test_anything_but_a_path_on_this_site_is_refused(rf, target):
    assert safe_next(rf.post("/", {"next": target})) is None


@pytest.mark.parametrize("target", OURS)
def test_a_path_on_this_site_is_kept(rf, target):
    assert safe_next(rf.post("/", {"next": target})) == target


@pytest.mark.parametrize("target", FOREIGN)
def test_the_account_toggle_never_leaves_the_site(client_as, operator, target):
    account = make_account(make_device())
    response = client_as(operator).post(f"/accounts/{account.pk}/toggle/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/accounts/"


def test_the_account_toggle_goes_back_to_the_filtered_list(client_as, operator):
    account = make_account(make_device())
    response = client_as(operator).post(
        f"/accounts/{account.pk}/toggle/", {"next": "/accounts/?status=1"}
    )
    assert response["Location"] == "/accounts/?status=1"


@pytest.mark.parametrize("valid", [True, False], ids=["done", "nothing ticked"])
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "javascript:x"])
def test_task_bulk_actions_never_leave_the_site(client_as, operator, target, valid):
    task = make_task(make_device())
    form = {"action": "stop", "next": target, **({"ids": [task.pk]} if valid else {})}
    response = client_as(operator).post("/tasks/bulk/", form)
    assert response.status_code == 302 and response["Location"] == "/tasks/"


def test_task_bulk_actions_go_back_to_the_filtered_list(client_as, operator):
    task = make_task(make_device())
    form = {"action": "stop", "ids": [task.pk], "next": "/tasks/?status=0"}
    response = client_as(operator).post("/tasks/bulk/", form)
    assert response["Location"] == "/tasks/?status=0"
