"""Side effects happen once: a post or comment whose confirmation never reached the script is
checked in the app before anything is done again, and its material is not offered to the next
post meanwhile (issue 12, defect 2). The simulated apps record what was really published."""

from __future__ import annotations

import time

import pytest

from tasks.models import Material, Task
from tests.chaos.conftest import create, ended, library_video, story
from tests.phones import connect
from tests.tasks.engine import register

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]
Status = Task.Status
POST = {"post_way": "addButton"}


def published(phone) -> list[str]:
    """The media of every post the phone's apps published (sha256 of the first file)."""
    return [post.media[0] for post in phone.ui.outcomes.posts]


def assert_each_material_published_once(phone):
    media = published(phone)
    assert len(media) == len(set(media)), f"a material was published twice: {media}"


def test_a_post_confirmed_too_late_is_found_on_the_profile_and_not_posted_again(
    host, make_phone, adb, settings
):
    phone = make_phone()
    register(phone)
    root = settings.MATERIAL_UPLOAD_ROOT
    first, second = library_video(root, "a.mp4", 1), library_video(root, "b.mp4", 2)
    phone.ui.faults.upload_seconds = 3  # the app publishes 3 s after Post; the task waits 1 s
    [late] = create("post", {**POST, "captions": "late one", "upload_wait_time": 1},
                    serials=[phone.serial])  # fmt: skip
    host.run([late], done=ended)
    # A moment later the farm refreshes the phone's thumbnail (a screencap): the app, still
    # open, finishes the upload it was given.
    time.sleep(3.2)
    adb.device(phone.serial).screenshot_png()
    assert [post.caption for post in phone.ui.outcomes.posts] == ["late one"]

    phone.ui.faults.upload_seconds = 0
    [following] = create("post", {**POST, "captions": "next one"}, serials=[phone.serial])
    host.run([late, following], timeout=90)

    assert_each_material_published_once(phone)
    assert published(phone) == [first.sha256, second.sha256]
    late.refresh_from_db()
    assert late.status == Status.COMPLETED, story(late)
    assert "found in the app" in late.remark and "did not confirm" in late.remark
    assert Material.objects.get(pk=first.pk).used_by_task_id == late.pk


def test_a_phone_unplugged_right_after_post_was_tapped_does_not_publish_twice(
    host, make_phone, adb, settings
):
    phone = make_phone()
    register(phone)
    root = settings.MATERIAL_UPLOAD_ROOT
    first, second = library_video(root, "a.mp4", 1), library_video(root, "b.mp4", 2)
    phone.faults.unplug_after_tap = "publish_button"
    [cut] = create("post", {**POST, "captions": "cut off"}, serials=[phone.serial])
    host.run([cut], done=ended)
    # Plugged back in; its app goes on with the upload (three screencaps: the farm's thumbnails).
    phone.replug()
    connect(adb, phone)
    for _ in range(3):
        adb.device(phone.serial).screenshot_png()
    assert [post.caption for post in phone.ui.outcomes.posts] == ["cut off"]

    [following] = create("post", {**POST, "captions": "next one"}, serials=[phone.serial])
    host.run([cut, following], timeout=90)

    assert_each_material_published_once(phone)
    assert published(phone) == [first.sha256, second.sha256]
    cut.refresh_from_db()
    assert cut.status == Status.COMPLETED and "found in the app" in cut.remark, story(cut)


def test_a_comment_whose_confirmation_was_lost_is_not_sent_again_by_the_retry(
    host, make_phone, adb, settings
):
    settings.AUTO_RETRY_MAX = 2
    settings.AUTO_RETRY_DELAY = (0, 0)
    phone = make_phone()
    register(phone)
    phone.faults.unplug_after_tap = "comment_send"
    url = "https://www.tiktok.com/@ana/video/7000000000000000001"
    [task] = create("comment", {"target_post_urls": [url], "comment_content": "so good"},
                    serials=[phone.serial])  # fmt: skip
    host.run([task], done=ended)
    phone.replug()
    connect(adb, phone)

    # Until it is done, or failed with no automatic retry left.
    host.run([task], done=lambda t: t.status == Status.COMPLETED or t.retry_count == 2, timeout=90)

    assert [c.text for c in phone.ui.outcomes.comments] == ["so good"]
    assert task.status == Status.COMPLETED and "found in the app" in task.remark, story(task)


def test_an_unconfirmed_post_with_accents_emoji_and_a_line_break_is_found_on_the_profile(
    host, make_phone, adb, settings
):
    """The automation server's dump writes an emoji as "..": the check compares the caption
    as a dump shows it, so a Brazilian caption is found, not posted a second time."""
    phone = make_phone()
    register(phone)
    root = settings.MATERIAL_UPLOAD_ROOT
    first, second = library_video(root, "a.mp4", 1), library_video(root, "b.mp4", 2)
    phone.ui.faults.upload_seconds = 3
    caption = "Promoção de verão 🔥###linha 2 ✨"
    [late] = create("post", {**POST, "captions": caption, "upload_wait_time": 1},
                    serials=[phone.serial])  # fmt: skip
    host.run([late], done=ended)
    time.sleep(3.2)
    adb.device(phone.serial).screenshot_png()  # the app, still open, finishes the upload

    phone.ui.faults.upload_seconds = 0
    [following] = create("post", {**POST, "captions": "next one"}, serials=[phone.serial])
    host.run([late, following], timeout=90)

    assert [post.caption for post in phone.ui.outcomes.posts] == [
        "Promoção de verão 🔥\nlinha 2 ✨",
        "next one",
    ]
    assert published(phone) == [first.sha256, second.sha256]
    late.refresh_from_db()
    assert late.status == Status.COMPLETED and "found in the app" in late.remark, story(late)


def test_an_unconfirmed_comment_with_an_emoji_is_found_under_the_post_and_not_sent_again(
    host, make_phone, adb, settings
):
    settings.AUTO_RETRY_MAX = 2
    settings.AUTO_RETRY_DELAY = (0, 0)
    phone = make_phone()
    register(phone)
    phone.faults.unplug_after_tap = "comment_send"
    url = "https://www.tiktok.com/@ana/video/7000000000000000001"
    [task] = create("comment", {"target_post_urls": [url], "comment_content": "Que legal! 🔥"},
                    serials=[phone.serial])  # fmt: skip
    host.run([task], done=ended)
    phone.replug()
    connect(adb, phone)

    host.run([task], done=lambda t: t.status == Status.COMPLETED or t.retry_count == 2, timeout=90)

    assert [c.text for c in phone.ui.outcomes.comments] == ["Que legal! 🔥"]
    assert task.status == Status.COMPLETED and "found in the app" in task.remark, story(task)


def test_a_post_whose_final_tap_was_lost_with_the_adb_server_is_posted_once_all_the_same(
    host, make_phone, settings, monkeypatch
):
    from devices.adb import AdbServerDown, PhoneLink
    from devices.models import Device
    from tasks.scripts import post

    phone = make_phone()
    register(phone)
    library_video(settings.MATERIAL_UPLOAD_ROOT, "a.mp4")
    commit_post, tap = post.commit_post, PhoneLink.tap
    committed = []

    def commit_then_lose_the_tap(*args, **kwargs):
        commit_post(*args, **kwargs)
        committed.append(True)

    def tap_unless_the_server_dies(link, x, y):
        if len(committed) == 1:
            committed.append(False)  # once: the server goes silent with the tap on Post
            raise AdbServerDown("shell 'input tap' failed: the adb server is not answering")
        return tap(link, x, y)

    monkeypatch.setattr(post, "commit_post", commit_then_lose_the_tap)
    monkeypatch.setattr(PhoneLink, "tap", tap_unless_the_server_dies)
    [task] = create("post", {**POST, "captions": "once"}, serials=[phone.serial])
    host.run([task], done=ended)
    assert task.status == Status.PENDING and task.wait_reason == "checking_outcome", story(task)
    Device.objects.update(state=Device.State.ONLINE)  # the watcher: the server answers again

    host.run([task], timeout=90)

    # Not there (the tap never reached the phone), and the farm was to blame: posted now.
    assert task.status == Status.COMPLETED, story(task)
    assert [p.caption for p in phone.ui.outcomes.posts] == ["once"]
    assert task.retry_count == 0 and "did not go through; doing it" in str(story(task))
