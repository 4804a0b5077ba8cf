"""Instagram flows: post/reel/story, follow & unfollow, comment, account switch."""

import hashlib

from .helpers import IG, find, find_all, push_media, swipe_up, tap, tap_el, text_of

MAIN = "com.instagram.mainactivity.InstagramMainActivity"


def _sha(fs, path):
    return hashlib.sha256(fs.read(path)).hexdigest()


def _finish_upload(ui):
    for _ in range(ui.faults.upload_steps):
        ui.dump_xml()


def test_home_feed_and_tabs(ui):
    assert ui.start_app(IG)
    assert ui.current_focus() == (IG, MAIN)
    for rid in ("feed_tab", "search_tab", "creation_tab", "clips_tab", "profile_tab"):
        assert find(ui, rid) is not None
    assert find(ui, "row_feed_button_like") is not None
    tap(ui, "clips_tab")
    assert find(ui, "clips_viewer_view_pager").get("scrollable") == "true"


def test_post_carousel_with_preselected_newest(ui, fs):
    paths = [push_media(ui, fs, f"p{i}.jpg", f"img{i}".encode()) for i in range(4)]
    ui.start_app(IG)
    tap(ui, "creation_tab")
    assert ui.current_focus()[1] == "com.instagram.creation.activity.MediaCaptureActivity"
    cells = find_all(ui, "gallery_grid_item_thumbnail")
    assert cells[0].get("selected") == "true"  # newest starts selected, like the real app
    tap(ui, "multi_select_slide_button")
    for cell in find_all(ui, "gallery_grid_item_thumbnail")[1:3]:
        tap_el(ui, cell)
    circles = find_all(ui, "gallery_grid_item_selection_circle")
    assert [c.get("text") for c in circles[:3]] == ["1", "2", "3"]
    tap(ui, "next_button_textview")
    tap(ui, "next_button_textview")
    tap(ui, "caption_input_text_view")
    ui.input_text("my carousel")
    tap(ui, "share_footer_button")
    assert text_of(ui, "upload_progress_text").startswith("Posting…")
    _finish_upload(ui)
    assert text_of(ui, "upload_done_title") == "Post shared"
    post = ui.outcomes.posts[-1]
    assert post.media == [_sha(fs, p) for p in reversed(paths[1:])]
    assert (post.kind, post.placement, post.caption) == ("images", "post", "my carousel")
    assert post.url.startswith("https://www.instagram.com/p/")
    tap(ui, "view_post_button")
    assert len(find_all(ui, "profile_grid_item")) == 1


def test_post_reel_by_tab(ui, fs):
    path = push_media(ui, fs, "v.mp4", b"video-bytes", folder="/sdcard/DCIM/Instagram")
    ui.start_app(IG)
    tap(ui, "creation_tab")
    tap(ui, "cam_dest_clips")
    assert text_of(ui, "action_bar_title") == "New reel"
    tap(ui, "next_button_textview")
    tap(ui, "next_button_textview")
    tap(ui, "caption_input_text_view")
    ui.input_text("reel time")
    tap(ui, "share_footer_button")
    _finish_upload(ui)
    assert text_of(ui, "upload_done_title") == "Reel shared"
    post = ui.outcomes.posts[-1]
    assert (post.media, post.kind, post.placement) == ([_sha(fs, path)], "video", "reel")


def test_post_story(ui, fs):
    push_media(ui, fs, "s.jpg", b"story")
    ui.start_app(IG)
    tap(ui, "creation_tab")
    tap(ui, "cam_dest_story")
    tap(ui, "next_button_textview")
    tap(ui, "share_story_button")
    _finish_upload(ui)
    assert text_of(ui, "upload_done_title") == "Added to your story"
    assert ui.outcomes.posts[-1].placement == "story"


def test_share_path_choose_reels(ui, fs):
    path = push_media(ui, fs, "v.mp4", b"shared-video")
    assert ui.share_media(IG, [path])
    assert ui.current_focus()[1] == "com.instagram.share.handleractivity.ShareHandlerActivity"
    tap(ui, "share_to_reels")
    tap(ui, "next_button_textview")
    tap(ui, "share_footer_button")
    _finish_upload(ui)
    assert ui.outcomes.posts[-1].placement == "reel"


def test_follow_by_url_and_unfollow_via_sheet(ui):
    ui.open_url("https://www.instagram.com/target.user/")
    assert text_of(ui, "action_bar_title") == "target.user"
    tap(ui, "profile_header_follow_button")
    assert ui.outcomes.follows[-1].target == "target.user"
    assert text_of(ui, "profile_header_follow_button").startswith("Following")
    tap(ui, "profile_header_follow_button")
    tap(ui, "follow_sheet_unfollow_row")
    assert ui.outcomes.unfollows[-1].target == "target.user"
    assert text_of(ui, "profile_header_follow_button") == "Follow"


def test_follow_via_search_live_results(ui):
    ui.start_app(IG)
    tap(ui, "search_tab")
    tap(ui, "action_bar_search_edit_text")
    ui.input_text("someone")
    row = find(ui, "row_search_user_username")
    assert row.get("text") == "someone"
    tap_el(ui, row)
    tap(ui, "profile_header_follow_button")
    assert ui.outcomes.follows[-1].target == "someone"


def test_app_scheme_url(ui):
    ui.open_url("instagram://user?username=deep.link")
    assert text_of(ui, "action_bar_title") == "deep.link"


def test_comment_on_post_and_reel_urls(ui):
    for url in ("https://www.instagram.com/p/Cabc123XYZ/", "https://www.instagram.com/reel/Rr1/"):
        ui.open_url(url)
        rid = "row_feed_button_comment" if "/p/" in url else "comment_button"
        tap(ui, rid)
        tap(ui, "layout_comment_thread_edittext")
        ui.input_text("nice one")
        tap(ui, "layout_comment_thread_post_button_click_area")
        assert ui.outcomes.comments[-1].post_url == url
        ui.keyevent("BACK")
    assert [c.post_id for c in ui.outcomes.comments] == ["Cabc123XYZ", "Rr1"]


def test_account_switch_and_long_press(ui):
    ui.set_accounts(IG, ["ann", "ben", "cat"], current="ann")
    ui.start_app(IG)
    tap(ui, "profile_tab")
    tap(ui, "action_bar_large_title")
    tap(ui, text="cat")
    assert ui.accounts(IG)[1] == "cat"
    x, y = (int(v) for v in _center(find(ui, "profile_tab")))
    ui.swipe(x, y, x, y, 800)  # long press
    assert [r.get("text") for r in find_all(ui, "row_user_container_base")] == ["ann", "ben", "cat"]


def _center(node):
    import re

    x1, y1, x2, y2 = map(int, re.findall(r"\d+", node.get("bounds")))
    return (x1 + x2) // 2, (y1 + y2) // 2


def test_reels_watch_like_save_follow(ui):
    ui.start_app(IG)
    tap(ui, "clips_tab")
    author = text_of(ui, "clips_author_username")
    tap(ui, "like_button")
    tap(ui, "save_button")
    tap(ui, "clips_author_follow_button")
    ui.clock.advance(20)
    swipe_up(ui)
    assert ui.outcomes.likes[-1].author == author
    assert ui.outcomes.collects[-1].author == author
    assert ui.outcomes.follows[-1].target == author
    assert ui.outcomes.watched[-1].seconds == 20
    assert ui.outcomes.watched[-1].platform == "instagram"
