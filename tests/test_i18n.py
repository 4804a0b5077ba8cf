"""English and Brazilian Portuguese: chosen by the browser or the switcher, complete, compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.tasks.factories import make_device, make_task

LOCALE = Path(settings.BASE_DIR) / "locale" / "pt_BR" / "LC_MESSAGES"
ENTRY = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$')


def po_entries() -> list[dict]:
    """The .po file's entries as {"msgid": …, "msgstr": …, "flags": …} (header skipped)."""
    entries = []
    for block in (LOCALE / "django.po").read_text().split("\n\n")[1:]:
        entry: dict = {
            "flags": " ".join(line for line in block.splitlines() if line.startswith("#,"))
        }
        key = None
        for line in block.splitlines():
            match = ENTRY.match(line)
            if match:
                key = match.group(1)
                entry[key] = match.group(2)
            elif line.startswith('"') and key:
                entry[key] += line[1:-1]
        if "msgid" in entry:
            entries.append(entry)
    return entries


def unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def test_every_string_has_a_portuguese_translation():
    entries = po_entries()
    assert len(entries) > 300
    untranslated = [
        e["msgid"] for e in entries if not any(v for k, v in e.items() if k.startswith("msgstr"))
    ]
    assert untranslated == []
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []


def test_the_compiled_catalogue_matches_the_po_file():
    """The .mo is committed (CI machines lack msgfmt); it must not lag behind the .po."""
    with (LOCALE / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for entry in po_entries():
        if "msgid_plural" in entry:
            got = catalogue.ngettext(unescape(entry["msgid"]), unescape(entry["msgid_plural"]), 5)
            assert got == unescape(entry["msgstr[1]"]), entry["msgid"]
        else:
            assert catalogue.gettext(unescape(entry["msgid"])) == unescape(entry["msgstr"])


@pytest.mark.django_db
def test_the_browser_language_picks_portuguese(client_as, viewer):
    device = make_device(state="offline")
    make_task(device, status=2)
    client = client_as(viewer)
    page = client.get("/devices/", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9").content.decode()
    assert 'lang="pt-br"' in page
    assert "Aparelhos" in page and "Verifique o cabo USB" in page and "Sair" in page
    assert "Devices" not in page
    english = client.get("/devices/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "Devices" in english and "Aparelhos" not in english


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/tasks/", "/accounts/", "/materials/", "/audit/", "/tasks/new/", "/team/"]
)
def test_pages_render_in_portuguese(client_as, owner, url):
    page = client_as(owner).get(url, HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "Visão geral" in page and "Tarefas" in page and "Overview" not in page


@pytest.mark.django_db
def test_the_switcher_remembers_the_choice(client_as, viewer):
    client = client_as(viewer)
    response = client.post("/i18n/setlang/", {"language": "pt-br", "next": "/tasks/"})
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    assert "Tarefas" in client.get("/tasks/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.django_db
def test_dates_and_numbers_follow_the_language(client_as, viewer):
    task = make_task(make_device())
    when = timezone.localtime(task.scheduled_at)
    client = client_as(viewer)
    pt = client.get("/tasks/", HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    en = client.get("/tasks/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert when.strftime("%d/%m/%Y") in pt
    assert f"{when.month}/{when.day}/{when.year}" in en


@pytest.mark.django_db
def test_messages_from_views_are_translated(client_as, operator):
    task = make_task(make_device())
    client = client_as(operator)
    client.post("/i18n/setlang/", {"language": "pt-br", "next": "/"})
    page = client.post("/tasks/bulk/", {"action": "stop", "ids": [task.pk]}, follow=True)
    assert "1 tarefa parada." in page.content.decode()
