"""The scripts on simulated TikTok and Instagram apps: tasks created like the API creates them
are claimed by the dispatcher and run by the worker's entry point on phones behind the real adb
server; the phone's recorded outcome proves what happened.

Most run in process (``tests/tasks/inprocess.py``: the production path minus the queue); the
``e2e`` ones go through a real worker cluster and dispatcher (``tests/tasks/engine.py``).
"""

from __future__ import annotations

import hashlib

import pytest

from devices.models import Account, Platform
from tasks.creation import CreateRequest, create_tasks
from tasks.models import Material, Task
from tests.tasks.engine import FarmHost, register, wait_until
from tests.tasks.inprocess import serve_in_process

pytestmark = pytest.mark.django_db(transaction=True)
Status = Task.Status
TIKTOK, INSTAGRAM = "com.zhiliaoapp.musically", "com.instagram.android"
KEYBOARD = "com.github.uiautomator"  # uiautomator2's keyboard app


@pytest.fixture
def host(adb_server, settings, monkeypatch):
    yield from serve_in_process(adb_server, settings, monkeypatch)


@pytest.fixture
def cluster(adb_server, tmp_path):
    """A real worker cluster and dispatcher (subprocesses) on the test database."""
    (tmp_path / "host").mkdir()
    farm_host = FarmHost(adb_server, tmp_path / "host", workers=3).start()
    yield farm_host
    farm_host.stop()


def create(script: str, config: dict, **where) -> list[Task]:
    created = create_tasks(CreateRequest(script, config, **where))
    return list(Task.objects.filter(pk__in=created.task_ids).order_by("pk"))


def run(host, script: str, config: dict, **where) -> list[Task]:
    return host.run(create(script, config, **where))


def completed(task: Task, host=None) -> Task:
    logs = host.logs() if isinstance(host, FarmHost) else ""
    assert task.status == Status.COMPLETED, (
        task.remark,
        list(task.events.values_list("step", "message")),
        logs,
    )
    return task


def video_file(tmp_root, name="clip.mp4", payload=b"video-bytes") -> tuple[str, str]:
    path = tmp_root / name
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + payload)
    return str(path), hashlib.sha256(path.read_bytes()).hexdigest()


# --- follow / unfollow --------------------------------------------------------------------


@pytest.mark.e2e
def test_follow_by_url_on_tiktok_in_device_mode_through_a_real_cluster(cluster, make_phone):
    phone = make_phone()
    register(phone)
    [task] = create("follow", {"target_users": ["@maria.lima"]}, serials=[phone.serial])
    wait_until(lambda: Task.objects.get(pk=task.pk).status in Task.TERMINAL, timeout=90)
    task.refresh_from_db()
    assert completed(task, cluster).remark == "followed @maria.lima"
    assert [(f.platform, f.target) for f in phone.ui.outcomes.follows] == [("tiktok", "maria.lima")]


def test_follow_via_search_on_instagram_as_the_right_account(host, make_phone):
    phone = make_phone()
    device = register(phone)
    phone.ui.set_accounts(INSTAGRAM, ["first_acc", "second_acc"], current="first_acc")
    Account.objects.create(platform=Platform.INSTAGRAM, username="second_acc", device=device)
    config = {"target_user": "joao_silva", "access_method": "search"}
    [task] = run(host, "follow", config, usernames=["@second_acc"])
    completed(task, host)
    [follow] = phone.ui.outcomes.follows
    assert (follow.platform, follow.account, follow.target) == (
        "instagram",
        "second_acc",
        "joao_silva",
    )
    assert "switching account" in task.events.values_list("step", flat=True)


def test_one_task_per_target_and_already_following_completes_with_a_remark(host, make_phone):
    phone = make_phone()
    register(phone)
    phone.ui.faults.already_following = {"ana"}
    tasks = run(host, "follow", {"target_users": ["ana", "bia"]}, serials=[phone.serial])
    assert [completed(t, host).remark for t in tasks] == ["already following @ana", "followed @bia"]


def test_multi_account_mode_follows_from_every_account_on_the_phone(host, make_phone):
    phone = make_phone()
    device = register(phone)
    phone.ui.set_accounts(TIKTOK, ["acc_a", "acc_b"], current="acc_b")
    for name in ("acc_a", "acc_b"):
        Account.objects.create(platform=Platform.TIKTOK, username=name, device=device)
    config = {"target_user": "carla", "platform": "tiktok"}
    tasks = run(host, "follow", config, serials=[phone.serial], enable_multi_account=True)
    assert all(completed(t, host) for t in tasks)
    assert sorted(f.account for f in phone.ui.outcomes.follows) == ["acc_a", "acc_b"]


def test_unfollow_on_instagram(host, make_phone):
    phone = make_phone()
    register(phone)
    phone.ui.set_following(INSTAGRAM, ["dani"])
    config = {"target_user": "dani", "platform": "instagram"}
    [task] = run(host, "unfollow", config, serials=[phone.serial])
    assert completed(task, host).remark == "unfollowed @dani"
    assert [u.target for u in phone.ui.outcomes.unfollows] == ["dani"]


# --- post ---------------------------------------------------------------------------------


def test_post_a_library_video_on_tiktok(host, make_phone, settings):
    phone = make_phone()
    register(phone)
    path, digest = video_file(settings.MATERIAL_UPLOAD_ROOT)
    material = Material.objects.create(file="clip.mp4", kind="video", size=1, sha256=digest)
    config = {"captions": "Bom dia {farm|fazenda}!"}
    [task] = run(host, "post", {**config, "post_way": "addButton"}, serials=[phone.serial])
    completed(task, host)
    [post] = phone.ui.outcomes.posts
    assert post.media == [digest] and post.kind == "video"
    assert post.caption in ("Bom dia farm!", "Bom dia fazenda!")
    material.refresh_from_db()
    assert material.used_at is not None and material.used_by_task_id == task.pk
    assert not [p for p in phone.fs.listdir("/sdcard/DCIM/TikTok") if p.startswith("tmx-")]


def test_one_video_is_shared_to_the_app_with_its_content_uri(host, make_phone, settings):
    """post_way=share: the file is pushed, indexed in MediaStore the Android 10+ way, and sent
    to TikTok's share activity as one content Uri; afterwards it is gone from the gallery."""
    phone = make_phone()
    register(phone)
    path, digest = video_file(settings.MATERIAL_UPLOAD_ROOT)
    config = {"material_list": [path], "captions": "Shared", "post_way": "share"}
    [task] = run(host, "post", config, serials=[phone.serial])
    completed(task, host)
    [post] = phone.ui.outcomes.posts
    assert (post.media, post.caption) == ([digest], "Shared")
    [share] = [c for c in phone.commands if "android.intent.action.SEND" in c]
    assert f"{TIKTOK}/com.ss.android.ugc.aweme.share.SystemShareActivity" in share
    assert "--eu android.intent.extra.STREAM content://media/external/video/media/" in share
    assert "--grant-read-uri-permission" in share and "-t video/mp4" in share
    assert any("scan_volume" in c for c in phone.commands)
    assert not any("MEDIA_SCANNER_SCAN_FILE" in c for c in phone.commands)
    assert not [p for p in phone.media.paths() if "/tmx-" in p]


def test_two_images_on_instagram_go_through_the_apps_gallery(host, make_phone, settings):
    """Android cannot share several files from adb (no Uri-list flag in `am`): a share of two
    images goes through Instagram's own gallery picker, in the order given."""
    phone = make_phone()
    register(phone)
    root = settings.MATERIAL_UPLOAD_ROOT
    from PIL import Image

    digests = []
    for n, colour in enumerate(("red", "blue")):
        Image.new("RGB", (64, 64), colour).save(root / f"p{n}.png")
        digests.append(hashlib.sha256((root / f"p{n}.png").read_bytes()).hexdigest())
    config = {"platform": "instagram", "content_type": 1, "image_count": 2,
              "material_list": [str(root / "p0.png"), str(root / "p1.png")],
              "captions": "Line one###line two"}  # fmt: skip
    [task] = run(host, "post", config, serials=[phone.serial])
    completed(task, host)
    [post] = phone.ui.outcomes.posts
    assert post.media == digests and post.kind == "images" and post.placement == "post"
    assert post.caption == "Line one\nline two"
    assert not any("android.intent.action.SEND" in c for c in phone.commands)
    assert any("several files" in m for m in task.events.values_list("message", flat=True))


CAPTION = "Promoção de verão 🔥\nlinha 2 — “aspas” & <tags> 100%s"


def test_a_portuguese_caption_with_emoji_lands_exactly_on_a_phone_without_a_keyboard(
    host, make_phone, settings
):
    """Nothing set up on the phone: uiautomator2's keyboard app is installed at the first
    caption (recorded in the audit log) and types the caption byte for byte."""
    from core.models import AuditEntry

    path, _ = video_file(settings.MATERIAL_UPLOAD_ROOT)
    phone = make_phone()
    register(phone)
    assert KEYBOARD not in phone.ui.installed_packages
    config = {"material_list": [path], "captions": CAPTION.replace("\n", "###"),
              "post_way": "addButton"}  # fmt: skip
    [task] = run(host, "post", config, serials=[phone.serial])
    completed(task, host)
    assert [p.caption for p in phone.ui.outcomes.posts] == [CAPTION]
    assert KEYBOARD in phone.ui.installed_packages
    [installed] = AuditEntry.objects.filter(action="device.keyboard_install")
    assert (installed.object_id, installed.detail["task"]) == (phone.serial, task.pk)


def test_with_keyboard_installs_turned_off_the_caption_is_pasted_and_nothing_installed(
    host, make_phone, settings
):
    from core import farm_settings

    farm_settings.change("phone_keyboard_install", False, actor="owner")
    path, _ = video_file(settings.MATERIAL_UPLOAD_ROOT)
    phone = make_phone()
    register(phone)
    config = {"material_list": [path], "captions": CAPTION.replace("\n", "###"),
              "post_way": "addButton"}  # fmt: skip
    [task] = run(host, "post", config, serials=[phone.serial])
    completed(task, host)
    assert [p.caption for p in phone.ui.outcomes.posts] == [CAPTION]
    assert KEYBOARD not in phone.ui.installed_packages
    assert phone.clipboard == CAPTION


# --- what goes wrong ----------------------------------------------------------------------


def test_an_app_not_in_english_fails_fast_with_that_reason(host, make_phone):
    phone = make_phone(locale="pt-BR")
    register(phone)
    [task] = run(host, "follow", {"target_user": "ana"}, serials=[phone.serial])
    assert task.status == Status.FAILED
    assert "not in English" in task.remark and "Início" in task.remark


def test_a_pop_up_in_the_flow_is_dismissed_and_the_task_succeeds(host, make_phone):
    phone = make_phone()
    register(phone)
    phone.ui.faults.force_popup = "sync_contacts"
    [task] = run(host, "follow", {"target_user": "ana"}, serials=[phone.serial])
    completed(task, host)
    assert any("dismissed pop-up" in m for m in task.events.values_list("message", flat=True))


def test_a_missing_element_fails_with_a_screenshot_and_the_hierarchy(host, make_phone):
    phone = make_phone()
    register(phone)
    phone.ui.faults.missing_element = "follow_btn"
    [task] = run(host, "follow", {"target_user": "ana"}, serials=[phone.serial])
    assert task.status == Status.FAILED
    assert "profile_follow_button" in task.remark
    assert task.failure_screenshot.read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<hierarchy" in task.failure_hierarchy
    assert not Task.objects.running().exists()


@pytest.mark.e2e
def test_stop_takes_effect_mid_run_in_a_real_worker(cluster, make_phone):
    from tasks.actions import stop_task

    phone = make_phone()
    register(phone)
    phone.ui.faults.missing_element = "follow_btn"  # the script waits for it for 10 s
    created = create_tasks(CreateRequest("follow", {"target_user": "ana"}, serials=[phone.serial]))
    task = Task.objects.get(pk=created.task_ids[0])
    wait_until(lambda: Task.objects.filter(pk=task.pk, step__startswith="opening @").exists(), 30)
    stop_task(task, actor="tester")
    task.refresh_from_db()
    assert task.status == Status.FAILED and "stopped by tester" in task.remark
    # The worker notices within a heartbeat and leaves the phone alone.
    wait_until(
        lambda: "stopped" in Task.objects.get(pk=task.pk).events.values_list("step", flat=True), 5
    )
