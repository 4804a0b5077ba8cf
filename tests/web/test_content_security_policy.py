"""The Content-Security-Policy (issue 16 item 12): every answer carries it, and no template
needs an exception from it. Whether real pages pass it in a browser: test_csp_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.tasks.factories import make_device, make_task

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# What a policy without 'unsafe-inline' blocks: scripts without src, <style> blocks, style=""
# attributes, on…="" handlers and javascript: URLs.
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style block": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


def test_no_template_has_inline_script_or_style():
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in TEMPLATES.rglob("*.html")
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert found == []


@pytest.mark.parametrize(
    "url", ["/", "/devices/", "/tasks/", "/login/", "/api/docs/", "/api/v1/task", "/admin/"]
)
def test_every_answer_carries_a_policy_without_inline_code(client_as, owner, url):
    response = client_as(owner).get(url)
    directives = policy(response)
    assert directives["script-src"] == directives["style-src"] == ["'self'"]
    assert directives["object-src"] == directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_the_api_docs_load_their_init_script_from_a_file(client):
    page = client.get("/api/docs/").content.decode()
    [script_url] = re.findall(r'<script src="([^"]*script=[^"]*)"', page)
    assert not INLINE["inline script"].search(page) and "<style" not in page
    script = client.get(script_url.replace("&amp;", "&"))
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_progress_and_battery_are_drawn_without_inline_style(client_as, viewer):
    phone = make_device(battery=12)
    make_task(phone, status=1, progress=65)
    page = client_as(viewer).get("/devices/").content.decode()
    assert '<progress class="bar" max="100" value="65">' in page
    assert 'low="20"' in page and 'value="12"' in page and "style=" not in page
