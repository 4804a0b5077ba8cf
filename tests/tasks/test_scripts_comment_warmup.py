"""``comment`` and ``account_warmup`` (and the daily limits their actions count against).

On phones: tasks created like the API creates them are claimed by the dispatcher and run by the
worker's entry point in this process (``tests/tasks/inprocess.py``) on simulated phones behind the
real adb server; the phone's recorded outcome (comments, watched items, likes, follows) proves
what happened. The pure helpers are tested without phones.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from devices.models import Account, Platform
from tasks import limits, scheduling
from tasks.creation import CreateRequest, create_tasks
from tasks.models import Task, TaskEvent
from tasks.scripts.account_warmup import Plan, chance, pick_keyword
from tasks.scripts.base import ScriptFailure
from tasks.scripts.comment import EMOJI, pick_comment, platform_of_url, with_emoji
from tasks.scripts.registry import validate_config
from tests.tasks.engine import register, wait_until
from tests.tasks.factories import make_account, make_device, make_task
from tests.tasks.inprocess import serve_in_process

Status, Wait = Task.Status, Task.WaitReason
TIKTOK, INSTAGRAM = "com.zhiliaoapp.musically", "com.instagram.android"
# Worker threads have their own database connections, so the data must be committed.
on_phones = pytest.mark.django_db(transaction=True)


# --- pure helpers -------------------------------------------------------------------------------


def test_sequential_comments_follow_the_batch_position_and_cycle():
    text = "first\n\n  second  \nthird\n"
    picks = [pick_comment(text, "sequential", n, random.Random()) for n in range(5)]
    assert picks == ["first", "second", "third", "first", "second"]


def test_random_comments_are_lines_and_no_lines_is_a_clear_failure():
    rng = random.Random(7)
    picks = {pick_comment("a\nb\n\nc", "random", 0, rng) for _ in range(60)}
    assert picks == {"a", "b", "c"}
    with pytest.raises(ScriptFailure, match="no comment text"):
        pick_comment(" \n ", "sequential", 0, rng)
    assert with_emoji("Olá", random.Random(1)).startswith("Olá ")


def test_chance_honours_the_percentage():
    rng = random.Random(42)
    assert not any(chance(0, rng) for _ in range(1000))
    assert all(chance(100, rng) for _ in range(1000))
    hits = sum(chance(30, rng) for _ in range(10_000))
    assert 2_800 < hits < 3_200


def test_keywords_plan_and_url_platforms():
    assert pick_keyword("", random.Random()) == ""
    assert pick_keyword("cats\n\ndogs", random.Random(3)) in {"cats", "dogs"}
    config = validate_config("account_warmup", {"follow_probable": 40, "min_duration": 2,
                                                "max_duration": 3})  # fmt: skip
    plan = Plan.from_config(config)
    assert (plan.follow, plan.min_watch, plan.max_watch, plan.duration) == (40, 2, 3, 600)
    assert platform_of_url("https://vm.tiktok.com/ZMabc/") == "tiktok"
    assert platform_of_url("https://www.instagram.com/reel/Abc/") == "instagram"


# --- daily limits without phones ------------------------------------------------------------


@pytest.mark.django_db
def test_follows_inside_a_warmup_count_against_the_follow_limit():
    phone = make_device()
    account = make_account(phone, daily_follow_limit=2)
    warmup = make_task(phone, account=account, script_name="account_warmup",
                       status=Status.COMPLETED, started_at=timezone.now())  # fmt: skip
    limits.record(warmup, "follow", "@ana")
    assert limits.allows(account, "follow")
    # Yesterday's follow does not count; today's second one uses the budget up.
    old = TaskEvent.objects.create(task=warmup, step=limits.ACTION_STEPS["follow"])
    TaskEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=1))
    assert limits.allows(account, "follow")
    limits.record(warmup, "follow", "@bia")
    assert not limits.allows(account, "follow")
    assert limits.allows(account, "comment") and limits.allows(None, "follow")
    follow = make_task(phone, account=account)
    scheduling.tick()
    follow.refresh_from_db()
    assert (follow.status, follow.wait_reason) == (Status.PENDING, Wait.ACCOUNT_DAILY_LIMIT)


@pytest.mark.django_db
def test_a_follow_tasks_own_log_is_not_counted_twice():
    phone = make_device()
    account = make_account(phone, daily_follow_limit=2)
    done = make_task(phone, account=account, status=Status.COMPLETED, started_at=timezone.now())
    done.log(limits.ACTION_STEPS["follow"], "@ana")
    assert limits.used_today({account.pk})[account.pk, "follow"] == 1


# --- on phones ---------------------------------------------------------------------------------


@pytest.fixture
def host(adb_server, settings, monkeypatch):
    yield from serve_in_process(adb_server, settings, monkeypatch)


def create(script: str, config: dict, **where) -> list[Task]:
    created = create_tasks(CreateRequest(script, config, **where))
    return list(Task.objects.filter(pk__in=created.task_ids).order_by("pk"))


def completed(task: Task) -> Task:
    steps = list(task.events.values_list("step", "message"))
    assert task.status == Status.COMPLETED, (task.remark, steps)
    return task


def phone_with_account(make_phone, package: str, username: str, **limits_) -> tuple:
    phone = make_phone()
    device = register(phone)
    phone.ui.set_accounts(package, [username], current=username)
    platform = Platform.TIKTOK if package == TIKTOK else Platform.INSTAGRAM
    Account.objects.create(platform=platform, username=username, device=device, **limits_)
    return phone


TIKTOK_URLS = [
    "https://www.tiktok.com/@maria.lima/video/7300000000000000001",
    "https://vm.tiktok.com/ZMabc123/",
    "https://www.tiktok.com/@joao/video/7300000000000000002",
]
IG_URLS = ["https://www.instagram.com/p/Cabc123XYZ/", "https://www.instagram.com/reel/Rr1xyz/"]
LINES = "Que vídeo incrível!\nAdorei 😍\nNice one"


@on_phones
def test_comments_land_on_the_right_posts_with_the_right_text(host, make_phone):
    """Four phones at once (one run keeps the suite fast), none set up for typing: a sequential
    TikTok batch with accents and emoji, an Instagram post and reel, inserted emoji, and an
    account at its daily comment limit."""
    tiktok, instagram, plain = make_phone(), make_phone(), make_phone()
    for phone in (tiktok, instagram, plain):
        register(phone)
    with_account = phone_with_account(make_phone, TIKTOK, "ana.farm", daily_comment_limit=1)
    sequential = {"target_post_urls": TIKTOK_URLS, "comment_content": LINES,
                  "comment_order": "sequential"}  # fmt: skip
    tiktok_tasks = create("comment", sequential, serials=[tiktok.serial])
    ig_config = {"target_post_url": "\n".join(IG_URLS), "comment_content": "great\ncool",
                 "platform": "instagram"}  # fmt: skip
    ig_tasks = create("comment", ig_config, serials=[instagram.serial])
    emoji = {"target_post_urls": TIKTOK_URLS[:2], "comment_content": "Top", "insert_emoji": True}
    first, capped = create("comment", emoji, usernames=["ana.farm"])
    [plain_task] = create("comment", {**emoji, "target_post_urls": TIKTOK_URLS[:1]},
                          serials=[plain.serial])  # fmt: skip
    host.run([*tiktok_tasks, *ig_tasks, first, plain_task])
    for task in (*tiktok_tasks, *ig_tasks, first, plain_task):
        completed(task)

    landed = [(c.platform, c.post_url, c.text) for c in tiktok.ui.outcomes.comments]
    assert landed == [
        ("tiktok", u, t) for u, t in zip(TIKTOK_URLS, LINES.splitlines(), strict=True)
    ]
    assert tiktok_tasks[0].remark == f"commented “Que vídeo incrível!” on {TIKTOK_URLS[0]}"
    ig = sorted((c.platform, c.post_url, c.text) for c in instagram.ui.outcomes.comments)
    assert [(p, u) for p, u, _ in ig] == [("instagram", u) for u in sorted(IG_URLS)]
    assert {text for _, _, text in ig} <= {"great", "cool"}
    # insert_emoji: an emoji after the text, on every phone.
    [comment] = with_account.ui.outcomes.comments
    assert comment.account == "ana.farm" and comment.text[:4] == "Top "
    assert comment.text[4:] in EMOJI
    [plain_comment] = plain.ui.outcomes.comments
    assert plain_comment.text[:4] == "Top " and plain_comment.text[4:] in EMOJI
    # Daily comment limit 1: the account's second comment task waits.
    host.run([capped], done=lambda t: t.wait_reason == Wait.ACCOUNT_DAILY_LIMIT, timeout=10)
    assert capped.status == Status.PENDING


@on_phones
def test_warmup_on_tiktok_likes_skips_ads_and_lives_stops_following_and_can_be_stopped(
    host, make_phone
):
    liker, stopper = make_phone(), make_phone()
    for phone in (liker, stopper):
        register(phone)
    limited = phone_with_account(make_phone, TIKTOK, "quiet.one", daily_follow_limit=1)
    fast = {"task_duration": 10, "min_duration": 0.2, "max_duration": 0.4}
    [likes] = create("account_warmup", {**fast, "like_probable": 100}, serials=[liker.serial])
    slow = {"task_duration": 6, "min_duration": 1, "max_duration": 2}
    [follows] = create("account_warmup", {**slow, "follow_probable": 100,
                                          "generate_by_chatgpt": True},
                       usernames=["quiet.one"])  # fmt: skip
    endless = {"task_duration": 600, "min_duration": 60, "max_duration": 60}
    [stopped] = create("account_warmup", endless, serials=[stopper.serial])
    stop_mid_video(host, stopped)
    host.run([likes, follows])

    # Like probability 100: every watched video liked; the ad and the LIVE swiped past.
    watched = liker.ui.outcomes.watched
    kinds = [w.kind for w in watched]
    assert "ad" in kinds and "live" in kinds, kinds
    videos = [w for w in watched if w.kind == "video"]
    liked = {r.post_id for r in liker.ui.outcomes.likes}
    assert liked == {w.item_id for w in videos} and liker.ui.outcomes.collects == []
    assert all(w.seconds < 1.5 for w in watched if w.kind in ("ad", "live"))
    remark = completed(likes).remark
    assert remark.startswith(f"watched {len(videos)} videos") and f"liked {len(videos)}" in remark
    assert "skipped 2 ads/LIVE" in remark or "skipped 3 ads/LIVE" in remark
    # Follow probability 100 but a daily follow limit of 1: one follow, then none; no likes.
    assert [f.account for f in limited.ui.outcomes.follows] == ["quiet.one"]
    assert limited.ui.outcomes.likes == []
    assert sum(1 for w in limited.ui.outcomes.watched if w.seconds >= 1) >= 2
    remark = completed(follows).remark
    assert "followed 1" in remark and "daily follow limit reached" in remark
    assert "generate_by_chatgpt was not executed" in remark


def stop_mid_video(host, task: Task) -> None:
    """Stop ``task`` while it watches its first (60 s) video; the worker must notice within a
    heartbeat, in the middle of the wait, and log its own "stopped" line."""
    from tasks.actions import stop_task

    host.run([task], done=lambda t: t.step == "item 1", timeout=20)
    stop_task(task, actor="tester")
    wait_until(lambda: task.events.filter(step="stopped").count() == 2, 5)
    task.refresh_from_db()
    assert task.status == Status.FAILED and task.remark == "stopped by tester"


@on_phones
def test_warmup_on_instagram_reels_and_topic_results_with_comments(host, make_phone):
    reels = make_phone()
    register(reels)
    topic = phone_with_account(make_phone, INSTAGRAM, "ig.warm", daily_comment_limit=1)
    fast = {"platform": "instagram", "task_duration": 8, "min_duration": 0.2, "max_duration": 0.4}
    [feed] = create("account_warmup", {**fast, "like_probable": 100}, serials=[reels.serial])
    config = {"task_duration": 6, "min_duration": 1, "max_duration": 2, "topic": "cats\ndogs",
              "collect_probable": 100, "comment_probable": 100,
              "comment": "Que legal! 🔥\nWow\nTop", "comment_order": "sequential"}  # fmt: skip
    [searched] = create("account_warmup", config, usernames=["ig.warm"])
    host.run([feed, searched])
    completed(feed)
    completed(searched)
    # Instagram opens on the home feed; its first post is seen before the switch to reels.
    watched = reels.ui.outcomes.watched[1:]
    assert "ad" in [w.kind for w in watched]
    videos = {w.item_id for w in watched if w.kind != "ad"}
    assert {r.post_id for r in reels.ui.outcomes.likes} == videos
    # Topic results: the first comment line (sequential), then the daily limit of 1 stops
    # commenting; a collect on every watched reel.
    comments = topic.ui.outcomes.comments
    assert [c.text for c in comments] == ["Que legal! 🔥"], searched.remark
    assert all(c.platform == "instagram" and c.account == "ig.warm" for c in comments)
    watched_ids = {w.item_id for w in topic.ui.outcomes.watched[1:]}
    assert {c.post_id for c in comments} <= watched_ids
    assert {r.post_id for r in topic.ui.outcomes.collects} == watched_ids
    assert "commented 1" in searched.remark and "daily comment limit reached" in searched.remark
    assert "topic “cats”" in searched.remark or "topic “dogs”" in searched.remark


@on_phones
def test_unfollow_via_search_and_not_following_on_both_apps(host, make_phone):
    tiktok, instagram = make_phone(), make_phone()
    for phone in (tiktok, instagram):
        register(phone)
    tiktok.ui.set_following(TIKTOK, ["dani.x"])
    config = {"target_user": "dani.x", "access_method": "search"}
    [unfollowed] = create("unfollow", config, serials=[tiktok.serial])
    [not_following] = create("unfollow", {**config, "platform": "instagram"},
                             serials=[instagram.serial])  # fmt: skip
    host.run([unfollowed, not_following])
    assert completed(unfollowed).remark == "unfollowed @dani.x"
    assert [(u.platform, u.target) for u in tiktok.ui.outcomes.unfollows] == [("tiktok", "dani.x")]
    assert completed(not_following).remark == "not following @dani.x; nothing to do"
    assert instagram.ui.outcomes.unfollows == []
