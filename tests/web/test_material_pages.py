"""The media library page: uploads with type/size checks, editing, the used flag, deleting."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEntry
from tasks.models import Material

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
MP4 = b"\0\0\0\x18ftypmp42" + b"\0" * 64


def upload(client, name: str, content: bytes, **fields):
    data = {"file": SimpleUploadedFile(name, content), "sort": "0", "tag_names": "", **fields}
    return client.post("/materials/upload/", data)


def test_an_operator_uploads_a_video_under_the_material_root(client_as, operator):
    response = upload(
        client_as(operator), "clip.mp4", MP4, tag_names="summer", caption="Hi", sort="3"
    )
    assert response.status_code == 302
    material = Material.objects.get()
    assert material.kind == Material.Kind.VIDEO and material.size == len(MP4) and material.sort == 3
    assert [t.name for t in material.tags.all()] == ["summer"]
    stored = settings.MATERIAL_UPLOAD_ROOT / material.file.name
    assert stored.read_bytes() == MP4 and len(material.sha256) == 64
    assert AuditEntry.objects.filter(action="material.upload").exists()


def test_images_are_accepted_and_listed(client_as, operator, viewer):
    upload(client_as(operator), "pic.png", PNG)
    page = client_as(viewer).get("/materials/").content.decode()
    assert "pic.png" in page and "/materials/upload/" not in page  # no upload form for viewers
    assert client_as(viewer).get(f"/materials/{Material.objects.get().pk}/file").status_code == 200


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("virus.exe", MP4, b"Only .mp4, .mov, .jpg and .png"),
        ("fake.mp4", b"<html>not a video</html>", b"not a mp4 file"),
        ("fake.png", b"\xff\xd8\xff\xe0jpeg really", b"not a png file"),
        ("empty.jpg", b"", b"empty"),
    ],
)
def test_wrong_types_are_refused_with_422(client_as, operator, name, content, message):
    response = upload(client_as(operator), name, content)
    assert response.status_code == 422 and message in response.content
    assert not Material.objects.exists()


def test_files_over_the_size_limit_are_refused(client_as, operator, settings):
    settings.MATERIAL_MAX_UPLOAD_MB = 1
    response = upload(client_as(operator), "big.mp4", MP4 + b"\0" * (1024 * 1024))
    assert response.status_code == 422 and b"larger than 1 MB" in response.content


def test_editing_caption_tags_sort_and_the_used_flag(client_as, operator):
    client = client_as(operator)
    upload(client, "pic.png", PNG)
    material = Material.objects.get()
    data = {"caption": "new", "username": "", "sort": "9", "tag_names": "x, y", "used": "on"}
    assert client.post(f"/materials/{material.pk}/", data).status_code == 302
    material.refresh_from_db()
    assert material.caption == "new" and material.sort == 9 and material.used_at is not None
    client.post(f"/materials/{material.pk}/", {**data, "used": ""})
    material.refresh_from_db()
    assert material.used_at is None


def test_deleting_removes_the_file(client_as, operator):
    client = client_as(operator)
    upload(client, "pic.png", PNG)
    material = Material.objects.get()
    path = settings.MATERIAL_UPLOAD_ROOT / material.file.name
    client.post(f"/materials/{material.pk}/delete/")
    assert not Material.objects.exists() and not path.exists()


def test_viewers_cannot_upload_edit_or_delete(client_as, viewer, operator):
    upload(client_as(operator), "pic.png", PNG)
    material = Material.objects.get()
    client = client_as(viewer)
    assert upload(client, "x.png", PNG).status_code == 403
    assert client.get(f"/materials/{material.pk}/").status_code == 403
    assert client.post(f"/materials/{material.pk}/delete/").status_code == 403
