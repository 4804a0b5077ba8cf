"""One walk through the dashboard in real Chromium (Debian's package, driven by Playwright).

Sign in, see the phones, create a follow task from the form, stop it from its page, switch to
Portuguese. Screenshots of each page are kept under var/screenshots/ (not committed).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tasks.models import Task
from tests.conftest import PASSWORD
from tests.tasks.factories import make_device

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    # Skipped on a developer machine without Chromium; CI installs it (.ci/run) and must run it.
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
        reason="needs Debian's chromium package",
    ),
]


@pytest.fixture
def browser_page():
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright runs an event loop in this thread; the test's own ORM calls are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_an_operator_walks_through_the_dashboard(live_server, operator, browser_page):
    make_device(name="Demo phone 1")
    make_device(name="Demo phone 2")
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", operator.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")
    shot(page, "overview")

    page.click("nav.nav >> text=Devices")
    assert page.locator(".phone").count() == 2
    assert page.get_by_text("Demo phone 1").is_visible()
    shot(page, "devices")

    page.goto(f"{live_server.url}/tasks/new/?script=follow")
    page.get_by_label("Demo phone 1").check()
    page.fill("textarea[name=cfg_target_users]", "@alice")
    shot(page, "task-form")
    page.click("text=Create tasks")
    page.wait_for_url(f"{live_server.url}/tasks/*/")
    task = Task.objects.get()
    assert task.script_config["target_users"] == ["alice"] and task.source == Task.Source.UI
    assert page.get_by_text("1 task created.").is_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Stop')")
    page.wait_for_selector("text=1 task stopped.")
    task.refresh_from_db()
    assert task.status == Task.Status.FAILED
    shot(page, "task-detail")

    page.select_option("select[name=language]", "pt-br")
    page.wait_for_selector("text=Registro de etapas")
    assert page.locator("html").get_attribute("lang") == "pt-br"
    shot(page, "task-detail-pt-br")


def test_a_post_created_in_the_browser_completes_live_on_a_simulated_phone(
    live_server, operator, browser_page, adb_server, make_phone, tmp_path, settings
):
    import hashlib

    from tasks.models import Material
    from tests.tasks.engine import FarmHost, register

    phone = make_phone()
    register(phone, name="Shelf phone")
    video = b"\x00\x00\x00\x18ftypmp42" + b"browser video" * 50
    (settings.MATERIAL_UPLOAD_ROOT / "clip.mp4").write_bytes(video)
    Material.objects.create(file="clip.mp4", kind="video", size=len(video),
                            sha256=hashlib.sha256(video).hexdigest())  # fmt: skip
    (tmp_path / "host").mkdir()
    host = FarmHost(adb_server, tmp_path / "host").start()
    try:
        page = browser_page
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", operator.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/tasks/new/?script=post")
        page.get_by_label("Shelf phone").check()
        page.fill("textarea[name=cfg_captions]", "Posted from the browser")
        page.click("text=Create tasks")
        page.wait_for_url(f"{live_server.url}/tasks/*/")
        # No reload: the page's own live refresh shows the outcome when the worker is done.
        page.wait_for_selector(".badge.st-completed", timeout=90_000)
        shot(page, "task-completed-live")
        [post] = phone.ui.outcomes.posts
        assert post.caption == "Posted from the browser"
        assert post.media == [hashlib.sha256(video).hexdigest()]
    finally:
        host.stop()
