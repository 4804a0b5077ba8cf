"""Fault switches: pop-ups, missing elements, language, upload length and failure."""

from phonesim.ui import PhoneUI

from .helpers import IG, TT, FakeFS, find, push_media, tap, text_of

PERM = "com.google.android.permissioncontroller"


def test_forced_system_popup_then_dismiss(ui):
    ui.faults.force_popup = "notification_permission"
    ui.start_app(TT)
    assert ui.current_focus() == (
        PERM,
        "com.android.permissioncontroller.permission.ui.GrantPermissionsActivity",
    )
    assert 'package="com.google.android.permissioncontroller"' in ui.dump_xml()
    msg = text_of(ui, "com.android.permissioncontroller:id/permission_message")
    assert msg == "Allow TikTok to send you notifications?"
    tap(ui, "permission_deny_button")
    assert ui.current_focus()[0] == TT


def test_in_app_popup_blocks_taps_until_dismissed(ui):
    ui.start_app(IG)
    assert ui.show_popup("turn_on_notifications")
    assert text_of(ui, "igds_alert_dialog_headline") == "Turn on notifications"
    like = find(ui, "row_feed_button_like")
    tap(ui, "row_feed_button_like")  # behind the dialog: swallowed
    assert ui.outcomes.likes == [] and like is not None
    tap(ui, text="Not now")
    assert find(ui, "igds_alert_dialog_headline") is None
    tap(ui, "row_feed_button_like")
    assert len(ui.outcomes.likes) == 1


def test_popup_dismissed_with_back(ui):
    ui.faults.force_popup = "sync_contacts"
    ui.start_app(TT)
    assert text_of(ui, "dialog_title") == "Sync your contacts?"
    ui.keyevent(4)
    assert find(ui, "dialog_title") is None


def test_random_popups_are_seeded():
    def run(seed):
        phone = PhoneUI(FakeFS(), seed=seed)
        phone.faults.popups = True
        phone.faults.popup_probability = 0.5
        seen = []
        for _ in range(12):
            phone.force_stop(TT)
            phone.start_app(TT)
            seen.append(phone.current_focus()[0] == PERM or find(phone, "dialog_title") is not None)
        return seen

    assert run(3) == run(3)
    assert any(run(3)) and not all(run(3))


def test_camera_permission_on_create(ui):
    ui.faults.force_popup = "camera_permission"
    ui.start_app(TT)
    tap(ui, "tab_create")
    assert "take pictures" in text_of(ui, "permission_message")
    tap(ui, "permission_allow_button")
    assert find(ui, "upload_button") is not None


def test_pt_br_texts():
    phone = PhoneUI(FakeFS(), locale="pt-BR")
    phone.open_url("https://www.tiktok.com/@alguem")
    assert text_of(phone, "follow_btn") == "Seguir"
    phone.start_app(IG)
    phone.open_url("https://www.instagram.com/alguem/")
    assert text_of(phone, "profile_header_follow_button") == "Seguir"
    phone.keyevent("BACK")
    assert find(phone, "feed_tab").get("content-desc") == "Início"


def test_missing_element_fault(ui, fs):
    push_media(ui, fs, "a.mp4", b"x")
    ui.faults.missing_element = "com.zhiliaoapp.musically:id/publish_button"
    ui.start_app(TT)
    tap(ui, "tab_create")
    tap(ui, "upload_button")
    tap(ui, "media_item")
    tap(ui, "next_button")
    tap(ui, "edit_next")
    assert find(ui, "publish_caption") is not None
    assert find(ui, "publish_button") is None
    assert "publish_button" not in ui.dump_xml()


def test_upload_steps_and_failure(ui, fs):
    push_media(ui, fs, "a.mp4", b"x")
    ui.faults.upload_steps = 5
    ui.faults.upload_fails = True
    ui.start_app(TT)
    for rid in ("tab_create", "upload_button", "media_item", "next_button", "edit_next"):
        tap(ui, rid)
    tap(ui, "publish_button")
    percents = [text_of(ui, "posting_text") for _ in range(4)]
    assert percents == ["Posting… 20%", "Posting… 40%", "Posting… 60%", "Posting… 80%"]
    assert text_of(ui, "publish_failed_title") == "Couldn't post. Try again."
    assert ui.outcomes.posts == [] and len(ui.outcomes.failed_posts) == 1


def test_force_stop_loses_upload(ui, fs):
    push_media(ui, fs, "a.mp4", b"x")
    ui.start_app(TT)
    for rid in ("tab_create", "upload_button", "media_item", "next_button", "edit_next"):
        tap(ui, rid)
    tap(ui, "publish_button")
    ui.force_stop(TT)
    for _ in range(5):
        ui.dump_xml()
    assert ui.outcomes.posts == []


def test_missing_element_in_system_popup(ui):
    ui.faults.missing_element = {"permission_deny_button"}
    ui.faults.force_popup = "notification_permission"
    ui.start_app(IG)
    assert find(ui, "permission_allow_button") is not None
    assert find(ui, "permission_deny_button") is None


def test_logged_out_app_ignores_urls(ui):
    ui.set_accounts(IG, [])
    ui.open_url("https://www.instagram.com/someone/")
    assert text_of(ui, "title") == "Log in to Instagram"


def test_a_slow_upload_finishes_only_once_its_seconds_have_passed(ui, fs):
    now = [100.0]
    ui.clock = lambda: now[0]
    push_media(ui, fs, "a.mp4", b"x")
    ui.faults.upload_seconds = 10
    ui.start_app(TT)
    for rid in ("tab_create", "upload_button", "media_item", "next_button", "edit_next"):
        tap(ui, rid)
    tap(ui, "publish_button")
    for _ in range(5):
        ui.dump_xml()
    assert ui.outcomes.posts == [] and find(ui, "posting_text") is not None
    now[0] += 10
    ui.start_app(IG)  # even in the background, the upload goes on
    ui.dump_xml()
    assert len(ui.outcomes.posts) == 1


def test_own_posts_open_with_the_caption_they_were_posted_with(ui, fs):
    push_media(ui, fs, "a.mp4", b"x")
    ui.start_app(TT)
    for rid in ("tab_create", "upload_button", "media_item", "next_button", "edit_next"):
        tap(ui, rid)
    tap(ui, "publish_caption")
    ui.input_text("my own caption")
    tap(ui, "publish_button")
    for _ in range(3):
        ui.dump_xml()
    tap(ui, "done_button")
    tap(ui, "tab_profile")
    tap(ui, "video_item")
    assert text_of(ui, "desc") == "my own caption"


def test_a_reopened_comment_sheet_still_lists_the_comments_made_from_this_phone(ui):
    url = "https://www.tiktok.com/@creator/video/7300000000000000001"
    ui.open_url(url)
    tap(ui, "comment_button")
    tap(ui, "comment_edit")
    ui.input_text("first!")
    tap(ui, "comment_send")
    ui.force_stop(TT)
    ui.start_app(TT)
    ui.open_url(url)
    tap(ui, "comment_button")
    account = ui.accounts(TT)[1]
    assert find(ui, text=f"{account}: first!") is not None
