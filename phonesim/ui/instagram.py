"""Simulated Instagram (com.instagram.android): screens and URL routing. See SCREENS.md."""

from __future__ import annotations

import re

from . import content
from .base import App, Ctx, Popup, Screen
from .gallery import pick_screen_nodes
from .nodes import CHECKED, DISABLED, FRAME, LINEAR, PAGER, PROGRESS, RECYCLER, SELECTED, Node
from .render import BLACK, BLUE, LIGHT, TINT, WHITE
from .state import Comment, Media, Post
from .tiktok import search_users

PKG = "com.instagram.android"
MAIN = "com.instagram.mainactivity.InstagramMainActivity"
CAPTURE = "com.instagram.creation.activity.MediaCaptureActivity"
SHARE = "com.instagram.share.handleractivity.ShareHandlerActivity"
LOGIN = "com.instagram.nux.activity.SignedOutFragmentActivity"

_POST_URL = re.compile(r"^https?://(?:www\.)?instagram\.com/(p|reels?|tv)/([\w\-]+)")
_USER_URL = re.compile(r"^https?://(?:www\.)?instagram\.com/([\w.]+)/?(?:\?.*)?$")
_APP_URL = re.compile(r"^instagram://user\?username=([\w.]+)")
_RESERVED = {"explore", "accounts", "direct", "stories", "reels", "p", "tv", "about", "legal"}


def canonical(item: content.Item) -> str:
    return f"https://www.instagram.com/p/{item.id}/"


class Instagram(App):
    platform = "instagram"
    res = PKG
    main_activity = MAIN

    def home(self) -> Screen:
        return Feed("fyp", seed=self.phone.seed)

    def logged_out(self) -> Screen:
        return Login()

    def open_url(self, url: str) -> bool:
        if m := _POST_URL.match(url):
            reel = m.group(1) != "p"
            item = content.item("instagram", m.group(2), kind="video" if reel else "")
            stream = f"user:{item.author}"
            self.push(
                Reels(stream, pinned=item, url=url) if reel else Feed(stream, pinned=item, url=url)
            )
        elif (m := _USER_URL.match(url) or _APP_URL.match(url)) and m.group(1) not in _RESERVED:
            self.push(Profile(m.group(1)))
        else:
            return False
        return True

    def shared(self, media: list[Media]) -> None:
        self.reset(self.home())
        self.push(ShareTarget(media))

    def popup_kinds(self, trigger: str) -> list[str]:
        if trigger == "camera":
            return ["camera_permission"]
        return ["notification_permission", "turn_on_notifications"]

    def make_popup(self, kind: str) -> Popup | None:
        t = self.phone.t
        if kind == "notification_permission":
            return self.system_popup(kind, t("perm_notifications", app="Instagram"))
        if kind == "camera_permission":
            return self.system_popup(kind, t("perm_camera", app="Instagram"))
        close = self.answer(kind)
        buttons = [
            (f"{PKG}:id/igds_alert_dialog_primary_button", t("ig_turn_on"), close),
            (f"{PKG}:id/igds_alert_dialog_secondary_button", t("ig_not_now"), close),
        ]
        ids = (
            f"{PKG}:id/dialog_root_view",
            f"{PKG}:id/igds_alert_dialog_headline",
            f"{PKG}:id/igds_alert_dialog_subtext",
        )
        return Popup(kind, t("ig_notif_title"), t("ig_notif_msg"), buttons, system=False, ids=ids)

    def posting_screen(self) -> Screen:
        return Posting()

    def done_screen(self, post: Post, failed: bool) -> Screen:
        return Done(post, failed)

    def post_url(self, post_id: str, placement: str) -> str:
        if placement == "story":
            return f"https://www.instagram.com/stories/{self.account}/{post_id}/"
        kind = "reel" if placement == "reel" else "p"
        return f"https://www.instagram.com/{kind}/{post_id}/"

    def new_post_id(self, n: int) -> str:
        return content.ig_code("own", self.phone.seed, n)

    def tab(self, name: str) -> None:
        screens = {
            "home": self.home,
            "search": Explore,
            "profile": OwnProfile,
            "reels": lambda: Reels("reels", tab=True, seed=self.phone.seed),
        }
        self.reset(screens[name]())

    def create(self) -> None:
        self.push(Capture(self))
        self.maybe_popup("camera")


def tab_bar(c: Ctx, app: Instagram, current: str, dark: bool = False) -> Node:
    def go(name: str):
        return lambda: app.tab(name)

    items = [
        ("feed_tab", c.t("home"), current == "home", go("home")),
        ("search_tab", c.t("ig_search_tab"), current == "search", go("search")),
        ("creation_tab", c.t("create"), False, app.create),
        ("clips_tab", c.t("reels"), current == "reels", go("reels")),
        ("profile_tab", c.t("profile"), current == "profile", go("profile")),
    ]
    bar = c.nav(items, dark, "tab_bar")
    bar.kids[-1].on_long = lambda: app.push(AccountSheet())  # long-press Profile: switcher
    bar.kids[-1].flags |= 256
    return bar


def action_bar(c: Ctx, title: str, back) -> Node:
    return c.topbar(title, back, title_id="action_bar_title", back_id="action_bar_button_back")


# -- feed posts ------------------------------------------------------------------------------


def post_view(c: Ctx, app: Instagram, item: content.Item, url: str, b) -> list[Node]:
    """Header, media, action row, likes and caption of one post inside bounds b."""
    s, (x1, y1, x2, y2) = c.x, b
    author = lambda: app.push(Profile(item.author))  # noqa: E731
    header = [
        c.icon(
            (s(20), y1 + s(20), s(130), y1 + s(130)),
            c.t("avatar"),
            "row_feed_photo_profile_imageview",
            author,
        ),
        Node(
            LINEAR,
            (s(150), y1 + s(20), s(700), y1 + s(130)),
            rid=c.id("row_feed_photo_profile_name"),
            text=item.author,
            on_tap=author,
        ),
        c.icon(
            (x2 - s(120), y1 + s(20), x2 - s(20), y1 + s(130)),
            c.t("ig_more"),
            "feed_more_button_stub",
            lambda: None,
        ),
    ]
    if item.kind == "ad":
        header.append(
            c.tv((s(150), y1 + s(130), s(700), y1 + s(150)), c.t("sponsored"), "secondary_label")
        )
    media_h = min(x2 - x1, y2 - y1 - s(520))
    my = y1 + s(150)
    media_id = "row_feed_video" if item.kind == "video" else "row_feed_photo_imageview"
    kids = [
        Node(LINEAR, (x1, y1, x2, y1 + s(150)), header, rid=c.id("row_feed_profile_header")),
        Node(
            FRAME,
            (x1, my, x2, my + media_h),
            rid=c.id(media_id),
            desc=c.t("ig_video_by" if item.kind == "video" else "ig_photo_by", u=item.author),
            fill=TINT + item.tint,
        ),
    ]
    y = my + media_h
    liked, saved = app.reacted(item), app.reacted(item, collect=True)
    row = [
        c.icon(
            (s(10), y, s(130), y + s(130)),
            c.t("ig_liked" if liked else "ig_like"),
            "row_feed_button_like",
            lambda: app.toggle_reaction(item),
            selected=liked,
        ),
        c.icon(
            (s(140), y, s(260), y + s(130)),
            c.t("ig_comment"),
            "row_feed_button_comment",
            lambda: app.push(Comments(item, url)),
        ),
        c.icon(
            (s(270), y, s(390), y + s(130)), c.t("ig_send"), "row_feed_button_share", lambda: None
        ),
        c.icon(
            (x2 - s(130), y, x2 - s(10), y + s(130)),
            c.t("ig_saved" if saved else "ig_save"),
            "row_feed_button_save",
            lambda: app.toggle_reaction(item, collect=True),
            selected=saved,
        ),
    ]
    kids.append(Node(LINEAR, (x1, y, x2, y + s(130)), row, rid=c.id("row_feed_view_group_buttons")))
    likes = content.fmt_count(item.likes + liked, app.phone.lang)
    kids.append(
        c.tv(
            (s(30), y + s(140), x2 - s(30), y + s(210)),
            c.t("ig_likes_n", n=likes),
            "row_feed_textview_likes",
        )
    )
    kids.append(
        c.tv(
            (s(30), y + s(220), x2 - s(30), y + s(360)),
            f"{item.author} {item.caption}",
            "row_feed_comment_textview_layout",
        )
    )
    return kids


class Feed(Screen):
    """Home feed (tab) or a post opened by URL / from a grid, one post per page."""

    def __init__(
        self,
        stream: str,
        index: int = 0,
        *,
        pinned: content.Item | None = None,
        url: str = "",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.stream, self.index, self.pinned, self.url, self.seed = stream, index, pinned, url, seed
        self.activity = MAIN

    @property
    def tab(self) -> bool:
        return self.stream == "fyp"

    def item(self) -> content.Item:
        if self.pinned is None:
            return content.stream_item("instagram", self.seed, self.stream, self.index)
        if self.index == 0:
            return self.pinned
        return content.stream_item("instagram", self.seed, self.stream, self.index - 1)

    def playing(self) -> content.Item | None:
        return self.item()

    def scroll(self, direction: str) -> None:
        if direction == "up":
            self.index += 1
        elif direction == "down" and self.index > 0:
            self.index -= 1

    def build(self, c: Ctx) -> Node:
        app: Instagram = c.app  # type: ignore[assignment]
        s, item = c.x, self.item()
        url = self.url if self.url and self.index == 0 else canonical(item)
        top = c.top + s(132)
        low = c.bottom - s(150) if self.tab else c.bottom
        if self.tab:
            bar = Node(
                FRAME,
                (0, c.top, c.w, top),
                [
                    c.tv((s(30), c.top, s(500), top), "Instagram", "title_logo"),
                    c.icon(
                        (c.w - s(280), c.top, c.w - s(150), top),
                        c.t("ig_activity"),
                        "notifications_button",
                        lambda: None,
                    ),
                    c.icon(
                        (c.w - s(140), c.top, c.w - s(10), top),
                        c.t("ig_direct"),
                        "action_bar_inbox_button",
                        lambda: None,
                    ),
                ],
                fill=WHITE,
            )
        else:
            bar = action_bar(c, c.t("ig_posts"), app.pop)
        post = post_view(c, app, item, url, (0, top, c.w, low))
        lst = Node(RECYCLER, (0, top, c.w, low), post, rid=c.id("list"), on_scroll=self.scroll)
        kids = [bar, lst] + ([tab_bar(c, app, "home")] if self.tab else [])
        return c.screen_root(*kids)


class Reels(Screen):
    """Full-screen reels pager (Reels tab, or a /reel/ URL)."""

    def __init__(
        self,
        stream: str,
        *,
        tab: bool = False,
        pinned: content.Item | None = None,
        url: str = "",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.stream, self.tab, self.pinned, self.url, self.seed = stream, tab, pinned, url, seed
        self.index = 0
        self.activity = MAIN

    def item(self) -> content.Item:
        if self.pinned is not None and self.index == 0:
            return self.pinned
        index = self.index - (self.pinned is not None)
        it = content.stream_item("instagram", self.seed, self.stream, index)
        return (
            it
            if it.kind in ("video", "ad")
            else content.item("instagram", it.id, it.author, "video")
        )

    def playing(self) -> content.Item | None:
        return self.item()

    def scroll(self, direction: str) -> None:
        if direction == "up":
            self.index += 1
        elif direction == "down" and self.index > 0:
            self.index -= 1

    def build(self, c: Ctx) -> Node:
        app: Instagram = c.app  # type: ignore[assignment]
        s, item = c.x, self.item()
        low = c.bottom - s(150) if self.tab else c.bottom
        url = (
            self.url
            if self.url and self.index == 0
            else (f"https://www.instagram.com/reel/{item.id}/")
        )
        page = Node(
            FRAME,
            (0, c.top, c.w, low),
            self.page(c, app, item, url, low),
            rid=c.id("clips_video_container"),
            fill=TINT + item.tint,
        )
        pager = Node(
            PAGER,
            (0, c.top, c.w, low),
            [page],
            rid=c.id("clips_viewer_view_pager"),
            on_scroll=self.scroll,
        )
        kids = [pager]
        if self.tab:
            kids.append(tab_bar(c, app, "reels", dark=True))
        else:
            kids.append(
                c.icon(
                    (0, c.top, s(132), c.top + s(132)),
                    c.t("back"),
                    "action_bar_button_back",
                    app.pop,
                )
            )
        return c.screen_root(*kids, fill=BLACK)

    def page(self, c: Ctx, app: Instagram, item: content.Item, url: str, low: int) -> list[Node]:
        s, lang = c.x, app.phone.lang
        x1, x2, y = c.w - s(160), c.w - s(20), low - s(860)
        liked, saved = app.reacted(item), app.reacted(item, collect=True)
        rail = [
            (
                "like_button",
                c.t("ig_liked" if liked else "ig_like"),
                liked,
                lambda: app.toggle_reaction(item),
                item.likes + liked,
            ),
            (
                "comment_button",
                c.t("ig_comment"),
                False,
                lambda: app.push(Comments(item, url)),
                item.comments,
            ),
            ("direct_share_button", c.t("ig_send"), False, lambda: None, item.shares),
            (
                "save_button",
                c.t("ig_saved" if saved else "ig_save"),
                saved,
                lambda: app.toggle_reaction(item, collect=True),
                -1,
            ),
        ]
        kids = []
        for rid, desc, on, action, count in rail:
            kids.append(c.icon((x1, y, x2, y + s(120)), desc, rid, action, selected=on))
            if count >= 0:
                kids.append(
                    c.tv(
                        (x1, y + s(120), x2, y + s(170)),
                        content.fmt_count(count, lang),
                        rid.replace("button", "count"),
                    )
                )
            y += s(190)
        author = lambda: app.push(Profile(item.author))  # noqa: E731
        yb = low - s(330)
        kids.append(
            c.icon(
                (s(30), yb, s(130), yb + s(100)), c.t("avatar"), "clips_author_profile_pic", author
            )
        )
        kids.append(
            Node(
                LINEAR,
                (s(150), yb, s(560), yb + s(100)),
                rid=c.id("clips_author_username"),
                text=item.author,
                on_tap=author,
            )
        )
        if item.kind == "ad":  # reel ads say so under the author, like feed ads
            label = (s(150), yb + s(100), s(560), yb + s(118))
            kids.append(c.tv(label, c.t("sponsored"), "secondary_label"))
        if item.kind != "ad" and not app.following(item.author) and item.author != app.account:
            kids.append(
                c.button(
                    (s(580), yb + s(10), s(780), yb + s(90)),
                    c.t("follow"),
                    "clips_author_follow_button",
                    lambda: app.set_follow(item.author, True),
                    fill=LIGHT,
                )
            )
        kids.append(
            c.tv((s(30), yb + s(120), s(860), yb + s(260)), item.caption, "clips_caption_component")
        )
        return kids


class Comments(Screen):
    sheet = True

    def __init__(self, item: content.Item, url: str) -> None:
        super().__init__()
        self.item, self.url = item, url

    def send(self, app: App) -> None:
        text = self.fields.get("layout_comment_thread_edittext", "")
        if not text.strip():
            return
        app.phone.outcomes.comments.append(
            Comment(app.platform, app.account, self.url, self.item.id, text)
        )
        self.fields["layout_comment_thread_edittext"] = ""
        self.focus = None

    def enter(self, app: App) -> None:
        self.send(app)

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        top = c.top + (c.bottom - c.top) // 3
        kids = [
            c.tv((s(200), top, c.w - s(200), top + s(120)), c.t("ig_comments"), "title_text_view")
        ]
        mine = [f"{made.account} {made.text}" for made in app.comments_on(self.item)]
        lines = mine + [
            f"{content.username('igc', self.item.id, i)} {c.t('nice')}" for i in range(4)
        ]
        y, low = top + s(140), c.bottom - s(160)
        for line in lines:
            if y + s(130) > low:
                break
            kids.append(
                c.tv((s(40), y, c.w - s(40), y + s(120)), line, "row_comment_textview_comment")
            )
            y += s(130)
        hint = c.t("ig_add_comment", u=self.item.author)
        kids.append(
            c.edit(
                self,
                "layout_comment_thread_edittext",
                (s(30), low + s(20), c.w - s(200), c.bottom - s(20)),
                hint,
            )
        )
        post = c.button(
            (c.w - s(180), low + s(20), c.w - s(20), c.bottom - s(20)),
            c.t("ig_post_btn"),
            "layout_comment_thread_post_button_click_area",
            lambda: self.send(app),
            fill=WHITE,
        )
        post.flags |= (
            0 if self.fields.get("layout_comment_thread_edittext", "").strip() else DISABLED
        )
        kids.append(post)
        return c.sheet(kids, top, app.pop)


# -- profiles --------------------------------------------------------------------------------


def _header(c: Ctx, app: Instagram, prof: content.Profile, y: int) -> list[Node]:
    s, lang = c.x, app.phone.lang
    kids = [
        c.icon((s(30), y, s(250), y + s(220)), c.t("avatar"), "row_profile_header_imageview", None)
    ]
    stats = [
        ("row_profile_header_textview_post_count", prof.posts, "ig_posts"),
        ("row_profile_header_textview_followers_count", prof.followers, "followers"),
        ("row_profile_header_textview_following_count", prof.following, "following"),
    ]
    col = (c.w - s(280)) // 3
    for i, (rid, n, label) in enumerate(stats):
        x1 = s(280) + i * col
        kids.append(c.tv((x1, y + s(40), x1 + col, y + s(120)), content.fmt_count(n, lang), rid))
        kids.append(c.tv((x1, y + s(120), x1 + col, y + s(180)), c.t(label)))
    kids.append(
        c.tv((s(30), y + s(240), c.w - s(30), y + s(310)), prof.name, "profile_header_full_name")
    )
    kids.append(
        c.tv((s(30), y + s(310), c.w - s(30), y + s(380)), prof.bio, "profile_header_bio_text")
    )
    return kids


def _grid(c: Ctx, ids: list[str], y: int, low: int, open_at) -> Node:
    size = c.w // 3
    rows = max(0, (low - y) // size)
    kids = []
    for i, code in enumerate(ids[: rows * 3]):
        col, row = i % 3, i // 3
        b = (col * size, y + row * size, (col + 1) * size - 4, y + (row + 1) * size - 4)
        tint = content.item("instagram", code).tint
        kids.append(
            Node(
                FRAME,
                b,
                rid=c.id("profile_grid_item"),
                desc=c.t("photo_n", n=i + 1),
                on_tap=open_at(i),
                fill=TINT + tint,
            )
        )
    return Node(RECYCLER, (0, y, c.w, low), kids, rid=c.id("profile_grid"))


class Profile(Screen):
    activity = MAIN

    def __init__(self, username: str) -> None:
        super().__init__()
        self.username = username.lstrip("@")

    def build(self, c: Ctx) -> Node:
        app: Instagram = c.app  # type: ignore[assignment]
        s = c.x
        y = c.top + s(150)
        bar = action_bar(c, self.username, app.pop)
        if self.username in app.phone.faults.missing_users:
            return c.screen_root(
                bar,
                c.tv(
                    (s(60), y + s(300), c.w - s(60), y + s(420)),
                    c.t("ig_no_user"),
                    "empty_state_title",
                ),
            )
        prof = content.profile("instagram", self.username)
        kids = [bar, *_header(c, app, prof, y)]
        y += s(400)
        following = app.following(self.username)
        if following:
            action = lambda: app.push(FollowSheet(self.username))  # noqa: E731
            follow = c.button(
                (s(30), y, s(530), y + s(100)),
                c.t("following") + " ⌄",
                "profile_header_follow_button",
                action,
                fill=LIGHT,
            )
        else:
            follow = c.button(
                (s(30), y, s(530), y + s(100)),
                c.t("follow"),
                "profile_header_follow_button",
                lambda: app.set_follow(self.username, True),
                fill=BLUE,
            )
        kids.append(follow)
        kids.append(
            c.button(
                (s(550), y, c.w - s(30), y + s(100)),
                c.t("message"),
                "profile_header_message_button",
                lambda: None,
                fill=LIGHT,
            )
        )
        stream = f"user:{self.username}"
        ids = [content.stream_item("instagram", 0, stream, i).id for i in range(12)]

        def open_at(i: int):
            return lambda: app.push(Feed(stream, i))

        kids.append(_grid(c, ids, y + s(130), c.bottom, open_at))
        return c.screen_root(*kids)


class FollowSheet(Screen):
    sheet = True

    def __init__(self, username: str) -> None:
        super().__init__()
        self.username = username

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        top = c.bottom - s(760)

        def unfollow() -> None:
            app.set_follow(self.username, False)
            app.pop()

        rows = [
            ("follow_sheet_close_friends", "ig_close_friends", lambda: None),
            ("follow_sheet_mute", "ig_mute", lambda: None),
            ("follow_sheet_restrict", "ig_restrict", lambda: None),
            ("follow_sheet_unfollow_row", "ig_unfollow", unfollow),
        ]
        kids = [
            c.tv(
                (s(40), top + s(20), c.w - s(40), top + s(120)), self.username, "follow_sheet_title"
            )
        ]
        y = top + s(140)
        for rid, key, action in rows:
            kids.append(
                Node(LINEAR, (0, y, c.w, y + s(140)), rid=c.id(rid), text=c.t(key), on_tap=action)
            )
            y += s(150)
        return c.sheet(kids, top, app.pop)


class OwnProfile(Screen):
    activity = MAIN

    def build(self, c: Ctx) -> Node:
        app: Instagram = c.app  # type: ignore[assignment]
        s = c.x
        title = Node(
            LINEAR,
            (s(30), c.top, s(700), c.top + s(132)),
            rid=c.id("action_bar_large_title"),
            text=app.account + " ⌄",
            desc=c.t("switch_account"),
            on_tap=lambda: app.push(AccountSheet()),
        )
        mine = app.data.posts.get(app.account, [])
        base = content.profile("instagram", app.account)
        prof = content.Profile(
            app.account, base.name, base.followers, base.following, 0, len(mine), base.bio
        )
        y = c.top + s(150)
        kids = [
            Node(FRAME, (0, c.top, c.w, c.top + s(132)), [title], fill=WHITE),
            *_header(c, app, prof, y),
        ]
        y += s(400)
        kids.append(
            c.button(
                (s(30), y, c.w - s(30), y + s(100)),
                c.t("edit_profile"),
                "profile_header_edit_profile",
                lambda: None,
                fill=LIGHT,
            )
        )

        def open_at(i: int):
            return lambda: app.push(Feed(f"user:{app.account}", pinned=app.own_item(mine[i])))

        kids.append(_grid(c, mine, y + s(130), c.bottom - s(150), open_at))
        kids.append(tab_bar(c, app, "profile"))
        return c.screen_root(*kids)


class AccountSheet(Screen):
    sheet = True

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        accounts = app.data.accounts
        top = max(c.top + s(200), c.bottom - s(160) * (len(accounts) + 1) - s(40))
        kids, y = [], top + s(40)

        def pick(name: str):
            def go() -> None:
                app.switch_account(name)
                app.reset(OwnProfile())

            return go

        for name in accounts:
            if y + s(150) > c.bottom - s(160):
                break
            kids.append(
                Node(
                    LINEAR,
                    (0, y, c.w, y + s(150)),
                    rid=c.id("row_user_container_base"),
                    text=name,
                    on_tap=pick(name),
                    flags=CHECKED if name == app.account else 0,
                )
            )
            y += s(160)
        kids.append(
            Node(
                LINEAR,
                (0, c.bottom - s(150), c.w, c.bottom),
                rid=c.id("add_account_row"),
                text=c.t("add_account"),
                on_tap=lambda: None,
            )
        )
        return c.sheet(kids, top, app.pop)


class Login(Screen):
    activity = LOGIN

    def build(self, c: Ctx) -> Node:
        s, mid = c.x, (c.top + c.bottom) // 2
        return c.screen_root(
            c.tv((s(60), mid - s(400), c.w - s(60), mid - s(280)), c.t("ig_login_title"), "title"),
            c.button(
                (s(60), mid - s(100), c.w - s(60), mid + s(20)),
                c.t("ig_login"),
                "log_in_button",
                lambda: None,
            ),
            c.button(
                (s(60), mid + s(50), c.w - s(60), mid + s(170)),
                c.t("ig_create_account"),
                "sign_up_with_email_or_phone",
                lambda: None,
                fill=LIGHT,
            ),
        )


# -- search ----------------------------------------------------------------------------------


class Explore(Screen):
    """Search tab: explore grid until the field is used; users appear as you type, posts after
    ENTER."""

    activity = MAIN

    def __init__(self) -> None:
        super().__init__()
        self.submitted = ""

    def enter(self, app: App) -> None:
        self.submitted = self.fields.get("action_bar_search_edit_text", "").strip()
        self.focus = None

    def changed(self, app: App) -> None:
        self.submitted = ""

    def build(self, c: Ctx) -> Node:
        app: Instagram = c.app  # type: ignore[assignment]
        s, y1, y2 = c.x, c.top, c.top + c.x(132)
        kids = [
            c.edit(
                self,
                "action_bar_search_edit_text",
                (s(30), y1 + s(16), c.w - s(30), y2 - s(16)),
                c.t("search"),
            )
        ]
        query = self.fields.get("action_bar_search_edit_text", "").strip()
        low = c.bottom - s(150)
        y = y2 + s(20)
        if query:
            for name in search_users(app, query):
                kids.append(self.user_row(c, app, name, (0, y, c.w, y + s(160))))
                y += s(170)
        stream = f"topic:{self.submitted.lower()}" if self.submitted else "explore"
        if self.submitted or not query:
            size = c.w // 3
            for i in range(9):
                col, row = i % 3, i // 3
                if y + (row + 1) * size > low:
                    break
                item = content.stream_item("instagram", app.phone.seed, stream, i)
                b = (col * size, y + row * size, (col + 1) * size - 4, y + (row + 1) * size - 4)
                kids.append(
                    Node(
                        FRAME,
                        b,
                        rid=c.id("search_result_post"),
                        desc=item.caption,
                        on_tap=lambda i=i: self.open(app, stream, i),
                        fill=TINT + item.tint,
                    )
                )
        kids.append(tab_bar(c, app, "search"))
        return c.screen_root(*kids)

    def open(self, app: Instagram, stream: str, index: int) -> None:
        reels = Reels(stream, seed=app.phone.seed)
        reels.index = index
        app.push(reels)

    def user_row(self, c: Ctx, app: Instagram, name: str, b) -> Node:
        s, (_, y1, x2, y2) = c.x, b
        kids = [
            c.icon(
                (s(30), y1 + s(10), s(170), y2 - s(10)), c.t("avatar"), "row_search_avatar", None
            ),
            c.tv((s(190), y1 + s(10), x2 - s(30), y1 + s(80)), name, "row_search_user_username"),
            c.tv(
                (s(190), y1 + s(80), x2 - s(30), y2 - s(10)),
                content.profile("instagram", name).name,
                "row_search_user_fullname",
            ),
        ]
        return Node(
            LINEAR,
            b,
            kids,
            rid=c.id("row_search_user_container"),
            on_tap=lambda: app.push(Profile(name)),
        )


# -- create / share ------------------------------------------------------------------------------

_DEST_TITLE = {"post": "ig_new_post", "reel": "ig_new_reel", "story": "ig_add_story"}


class Capture(Screen):
    """Gallery with POST / STORY / REEL tabs. Like the real app the newest item starts
    selected; single-select replaces it, "Select multiple" numbers the picks."""

    activity = CAPTURE

    def __init__(self, app: App, dest: str = "post") -> None:
        super().__init__()
        items = app.phone.gallery_items()
        self.selected: list[str] = [items[0].path] if items else []
        self.multi = False
        self.dest = dest
        self.offset = 0

    def toggle(self, app: App, media: Media) -> None:
        if not self.multi:
            self.selected = [media.path]
        elif media.path in self.selected:
            self.selected.remove(media.path)
        elif len(self.selected) < 20:
            self.selected.append(media.path)

    def set_multi(self) -> None:
        self.multi = not self.multi
        if not self.multi:
            self.selected = self.selected[:1]

    def chosen(self, app: App) -> list[Media]:
        by_path = {m.path: m for m in app.phone.gallery_items()}
        return [by_path[p] for p in self.selected if p in by_path]

    def next(self, app: App) -> None:
        media = self.chosen(app)
        if media:
            app.push(EditMedia(media, self.dest))

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        y1, y2 = c.top, c.top + s(132)
        nxt = Node(
            LINEAR,
            (c.w - s(220), y1, c.w - s(10), y2),
            rid=c.id("next_button_textview"),
            text=c.t("next"),
            on_tap=lambda: self.next(app),
        )
        nxt.flags |= 0 if self.chosen(app) else DISABLED
        kids = [
            c.icon((0, y1, s(132), y2), c.t("close"), "action_bar_cancel", app.pop),
            c.tv((s(150), y1, s(800), y2), c.t(_DEST_TITLE[self.dest]), "action_bar_title"),
            nxt,
            Node(
                FRAME,
                (0, y2, c.w, y2 + s(700)),
                rid=c.id("crop_image_view"),
                fill=TINT + len(self.selected) % 4,
            ),
            c.tv((s(30), y2 + s(710), s(500), y2 + s(810)), c.t("recents"), "gallery_folder_menu"),
            c.icon(
                (c.w - s(140), y2 + s(710), c.w - s(30), y2 + s(810)),
                c.t("ig_select_multiple"),
                "multi_select_slide_button",
                self.set_multi,
                selected=self.multi,
            ),
        ]
        low = c.bottom - s(130)
        kids.append(
            pick_screen_nodes(
                c,
                self,
                app,
                (0, y2 + s(820), c.w, low),
                "gallery_recycler_view",
                "gallery_grid_item_thumbnail",
                "gallery_grid_item_selection_circle",
                circles=self.multi,
            )
        )
        kids.append(self.dest_tabs(c, low))
        return c.screen_root(*kids)

    def dest_tabs(self, c: Ctx, low: int) -> Node:
        third, s = c.w // 3, c.x
        tabs = [
            ("cam_dest_feed", "post", "ig_dest_post"),
            ("cam_dest_story", "story", "ig_dest_story"),
            ("cam_dest_clips", "reel", "ig_dest_reel"),
        ]
        kids = [
            Node(
                FRAME,
                (i * third + s(20), low + s(10), (i + 1) * third - s(20), c.bottom),
                rid=c.id(rid),
                text=c.t(key),
                on_tap=lambda d=dest: setattr(self, "dest", d),
                flags=SELECTED if self.dest == dest else 0,
            )
            for i, (rid, dest, key) in enumerate(tabs)
        ]
        return Node(
            LINEAR, (0, low, c.w, c.bottom), kids, rid=c.id("camera_destination_picker"), fill=BLACK
        )


class ShareTarget(Screen):
    """Where media shared from another app goes: Feed, Reels or Stories."""

    activity = SHARE

    def __init__(self, media: list[Media]) -> None:
        super().__init__()
        self.media = media

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        kids = [action_bar(c, c.t("ig_share_to"), app.pop)]
        y = c.top + s(200)
        for rid, dest, key in (
            ("share_to_feed", "post", "ig_feed"),
            ("share_to_reels", "reel", "reels"),
            ("share_to_stories", "story", "ig_stories"),
        ):
            kids.append(
                Node(
                    LINEAR,
                    (0, y, c.w, y + s(160)),
                    rid=c.id(rid),
                    text=c.t(key),
                    on_tap=lambda d=dest: app.push(EditMedia(self.media, d)),
                )
            )
            y += s(170)
        return c.screen_root(*kids)


class EditMedia(Screen):
    activity = CAPTURE

    def __init__(self, media: list[Media], dest: str) -> None:
        super().__init__()
        self.media, self.dest = media, dest

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        y1, y2 = c.top, c.top + s(132)
        kids = [
            c.icon((0, y1, s(132), y2), c.t("back"), "action_bar_button_back", app.pop),
            c.tv((s(150), y1, s(800), y2), c.t("ig_edit"), "action_bar_title"),
            Node(
                FRAME,
                (0, y2, c.w, c.bottom - s(200)),
                rid=c.id("filter_preview"),
                fill=TINT + len(self.media) % 4,
            ),
        ]
        low = c.bottom - s(170)
        if self.dest == "story":
            share = lambda: app.start_upload(self.media, "", "story")  # noqa: E731
            kids.append(
                c.button(
                    (s(30), low, s(520), c.bottom - s(30)),
                    c.t("ig_your_story"),
                    "share_story_button",
                    share,
                    fill=WHITE,
                )
            )
            kids.append(
                c.button(
                    (s(560), low, c.w - s(30), c.bottom - s(30)),
                    c.t("ig_close_friends"),
                    "close_friends_button",
                    lambda: None,
                    fill=LIGHT,
                )
            )
        else:
            kids.append(
                Node(
                    LINEAR,
                    (c.w - s(220), y1, c.w - s(10), y2),
                    rid=c.id("next_button_textview"),
                    text=c.t("next"),
                    on_tap=lambda: app.push(CaptionScreen(self.media, self.dest)),
                )
            )
        return c.screen_root(*kids, fill=BLACK)


class CaptionScreen(Screen):
    activity = CAPTURE

    def __init__(self, media: list[Media], dest: str) -> None:
        super().__init__()
        self.media, self.dest = media, dest

    def enter(self, app: App) -> None:
        self.fields["caption_input_text_view"] = (
            self.fields.get("caption_input_text_view", "") + "\n"
        )

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        kids = [action_bar(c, c.t(_DEST_TITLE[self.dest]), app.pop)]
        y = c.top + s(160)
        kids.append(
            Node(
                FRAME,
                (s(30), y, s(330), y + s(400)),
                rid=c.id("caption_thumbnail"),
                fill=TINT + len(self.media) % 4,
            )
        )
        kids.append(
            c.edit(
                self,
                "caption_input_text_view",
                (s(360), y, c.w - s(30), y + s(400)),
                c.t("ig_caption"),
            )
        )
        y += s(440)
        for rid, key in (
            ("tag_people_row", "tag_people"),
            ("location_row", "ig_add_location"),
            ("audience_row", "ig_audience"),
        ):
            kids.append(
                Node(
                    LINEAR,
                    (0, y, c.w, y + s(130)),
                    rid=c.id(rid),
                    text=c.t(key),
                    on_tap=lambda: None,
                )
            )
            y += s(140)
        share = lambda: app.start_upload(  # noqa: E731
            self.media, self.fields.get("caption_input_text_view", ""), self.dest
        )
        kids.append(
            c.button(
                (s(30), c.bottom - s(170), c.w - s(30), c.bottom - s(30)),
                c.t("ig_share"),
                "share_footer_button",
                share,
            )
        )
        return c.screen_root(*kids)


class Posting(Screen):
    activity = MAIN
    posting = True

    def back(self, app: App) -> bool:
        return True

    def build(self, c: Ctx) -> Node:
        app, s, mid = c.app, c.x, (c.top + c.bottom) // 2
        pct = app.upload.percent if app.upload else 99
        return c.screen_root(
            c.tv(
                (s(60), mid - s(200), c.w - s(60), mid - s(100)),
                c.t("posting", pct=pct),
                "upload_progress_text",
            ),
            Node(
                PROGRESS,
                (s(100), mid, c.w - s(100), mid + s(40)),
                rid=c.id("upload_progress_bar"),
                text=f"{pct}%",
                fill=BLUE,
            ),
        )


class Done(Screen):
    activity = MAIN

    def __init__(self, post: Post, failed: bool) -> None:
        super().__init__()
        self.post, self.failed = post, failed

    def build(self, c: Ctx) -> Node:
        app: Instagram = c.app  # type: ignore[assignment]
        s, mid = c.x, (c.top + c.bottom) // 2
        if self.failed:
            title, rid = c.t("post_failed"), "upload_failed_title"
        else:
            key = {"reel": "ig_reel_shared", "story": "ig_story_shared"}.get(
                self.post.placement, "ig_post_shared"
            )
            title, rid = c.t(key), "upload_done_title"
        return c.screen_root(
            c.tv((s(60), mid - s(200), c.w - s(60), mid - s(80)), title, rid),
            c.button(
                (s(60), mid, s(520), mid + s(120)),
                c.t("view"),
                "view_post_button",
                lambda: app.tab("profile"),
                fill=LIGHT,
            ),
            c.button(
                (s(560), mid, c.w - s(60), mid + s(120)),
                c.t("done"),
                "done_button",
                lambda: app.tab("home"),
            ),
        )
