"""TikTok flows driven the way scripts drive a phone: dump, find, tap the centre."""

import hashlib

from .helpers import TT, find, find_all, swipe_up, tap, tap_el, text_of


def _start(ui):
    assert ui.start_app(TT)
    assert ui.current_focus() == (TT, "com.ss.android.ugc.aweme.main.MainActivity")


def test_not_installed_app_does_not_start(ui):
    ui.installed_packages.pop(TT)
    assert ui.start_app(TT) is False
    assert ui.current_focus()[0] == "com.google.android.apps.nexuslauncher"


def test_launcher_icon_starts_app(ui):
    tap(ui, desc="TikTok")
    assert ui.current_focus()[0] == TT


def test_tapping_centre_does_the_action(ui):
    _start(ui)
    tap(ui, "tab_profile")
    assert find(ui, "account_switch") is not None
    tap(ui, "tab_home")
    assert find(ui, "like_button") is not None
    tap(ui, "search_icon")
    assert ui.current_focus()[1].endswith("SearchResultActivity")


def test_tap_on_nothing_does_nothing(ui):
    _start(ui)
    before = ui.dump_xml()
    ui.tap(540, 1200)  # the video surface is not clickable
    assert ui.dump_xml() == before
    assert ui.outcomes.taps[-1].rid == ""


def _push_videos(ui, fs, n=3, ext="mp4"):
    paths = []
    for i in range(n):
        path = f"/sdcard/DCIM/tiktok/clip{i}.{ext}"
        fs.write(path, f"media-{ext}-{i}".encode())
        ui.media_scan(path)
        paths.append(path)
    return paths


def _pick_newest(ui, n):
    items = find_all(ui, "media_item")
    for cell in items[:n]:
        tap_el(ui, cell)


def test_post_video_flow_records_post(ui, fs):
    paths = _push_videos(ui, fs, 3)
    _start(ui)
    tap(ui, "tab_create")
    assert ui.current_focus()[1].endswith("VideoRecordNewActivity")
    tap(ui, "upload_button")
    assert find(ui, "next_button").get("enabled") == "false"
    _pick_newest(ui, 1)
    assert find(ui, "media_select").get("checked") == "true"
    tap(ui, "next_button")
    tap(ui, "edit_next")
    tap(ui, "publish_caption")
    assert find(ui, "publish_caption").get("focused") == "true"
    ui.input_text("hello world #fyp")
    tap(ui, "publish_button")
    assert text_of(ui, "posting_text") == "Posting… 33%"
    assert "66%" in text_of(ui, "posting_text")
    assert text_of(ui, "publish_success_title") == "Your video is posted"
    post = ui.outcomes.posts[-1]
    assert post.media == [hashlib.sha256(fs.read(paths[-1])).hexdigest()]
    assert post.caption == "hello world #fyp"
    assert (post.kind, post.platform, post.placement) == ("video", "tiktok", "feed")
    assert post.account == ui.accounts(TT)[1]
    tap(ui, "done_button")
    assert find(ui, "like_button") is not None
    tap(ui, "tab_profile")  # the own profile lists the post, shown with its caption
    tap(ui, "video_item")
    assert text_of(ui, "desc") == "hello world #fyp"


def test_post_images_in_selection_order(ui, fs):
    paths = _push_videos(ui, fs, 4, ext="jpg")
    _push_videos(ui, fs, 1, ext="mp4")  # newest is a video: can't be mixed with photos
    _start(ui)
    tap(ui, "tab_create")
    tap(ui, "upload_button")
    tap(ui, "tab_photos")
    _pick_newest(ui, 3)
    assert [c.get("text") for c in find_all(ui, "media_select")[:3]] == ["1", "2", "3"]
    tap(ui, "next_button")
    tap(ui, "edit_next")
    tap(ui, "publish_caption")
    ui.input_text("line one")
    ui.keyevent("KEYCODE_ENTER")
    ui.input_text("line two")
    tap(ui, "publish_button")
    for _ in range(3):
        ui.dump_xml()
    post = ui.outcomes.posts[-1]
    expected = [hashlib.sha256(fs.read(p)).hexdigest() for p in reversed(paths[1:])]
    assert post.media == expected and post.kind == "images"
    assert post.caption == "line one\nline two"
    assert text_of(ui, "publish_success_title") == "Your post is posted"


def test_share_path_lands_in_editor(ui, fs):
    paths = _push_videos(ui, fs, 1)
    assert ui.share_media(TT, paths)
    assert ui.current_focus()[1].endswith("VEVideoPublishEditActivity")
    tap(ui, "edit_next")
    tap(ui, "publish_button")
    for _ in range(3):
        ui.dump_xml()
    assert ui.outcomes.posts[-1].paths == paths


def test_gallery_hides_deleted_and_scrolls(ui, fs):
    paths = _push_videos(ui, fs, 20)
    fs.remove(paths[-1])
    _start(ui)
    tap(ui, "tab_create")
    tap(ui, "upload_button")
    first = find_all(ui, "media_item")
    assert first[0].get("content-desc") == "Video 1" and len(first) < 19
    grid = find(ui, "media_grid")
    assert grid.get("scrollable") == "true"
    swipe_up(ui)
    assert find_all(ui, "media_item")[0].get("content-desc") != "Video 1"


def test_follow_by_url_then_unfollow(ui):
    ui.open_url("https://www.tiktok.com/@some.creator")
    assert ui.current_focus()[1].endswith("UserProfileActivity")
    assert text_of(ui, "profile_username") == "@some.creator"
    assert text_of(ui, "follow_btn") == "Follow"
    tap(ui, "follow_btn")
    assert text_of(ui, "follow_btn") == "Following"
    follow = ui.outcomes.follows[-1]
    assert (follow.platform, follow.target) == ("tiktok", "some.creator")
    tap(ui, "follow_btn")
    assert ui.outcomes.unfollows[-1].target == "some.creator"
    assert text_of(ui, "follow_btn") == "Follow"


def test_follow_via_search(ui):
    _start(ui)
    tap(ui, "search_icon")
    assert find(ui, "search_edit").get("focused") == "true"
    ui.input_text("target_user")
    ui.keyevent(66)
    rows = find_all(ui, "search_user_name")
    assert rows[0].get("text") == "target_user"
    tap_el(ui, rows[0])
    tap(ui, "follow_btn")
    assert ui.outcomes.follows[-1].target == "target_user"


def test_already_following(ui):
    ui.faults.already_following = {"old.friend"}
    ui.open_url("https://www.tiktok.com/@old.friend")
    assert text_of(ui, "follow_btn") == "Following"
    assert ui.outcomes.follows == []
    tap(ui, "follow_btn")  # unfollow sticks even though the fault seeded the follow
    ui.keyevent("BACK")
    ui.open_url("https://www.tiktok.com/@old.friend")
    assert text_of(ui, "follow_btn") == "Follow"


def test_missing_user(ui):
    ui.faults.missing_users = {"ghost"}
    ui.open_url("https://www.tiktok.com/@ghost")
    assert text_of(ui, "empty_title") == "Couldn't find this account"
    assert find(ui, "follow_btn") is None


def test_comment_on_post_url(ui):
    url = "https://www.tiktok.com/@creator/video/7300000000000000001"
    ui.open_url(url)
    assert ui.current_focus()[1].endswith("DetailActivity")
    tap(ui, "comment_button")
    assert find(ui, "comment_send").get("enabled") == "false"
    tap(ui, "comment_edit")
    ui.input_text("great video")
    tap(ui, "comment_send")
    comment = ui.outcomes.comments[-1]
    assert (comment.post_url, comment.text, comment.post_id) == (
        url,
        "great video",
        "7300000000000000001",
    )
    assert find(ui, text=f"{comment.account}: great video") is not None
    ui.force_stop(TT)  # opened again later, the post still lists the comment, first
    ui.open_url(url)
    tap(ui, "comment_button")
    assert text_of(ui, "comment_item") == f"{comment.account}: great video"


def test_short_url_opens_video(ui):
    ui.open_url("https://vm.tiktok.com/ZMabc123/")
    assert find(ui, "like_button") is not None
    assert ui.current_focus()[1].endswith("DetailActivity")


def test_account_switch(ui):
    ui.set_accounts(TT, ["alice", "bob"], current="alice")
    _start(ui)
    tap(ui, "tab_profile")
    assert text_of(ui, "account_switch") == "alice"
    tap(ui, "account_switch")
    rows = find_all(ui, "account_item")
    assert [r.get("text") for r in rows] == ["alice", "bob"]
    assert rows[0].get("checked") == "true"
    tap(ui, text="bob")
    assert text_of(ui, "account_switch") == "bob"
    assert ui.accounts(TT) == (["alice", "bob"], "bob")


def test_account_sheet_dismissed_by_tap_outside(ui):
    ui.set_accounts(TT, ["alice", "bob"])
    _start(ui)
    tap(ui, "tab_profile")
    tap(ui, "account_switch")
    tap(ui, "touch_outside")
    assert find(ui, "account_item") is None


def test_logged_out_shows_login(ui):
    ui.set_accounts(TT, [])
    ui.start_app(TT)
    assert ui.current_focus()[1].endswith("SignUpOrLoginActivity")
    assert text_of(ui, "title") == "Log in to TikTok"


def test_warmup_scroll_like_collect_follow_and_watch_time(ui):
    _start(ui)
    first = text_of(ui, "title")
    ui.clock.advance(12)
    swipe_up(ui)
    assert text_of(ui, "title") != first
    watch = ui.outcomes.watched[-1]
    assert watch.seconds == 12 and watch.author == first.lstrip("@")
    like = find(ui, "like_button")
    tap_el(ui, like)
    assert find(ui, "like_button").get("selected") == "true"
    tap(ui, "favorite_button")
    author = text_of(ui, "title").lstrip("@")
    tap(ui, "follow_button")
    assert find(ui, "follow_button") is None
    assert ui.outcomes.likes[-1].author == author
    assert ui.outcomes.collects[-1].author == author
    assert ui.outcomes.follows[-1].target == author
    tap(ui, "like_button")  # unlike
    assert ui.outcomes.likes == []


def test_feed_has_ads_and_lives_to_skip(ui):
    _start(ui)
    kinds = set()
    for _ in range(14):
        if find(ui, "ad_label") is not None:
            kinds.add("ad")
        if find(ui, "live_tag") is not None:
            kinds.add("live")
        swipe_up(ui)
    assert kinds == {"ad", "live"}


def test_search_topic_videos_for_warmup(ui):
    _start(ui)
    tap(ui, "search_icon")
    ui.input_text("cooking tips")
    tap(ui, "search_button")
    videos = find_all(ui, "search_video_item")
    assert len(videos) == 6
    tap_el(ui, videos[0])
    assert find(ui, "like_button") is not None


def test_back_and_home(ui):
    _start(ui)
    tap(ui, "search_icon")
    ui.keyevent("KEYCODE_BACK")
    assert find(ui, "search_edit") is None
    ui.keyevent(3)
    assert ui.current_focus()[0] == "com.google.android.apps.nexuslauncher"
    _start(ui)
    ui.force_stop(TT)
    assert ui.current_focus()[0] == "com.google.android.apps.nexuslauncher"


def test_nav_bar_back_button(ui):
    _start(ui)
    tap(ui, "search_icon")
    w, h = ui.screen
    ui.tap(w // 6, h - 10)
    assert find(ui, "search_edit") is None


def test_deterministic_by_seed(fs):
    from phonesim.ui import PhoneUI

    a, b, c = PhoneUI(fs, seed=1), PhoneUI(fs, seed=1), PhoneUI(fs, seed=2)
    for phone in (a, b, c):
        phone.start_app(TT)
    assert a.dump_xml() == b.dump_xml() != c.dump_xml()
