"""Compatibility mode in real Chromium: a page from another port cannot use the tokenless API.

The farm PC's browser sends its requests from 127.0.0.1, so without the checks in
``core.api.access.loopback_refusal`` any web page open there could stop tasks, retry them all and
upload files. The page below tries each the way a hostile page can (no-CORS fetches and a form).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.models import AuditEntry
from tasks.models import Material, Task
from tests.tasks.factories import make_device, make_task
from tests.web import test_browser

pytestmark = test_browser.pytestmark  # browser tests: skipped without Chromium, except in CI
browser_page = test_browser.browser_page  # the Chromium page fixture

ATTACK_PAGE = """<!doctype html><html><body>
<form id="upload" method="post" enctype="multipart/form-data" target="sink"
      action="{api}/api/v1/materials"><input type="hidden" name="caption" value="x"></form>
<iframe name="sink"></iframe>
<script>
const api = "{api}";
const file = new File([new Uint8Array([0,0,0,24,102,116,121,112,109,112,52,50])], "clip.mp4");
const upload = new FormData(); upload.append("file", file);
const attempts = [
  fetch(api + "/api/v1/task/{task}/stop", {{method: "POST", mode: "no-cors"}}),
  fetch(api + "/api/v1/task/retry-all", {{method: "POST", mode: "no-cors",
        headers: {{"Content-Type": "text/plain"}}, body: "{{}}"}}),
  fetch(api + "/api/v1/materials", {{method: "POST", mode: "no-cors", body: upload}}),
];
document.getElementById("upload").submit();
Promise.allSettled(attempts).then(() => {{ document.title = "sent"; }});
</script></body></html>"""


@pytest.fixture
def other_site():
    """A web server on another port serving ``other_site.page`` (as a hostile site would)."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            body = server.page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    server.page = ""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_page_from_another_port_cannot_use_the_tokenless_api(
    live_server,
    browser_page,
    other_site,
    settings,
):
    settings.API_OPEN_ON_LOCALHOST = True
    running = make_task(make_device(), status=Task.Status.PENDING)
    failed = make_task(make_device(), status=Task.Status.FAILED)
    other_site.page = ATTACK_PAGE.format(api=live_server.url, task=running.pk)

    with browser_page.expect_response(lambda r: r.url.endswith("/api/v1/materials")):
        browser_page.goto(f"http://127.0.0.1:{other_site.server_port}/")
    browser_page.wait_for_function("document.title === 'sent'")

    assert list(AuditEntry.objects.values_list("action", flat=True)) == []
    running.refresh_from_db()
    failed.refresh_from_db()
    assert (running.status, running.retry_count) == (Task.Status.PENDING, 0)
    assert (failed.status, failed.retry_count) == (Task.Status.FAILED, 0)
    assert not Material.objects.exists()
