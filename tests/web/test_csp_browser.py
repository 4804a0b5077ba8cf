"""The dashboard's pages, the API docs and the admin pass the Content-Security-Policy in real
Chromium: no refused script, style or image on any of them (issue 16 item 12)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from devices.models import Device
from tasks.models import Material, Task
from tests.conftest import PASSWORD
from tests.tasks.factories import make_account, make_device, make_task
from tests.web import test_browser

pytestmark = test_browser.pytestmark  # browser tests: skipped without Chromium, except in CI
browser_page = test_browser.browser_page  # the Chromium page fixture

# Each document notes what the policy refused (Playwright's init script is not subject to it).
LISTEN = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__refused.push(`${event.violatedDirective} refused ${event.blockedURI || "inline"}`
                        + ` at ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
});
"""


@pytest.fixture
def farm(settings):
    """A farm with one of everything the pages draw: a phone mid-task, a failed task with its
    evidence, an account, a material."""
    phone = make_device(name="Shelf phone", battery=15)
    make_device(state=Device.State.OFFLINE)
    account = make_account(phone, username="amy")
    running = make_task(phone, account=account, status=Task.Status.RUNNING, progress=40,
                        step="typing caption")  # fmt: skip
    failed = make_task(make_device(), status=Task.Status.FAILED, remark="the app crashed",
                       failure_hierarchy="<hierarchy/>")  # fmt: skip
    failed.failure_screenshot.save("shot.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
    (settings.MATERIAL_UPLOAD_ROOT / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    material = Material.objects.create(file="clip.mp4", kind="video", size=12)
    return {"phone": phone, "account": account, "running": running, "failed": failed,
            "material": material}  # fmt: skip


def pages(farm) -> list[str]:
    phone, account, material = farm["phone"], farm["account"], farm["material"]
    return [
        "/", "/devices/", f"/devices/{phone.serial}/", "/accounts/", "/accounts/new/",
        f"/accounts/{account.pk}/", "/tasks/", "/tasks/new/?script=post",
        f"/tasks/{farm['running'].pk}/", f"/tasks/{farm['failed'].pk}/", "/materials/",
        f"/materials/{material.pk}/", "/team/", "/licences/", "/audit/", "/password/",
        "/admin/", "/admin/tasks/task/", f"/admin/tasks/task/{farm['failed'].pk}/change/",
        "/admin/tasks/material/", f"/admin/tasks/material/{material.pk}/change/",
    ]  # fmt: skip


def test_no_page_breaks_the_content_security_policy(live_server, owner, browser_page, farm):
    page = browser_page
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(LISTEN)

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", owner.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")

    refused = {}
    for path in ["/", *pages(farm)]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
        page.wait_for_load_state("load")
        refused[path] = page.evaluate("window.__refused")
    assert {path: found for path, found in refused.items() if found} == {}
    assert [text for text in console if "Content Security Policy" in text] == []


def test_the_api_docs_work_under_the_policy(live_server, browser_page):
    page = browser_page
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(LISTEN)

    page.goto(f"{live_server.url}/api/docs/")
    # Swagger UI drew the schema: its scripts and styles were allowed.
    page.wait_for_selector("text=TikMatrix-compatible farm API")
    page.wait_for_selector(".opblock-tag-section")
    assert page.evaluate("window.__refused") == []
    assert [text for text in console if "Content Security Policy" in text] == []


def test_the_login_page_passes_the_policy(live_server, browser_page):
    page = browser_page
    page.add_init_script(LISTEN)
    page.goto(f"{live_server.url}/login/")
    page.wait_for_load_state("load")
    assert page.evaluate("window.__refused") == []
