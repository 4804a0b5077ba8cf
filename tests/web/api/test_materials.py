"""/api/v1/materials: upload, list, delete; uploaded paths work in a post's material_list."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import AuditEntry
from tasks.models import Material, Task
from tests.apihelp import errors, fails, ok
from tests.tasks.factories import make_device

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_cache")]

URL = "/api/v1/materials"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def upload(client, name="clip.mp4", content=MP4, **fields):
    return client.post(
        URL, {"file": SimpleUploadedFile(name, content), **fields}, format="multipart"
    )


def test_an_upload_lands_inside_the_material_roots_with_its_hash_and_tags(as_operator, settings):
    data = ok(upload(as_operator, tags="summer, cats", caption="hi", sort=3))

    assert data["kind"] == "video" and data["size"] == len(MP4)
    assert data["sha256"] == hashlib.sha256(MP4).hexdigest()
    assert sorted(data["tags"]) == ["cats", "summer"]
    root = os.path.realpath(settings.MATERIAL_ROOTS[0])
    assert data["path"].startswith(root + os.sep) and os.path.isfile(data["path"])
    assert AuditEntry.objects.get(action="material.upload").actor == "oscar"


def test_the_returned_path_and_reference_are_valid_in_a_post(as_operator):
    material = ok(upload(as_operator))
    phone = make_device()
    for entry in (material["path"], f"material:{material['id']}"):
        ok(
            as_operator.post(
                "/api/v1/task",
                {
                    "serials": [phone.serial],
                    "script_name": "post",
                    "script_config": {"material_list": [entry]},
                },
                format="json",
            )
        )
    assert Task.objects.count() == 2


def test_images_are_accepted(as_operator):
    assert ok(upload(as_operator, name="p.png", content=PNG))["kind"] == "image"


@pytest.mark.parametrize(
    ("name", "content"),
    [("notes.txt", b"hello"), ("clip.mp4", b"not a video at all"), ("empty.png", b"")],
)
def test_wrong_types_and_fake_contents_are_refused(as_operator, name, content):
    assert "file" in errors(upload(as_operator, name=name, content=content))
    assert not Material.objects.exists()


def test_too_large_uploads_are_refused(as_operator, settings):
    settings.MATERIAL_MAX_UPLOAD_MB = 1
    assert "file" in errors(upload(as_operator, content=MP4 + b"\x00" * (3 * 1024 * 1024)))
    assert not Material.objects.exists()


def test_a_missing_file_is_refused(as_operator):
    assert "file" in errors(as_operator.post(URL, {"caption": "x"}, format="multipart"))


def test_viewers_may_list_but_not_upload_or_delete(as_viewer, as_operator):
    material = ok(upload(as_operator))
    fails(upload(as_viewer), 40302)
    fails(as_viewer.delete(f"{URL}/{material['id']}"), 40302)
    assert ok(as_viewer.get(URL))["total"] == 1


def test_the_list_filters_by_tag_used_and_kind(as_operator):
    video = ok(upload(as_operator, tags="a"))
    image = ok(upload(as_operator, name="p.png", content=PNG, tags="b"))
    Material.objects.filter(pk=video["id"]).update(used_at=timezone.now())

    def ids(query):
        return [m["id"] for m in ok(as_operator.get(f"{URL}?{query}"))["materials"]]

    assert ids("") == [image["id"], video["id"]]  # newest first
    assert ids("tag=a") == [video["id"]]
    assert ids("used=1") == [video["id"]] and ids("used=false") == [image["id"]]
    assert ids("kind=image") == [image["id"]]


def test_the_list_costs_the_same_queries_at_any_page_size(as_viewer, django_assert_num_queries):
    for n in range(30):
        material = Material.objects.create(file=f"uploads/{n}.mp4", kind=Material.Kind.VIDEO)
        material.tags.create(name=f"t{n}")
    as_viewer.get(URL)
    # The licence is cached in-process since the first request, so: token + role + count +
    # page + tags (one prefetch)
    for size in (3, 30):
        with django_assert_num_queries(5):
            assert len(ok(as_viewer.get(f"{URL}?page_size={size}"))["materials"]) == size


def test_deleting_removes_the_row_and_the_file(as_operator):
    material = ok(upload(as_operator))
    assert ok(as_operator.delete(f"{URL}/{material['id']}")) == {"deleted_count": 1}
    assert not os.path.exists(material["path"]) and not Material.objects.exists()
    assert AuditEntry.objects.filter(action="material.delete").count() == 1
    fails(as_operator.delete(f"{URL}/{material['id']}"), 40401)
