"""Simulated TikTok (com.zhiliaoapp.musically): screens and URL routing. See SCREENS.md."""

from __future__ import annotations

import re

from . import content
from .base import App, Ctx, Popup, Screen
from .gallery import pick_screen_nodes
from .nodes import CHECKED, DISABLED, FRAME, LINEAR, PAGER, PROGRESS, RECYCLER, SELECTED, Node
from .render import BLACK, DARK, GREY, LIGHT, RED, TINT, WHITE
from .state import Comment, Media, Post

PKG = "com.zhiliaoapp.musically"
_A = "com.ss.android.ugc.aweme."
MAIN = _A + "main.MainActivity"
DETAIL = _A + "detail.ui.DetailActivity"
PROFILE = _A + "profile.ui.UserProfileActivity"
SEARCH = _A + "search.activity.SearchResultActivity"
RECORD = _A + "shortvideo.ui.VideoRecordNewActivity"
CHOOSE = _A + "mediachoose.MediaChooseActivity"
EDIT = _A + "shortvideo.edit.VEVideoPublishEditActivity"
PUBLISH = _A + "shortvideo.publish.VideoPublishActivity"
LOGIN = _A + "account.login.v2.ui.SignUpOrLoginActivity"

_USER_URL = re.compile(r"^https?://(?:www\.|m\.)?tiktok\.com/@([\w.\-]+)/?(?:(video|photo)/(\d+))?")
_SHORT_URL = re.compile(r"^https?://(?:(?:vm|vt)\.tiktok\.com|(?:www\.)?tiktok\.com/t)/(\w+)")


def canonical(item: content.Item) -> str:
    return f"https://www.tiktok.com/@{item.author}/video/{item.id}"


class TikTok(App):
    platform = "tiktok"
    res = PKG
    main_activity = MAIN

    def home(self) -> Screen:
        return Feed("fyp", tab=True, seed=self.phone.seed)

    def logged_out(self) -> Screen:
        return Login()

    def open_url(self, url: str) -> bool:
        m = _USER_URL.match(url)
        if m and m.group(3):
            item = content.item("tiktok", m.group(3), m.group(1))
            self.push(Feed(f"user:{item.author}", pinned=item, url=url))
        elif m:
            self.push(UserProfile(m.group(1)))
        elif m := _SHORT_URL.match(url):
            item = content.item("tiktok", content.tiktok_id("short", m.group(1)))
            self.push(Feed(f"user:{item.author}", pinned=item, url=url))
        else:
            return False
        return True

    def shared(self, media: list[Media]) -> None:
        """SEND / SEND_MULTIPLE from another app lands in the editor."""
        self.reset(self.home())
        self.push(Editor(media))

    def popup_kinds(self, trigger: str) -> list[str]:
        if trigger == "camera":
            return ["camera_permission"]
        return ["notification_permission", "sync_contacts"]

    def make_popup(self, kind: str) -> Popup | None:
        t = self.phone.t
        if kind == "notification_permission":
            return self.system_popup(kind, t("perm_notifications", app="TikTok"))
        if kind == "camera_permission":
            return self.system_popup(kind, t("perm_camera", app="TikTok"))
        close = self.answer(kind)
        buttons = [
            (f"{PKG}:id/dialog_confirm", t("ok"), close),
            (f"{PKG}:id/dialog_cancel", t("dont_allow"), close),
        ]
        ids = (f"{PKG}:id/dialog_root", f"{PKG}:id/dialog_title", f"{PKG}:id/dialog_message")
        return Popup(
            kind, t("sync_contacts"), t("sync_contacts_msg"), buttons, system=False, ids=ids
        )

    def posting_screen(self) -> Screen:
        return Posting()

    def done_screen(self, post: Post, failed: bool) -> Screen:
        return Done(post, failed)

    def post_url(self, post_id: str, placement: str) -> str:
        return f"https://www.tiktok.com/@{self.account}/video/{post_id}"

    def new_post_id(self, n: int) -> str:
        return content.tiktok_id("own", self.phone.seed, n)

    def tab(self, name: str) -> None:
        screens = {
            "home": self.home,
            "friends": lambda: Placeholder("friends"),
            "inbox": lambda: Placeholder("inbox"),
            "profile": OwnProfile,
        }
        self.reset(screens[name]())

    def create(self) -> None:
        self.push(Record())
        self.maybe_popup("camera")


def bottom_nav(c: Ctx, app: TikTok, current: str, dark: bool) -> Node:
    def go(name: str):
        return lambda: app.tab(name)

    items = [
        ("tab_home", c.t("home"), current == "home", go("home")),
        ("tab_friends", c.t("friends"), current == "friends", go("friends")),
        ("tab_create", c.t("create"), False, app.create),
        ("tab_inbox", c.t("inbox"), current == "inbox", go("inbox")),
        ("tab_profile", c.t("profile"), current == "profile", go("profile")),
    ]
    return c.nav(items, dark, "main_bottom_tab")


def _profile_header(c: Ctx, app: App, prof: content.Profile, y: int) -> list[Node]:
    """Avatar, @handle and the three counters; returns nodes ending at y + 560."""
    lang = app.phone.lang
    mid, s = c.w // 2, c.x
    kids = [
        c.icon((mid - s(110), y, mid + s(110), y + s(220)), c.t("avatar"), "profile_avatar", None),
        c.tv(
            (s(100), y + s(240), c.w - s(100), y + s(320)), f"@{prof.username}", "profile_username"
        ),
    ]
    stats = [
        ("following_count", prof.following, "following"),
        ("followers_count", prof.followers, "followers"),
        ("likes_count", prof.likes, "likes"),
    ]
    third = c.w // 3
    for i, (rid, n, label) in enumerate(stats):
        b = (i * third, y + s(340), (i + 1) * third, y + s(420))
        kids.append(c.tv(b, content.fmt_count(n, lang), rid))
        kids.append(c.tv((b[0], b[3], b[2], b[3] + s(60)), c.t(label)))
    return kids


def _video_grid(c: Ctx, ids: list[str], y: int, open_at, rid: str = "video_item") -> Node:
    """3-column grid of video tiles that fit between y and the bottom nav."""
    size = c.w // 3
    rows = max(0, (c.bottom - c.x(150) - y) // size)
    kids = []
    for i, vid in enumerate(ids[: rows * 3]):
        col, row = i % 3, i // 3
        b = (col * size, y + row * size, (col + 1) * size - 4, y + (row + 1) * size - 4)
        item = content.item("tiktok", vid)
        kids.append(
            Node(
                FRAME,
                b,
                rid=c.id(rid),
                desc=c.t("video_n", n=i + 1),
                on_tap=open_at(i),
                fill=TINT + item.tint,
            )
        )
    return Node(RECYCLER, (0, y, c.w, c.bottom - c.x(150)), kids, rid=c.id("feed_grid"))


# -- feed / video detail -------------------------------------------------------------------


class Feed(Screen):
    """Vertical video pager: home feed (tab=True) or a detail stream (URL, search, profile)."""

    def __init__(
        self,
        stream: str,
        index: int = 0,
        *,
        tab: bool = False,
        pinned: content.Item | None = None,
        url: str = "",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.stream, self.index, self.tab, self.seed = stream, index, tab, seed
        self.pinned, self.url = pinned, url
        self.activity = MAIN if tab else DETAIL

    def item(self) -> content.Item:
        if self.pinned is None:
            return content.stream_item("tiktok", self.seed, self.stream, self.index)
        if self.index == 0:
            return self.pinned
        return content.stream_item("tiktok", self.seed, self.stream, self.index - 1)

    def playing(self) -> content.Item | None:
        return self.item()

    def item_url(self) -> str:
        return self.url if self.url and self.index == 0 else canonical(self.item())

    def scroll(self, app: TikTok, direction: str) -> None:
        if direction == "up":
            self.index += 1
        elif direction == "down" and self.index > 0:
            self.index -= 1
        elif direction == "left" and self.item().kind not in ("ad", "live"):
            app.push(UserProfile(self.item().author))

    def build(self, c: Ctx) -> Node:
        app: TikTok = c.app  # type: ignore[assignment]
        item = self.item()
        low = c.bottom - c.x(150)
        page = Node(
            FRAME,
            (0, c.top, c.w, low),
            self.page(c, app, item, low),
            rid=c.id("feed_item"),
            fill=TINT + item.tint,
        )
        pager = Node(
            PAGER,
            (0, c.top, c.w, low),
            [page],
            rid=c.id("viewpager"),
            on_scroll=lambda d: self.scroll(app, d),
        )
        kids = [pager]
        if self.tab:
            kids.append(self.top_tabs(c, app))
            kids.append(bottom_nav(c, app, "home", dark=True))
        else:
            kids.append(
                c.icon((0, c.top, c.x(132), c.top + c.x(132)), c.t("back"), "back_btn", app.pop)
            )
            kids.append(
                Node(
                    FRAME,
                    (0, low, c.w, c.bottom),
                    rid=c.id("comment_bar"),
                    text=c.t("add_comment"),
                    on_tap=lambda: app.push(Comments(item, self.item_url())),
                    fill=BLACK,
                )
            )
        return c.screen_root(*kids, fill=BLACK)

    def top_tabs(self, c: Ctx, app: TikTok) -> Node:
        s, y1, y2 = c.x, c.top, c.top + c.x(132)
        following = self.stream == "following"

        def show(stream: str):
            def go() -> None:
                self.stream, self.index = stream, 0

            return go

        kids = [
            Node(
                FRAME,
                (s(280), y1, s(530), y2),
                rid=c.id("tab_following"),
                text=c.t("following"),
                on_tap=show("following"),
                flags=SELECTED if following else 0,
            ),
            Node(
                FRAME,
                (s(550), y1, s(800), y2),
                rid=c.id("tab_for_you"),
                text=c.t("for_you"),
                on_tap=show("fyp"),
                flags=0 if following else SELECTED,
            ),
            c.icon(
                (c.w - s(150), y1, c.w - s(20), y2),
                c.t("search"),
                "search_icon",
                lambda: app.push(Search()),
            ),
        ]
        return Node(FRAME, (0, y1, c.w, y2), kids, rid=c.id("top_tabs"))

    def page(self, c: Ctx, app: TikTok, item: content.Item, low: int) -> list[Node]:
        s = c.x
        kids: list[Node] = []
        if item.kind == "live":
            kids.append(
                c.tv((s(30), c.top + s(150), s(200), c.top + s(220)), "LIVE", "live_tag", fill=RED)
            )
        kids.extend(self.caption(c, app, item, low))
        if item.kind != "live":
            kids.extend(self.rail(c, app, item, low))
        return kids

    def caption(self, c: Ctx, app: TikTok, item: content.Item, low: int) -> list[Node]:
        s, x2 = c.x, c.x(820)
        author = lambda: app.push(UserProfile(item.author))  # noqa: E731
        kids = [
            Node(
                LINEAR,
                (s(30), low - s(380), x2, low - s(300)),
                rid=c.id("title"),
                text=f"@{item.author}",
                on_tap=author,
            ),
            c.tv((s(30), low - s(290), x2, low - s(150)), item.caption, "desc"),
        ]
        if item.kind == "ad":
            kids.append(c.tv((s(30), low - s(140), x2, low - s(80)), c.t("sponsored"), "ad_label"))
            kids.append(
                c.button(
                    (s(30), low - s(480), x2, low - s(400)),
                    c.t("learn_more"),
                    "ad_button",
                    lambda: None,
                    fill=RED,
                )
            )
        elif item.kind == "live":
            kids.append(c.tv((s(30), low - s(140), x2, low - s(80)), c.t("tap_live"), "live_hint"))
        else:
            music = f"♬ {c.t('original_sound')} - {item.author}"
            kids.append(c.tv((s(30), low - s(140), x2, low - s(80)), music, "music_title"))
        return kids

    def rail(self, c: Ctx, app: TikTok, item: content.Item, low: int) -> list[Node]:
        s, lang = c.x, app.phone.lang
        x1, x2, y = c.w - s(170), c.w - s(20), low - s(1000)
        liked, saved = app.reacted(item), app.reacted(item, collect=True)
        counts = (item.likes + liked, item.comments, item.saves + saved, item.shares)
        kids = [
            c.icon(
                (x1, y, x2, y + s(150)),
                c.t("author_profile", u=item.author),
                "user_avatar",
                lambda: app.push(UserProfile(item.author)),
            )
        ]
        if item.kind != "ad" and not app.following(item.author) and item.author != app.account:
            kids.append(
                c.icon(
                    (x1 + s(45), y + s(150), x2 - s(45), y + s(200)),
                    c.t("follow_author", u=item.author),
                    "follow_button",
                    lambda: app.set_follow(item.author, True),
                )
            )
        buttons = [
            (
                "like_button",
                "like_count",
                c.t("like_desc", n=counts[0]),
                liked,
                lambda: app.toggle_reaction(item),
            ),
            (
                "comment_button",
                "comment_count",
                c.t("comment_desc", n=counts[1]),
                False,
                lambda: app.push(Comments(item, self.item_url())),
            ),
            (
                "favorite_button",
                "favorite_count",
                c.t("favorite_desc", n=counts[2]),
                saved,
                lambda: app.toggle_reaction(item, collect=True),
            ),
            ("share_button", "share_count", c.t("share_desc", n=counts[3]), False, lambda: None),
        ]
        y += s(230)
        for (rid, count_id, desc, on, action), n in zip(buttons, counts, strict=True):
            kids.append(c.icon((x1, y, x2, y + s(120)), desc, rid, action, selected=on))
            kids.append(
                c.tv((x1, y + s(120), x2, y + s(170)), content.fmt_count(n, lang), count_id)
            )
            y += s(190)
        return kids


# -- comments --------------------------------------------------------------------------------


class Comments(Screen):
    sheet = True

    def __init__(self, item: content.Item, url: str) -> None:
        super().__init__()
        self.item, self.url = item, url

    def send(self, app: App) -> None:
        text = self.fields.get("comment_edit", "")
        if not text.strip():
            return
        app.phone.outcomes.comments.append(
            Comment(app.platform, app.account, self.url, self.item.id, text)
        )
        self.fields["comment_edit"] = ""
        self.focus = None

    def enter(self, app: App) -> None:
        self.send(app)

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        top = c.top + (c.bottom - c.top) * 2 // 5
        n = self.item.comments + len(app.comments_on(self.item))
        kids = [
            c.tv(
                (s(200), top, c.w - s(200), top + s(120)),
                c.t("n_comments", n=content.fmt_count(n, app.phone.lang)),
                "comment_title",
            ),
            c.icon(
                (c.w - s(140), top, c.w - s(20), top + s(120)),
                c.t("close"),
                "comment_close",
                app.pop,
            ),
        ]
        mine = [f"{made.account}: {made.text}" for made in app.comments_on(self.item)]
        lines = mine + [
            f"{content.username('c', self.item.id, i)}: {c.t('nice')}" for i in range(4)
        ]
        y, low = top + s(140), c.bottom - s(160)
        for line in lines:
            if y + s(130) > low:
                break
            kids.append(c.tv((s(40), y, c.w - s(40), y + s(120)), line, "comment_item"))
            y += s(130)
        kids.append(
            c.edit(
                self,
                "comment_edit",
                (s(30), low + s(20), c.w - s(180), c.bottom - s(20)),
                c.t("add_comment"),
            )
        )
        has_text = bool(self.fields.get("comment_edit", "").strip())
        send = c.icon(
            (c.w - s(160), low + s(20), c.w - s(30), c.bottom - s(20)),
            c.t("post_comment"),
            "comment_send",
            lambda: self.send(app),
        )
        send.flags |= 0 if has_text else DISABLED
        kids.append(send)
        return c.sheet(kids, top, app.pop, dark=False)


# -- profiles --------------------------------------------------------------------------------


class UserProfile(Screen):
    activity = PROFILE

    def __init__(self, username: str) -> None:
        super().__init__()
        self.username = username.lstrip("@")

    def build(self, c: Ctx) -> Node:
        app: TikTok = c.app  # type: ignore[assignment]
        s = c.x
        bar = c.topbar(self.username, app.pop, title_id="title", back_id="back_btn")
        y = c.top + s(160)
        if self.username in app.phone.faults.missing_users:
            msg = c.tv(
                (s(60), y + s(300), c.w - s(60), y + s(400)), c.t("no_account"), "empty_title"
            )
            return c.screen_root(bar, msg)
        prof = content.profile("tiktok", self.username)
        kids = [bar, *_profile_header(c, app, prof, y)]
        y += s(560)
        following = app.following(self.username)
        label = c.t("following") if following else c.t("follow")
        toggle = lambda: app.set_follow(self.username, not following)  # noqa: E731
        kids.append(
            c.button(
                (s(160), y, s(620), y + s(110)),
                label,
                "follow_btn",
                toggle,
                fill=LIGHT if following else RED,
            )
        )
        kids.append(
            c.button(
                (s(640), y, s(920), y + s(110)),
                c.t("message"),
                "message_btn",
                lambda: None,
                fill=LIGHT,
            )
        )
        ids = [content.stream_item("tiktok", 0, f"user:{self.username}", i).id for i in range(9)]

        def open_at(i: int):
            return lambda: app.push(Feed(f"user:{self.username}", i))

        kids.append(_video_grid(c, ids, y + s(150), open_at))
        return c.screen_root(*kids)


class OwnProfile(Screen):
    activity = MAIN

    def build(self, c: Ctx) -> Node:
        app: TikTok = c.app  # type: ignore[assignment]
        s = c.x
        title = Node(
            FRAME,
            (s(240), c.top, s(840), c.top + s(132)),
            rid=c.id("account_switch"),
            text=app.account,
            desc=c.t("switch_account"),
            on_tap=lambda: app.push(AccountSheet()),
        )
        prof = content.profile("tiktok", app.account)
        mine = app.data.posts.get(app.account, [])
        prof = content.Profile(
            app.account, prof.name, prof.followers, prof.following, prof.likes, len(mine), prof.bio
        )
        y = c.top + s(160)
        kids = [title, *_profile_header(c, app, prof, y)]
        y += s(560)
        kids.append(
            c.button(
                (s(300), y, s(780), y + s(110)),
                c.t("edit_profile"),
                "edit_profile",
                lambda: None,
                fill=LIGHT,
            )
        )

        def open_at(i: int):
            return lambda: app.push(Feed(f"user:{app.account}", pinned=app.own_item(mine[i])))

        kids.append(_video_grid(c, mine, y + s(150), open_at))
        kids.append(bottom_nav(c, app, "profile", dark=False))
        return c.screen_root(*kids)


class AccountSheet(Screen):
    sheet = True

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        accounts = app.data.accounts
        top = max(c.top + s(200), c.bottom - s(300) - s(150) * (len(accounts) + 1))
        kids = [
            c.tv(
                (s(40), top + s(20), c.w - s(40), top + s(140)),
                c.t("switch_account"),
                "sheet_title",
            )
        ]
        y = top + s(160)

        def pick(name: str):
            def go() -> None:
                app.switch_account(name)
                app.reset(OwnProfile())

            return go

        for name in accounts:
            if y + s(150) > c.bottom - s(160):
                break
            row = Node(
                LINEAR,
                (0, y, c.w, y + s(140)),
                rid=c.id("account_item"),
                text=name,
                on_tap=pick(name),
                flags=CHECKED if name == app.account else 0,
            )
            kids.append(row)
            y += s(150)
        kids.append(
            Node(
                LINEAR,
                (0, c.bottom - s(150), c.w, c.bottom),
                rid=c.id("add_account"),
                text=c.t("add_account"),
                on_tap=lambda: None,
            )
        )
        return c.sheet(kids, top, app.pop)


class Placeholder(Screen):
    """Friends / Inbox tabs: present so the tabs work, nothing to do there."""

    activity = MAIN

    def __init__(self, tab: str) -> None:
        super().__init__()
        self.tab = tab

    def build(self, c: Ctx) -> Node:
        title = c.tv(
            (c.x(60), c.top + c.x(20), c.w - c.x(60), c.top + c.x(130)), c.t(self.tab), "title"
        )
        return c.screen_root(title, bottom_nav(c, c.app, self.tab, dark=False))


class Login(Screen):
    activity = LOGIN

    def build(self, c: Ctx) -> Node:
        s, mid = c.x, (c.top + c.bottom) // 2
        return c.screen_root(
            c.tv((s(60), mid - s(400), c.w - s(60), mid - s(280)), c.t("login_title"), "title"),
            c.button(
                (s(60), mid - s(100), c.w - s(60), mid + s(20)),
                c.t("login_phone"),
                "login_phone",
                lambda: None,
                fill=LIGHT,
            ),
            c.button(
                (s(60), mid + s(50), c.w - s(60), mid + s(170)),
                c.t("login_google"),
                "login_google",
                lambda: None,
                fill=LIGHT,
            ),
        )


# -- search ----------------------------------------------------------------------------------


class Search(Screen):
    activity = SEARCH

    def __init__(self) -> None:
        super().__init__()
        self.focus = "search_edit"  # TikTok opens search with the keyboard up
        self.query = ""

    def enter(self, app: App) -> None:
        self.submit()

    def submit(self) -> None:
        self.query = self.fields.get("search_edit", "").strip()
        self.focus = None

    def back(self, app: App) -> bool:
        return False  # leaves search even with the keyboard up (keeps flows short)

    def build(self, c: Ctx) -> Node:
        app: TikTok = c.app  # type: ignore[assignment]
        s, y1, y2 = c.x, c.top, c.top + c.x(132)
        kids = [
            c.icon((0, y1, s(120), y2), c.t("back"), "back_btn", app.pop),
            c.edit(self, "search_edit", (s(130), y1 + s(16), s(880), y2 - s(16)), c.t("search")),
            c.button(
                (s(900), y1, c.w - s(10), y2),
                c.t("search"),
                "search_button",
                self.submit,
                fill=WHITE,
            ),
        ]
        if self.query:
            kids.extend(self.results(c, app, y2 + s(20)))
        return c.screen_root(*kids)

    def results(self, c: Ctx, app: TikTok, y: int) -> list[Node]:
        s, kids = c.x, []
        users = search_users(app, self.query)
        kids.append(c.tv((s(40), y, c.w - s(40), y + s(80)), c.t("users"), "users_header"))
        y += s(90)
        if not users:
            kids.append(
                c.tv((s(40), y, c.w - s(40), y + s(120)), c.t("no_results"), "search_empty")
            )
            y += s(130)
        for name in users:
            kids.append(self.user_row(c, app, name, (0, y, c.w, y + s(160))))
            y += s(170)
        kids.append(c.tv((s(40), y, c.w - s(40), y + s(80)), c.t("videos"), "videos_header"))
        size = c.w // 3
        stream = f"topic:{self.query.lower()}"
        for i in range(6):
            if y + s(90) + (i // 3 + 1) * size > c.bottom:
                break
            item = content.stream_item("tiktok", 0, stream, i)
            col, row = i % 3, i // 3
            b = (
                col * size,
                y + s(90) + row * size,
                (col + 1) * size - 4,
                y + s(90) + (row + 1) * size - 4,
            )
            kids.append(
                Node(
                    FRAME,
                    b,
                    rid=c.id("search_video_item"),
                    desc=item.caption,
                    on_tap=lambda i=i: app.push(Feed(stream, i)),
                    fill=TINT + item.tint,
                )
            )
        return kids

    def user_row(self, c: Ctx, app: TikTok, name: str, b) -> Node:
        s, (_, y1, x2, y2) = c.x, b
        following = app.following(name)
        label = c.t("following") if following else c.t("follow")
        kids = [
            c.icon(
                (s(30), y1 + s(10), s(170), y2 - s(10)), c.t("avatar"), "search_user_avatar", None
            ),
            c.tv((s(190), y1 + s(10), s(760), y1 + s(80)), name, "search_user_name"),
            c.tv(
                (s(190), y1 + s(80), s(760), y2 - s(10)),
                content.profile("tiktok", name).name,
                "search_user_nickname",
            ),
            c.button(
                (s(780), y1 + s(30), x2 - s(30), y2 - s(30)),
                label,
                "search_follow_btn",
                lambda: app.set_follow(name, not following),
                fill=LIGHT if following else RED,
            ),
        ]
        return Node(
            LINEAR,
            b,
            kids,
            rid=c.id("search_user_item"),
            on_tap=lambda: app.push(UserProfile(name)),
        )


def search_users(app: App, query: str) -> list[str]:
    """Exact handle first (when it exists), then two look-alikes, like the apps rank users."""
    q = query.strip().lstrip("@").lower()
    if not q:
        return []
    missing = app.phone.faults.missing_users
    base = re.sub(r"[^\w.]", "", q.replace(" ", "_"))[:24] or "user"
    names = [q] if " " not in q else []
    names += [f"{base}_official", f"{base}.fan"]
    return [n for n in names if n not in missing][:3]


# -- create / upload / publish -------------------------------------------------------------------


class Record(Screen):
    activity = RECORD

    def build(self, c: Ctx) -> Node:
        app: TikTok = c.app  # type: ignore[assignment]
        s, low = c.x, c.bottom
        return c.screen_root(
            c.icon((0, c.top, s(132), c.top + s(132)), c.t("close"), "close_button", app.pop),
            c.button(
                (s(340), c.top + s(20), s(740), c.top + s(120)),
                c.t("add_sound"),
                "add_sound_top",
                lambda: None,
                fill=DARK,
            ),
            c.icon(
                (s(440), low - s(300), s(640), low - s(100)),
                c.t("record_video"),
                "record_button",
                lambda: None,
            ),
            Node(
                FRAME,
                (s(800), low - s(280), s(1000), low - s(120)),
                rid=c.id("upload_button"),
                text=c.t("upload"),
                on_tap=lambda: app.push(Gallery()),
                fill=GREY,
            ),
            fill=BLACK,
        )


class Gallery(Screen):
    """Media picker: newest first, multi-select with numbered circles; photos and videos can't be
    mixed (TikTok makes either a video or a photo post)."""

    activity = CHOOSE

    def __init__(self) -> None:
        super().__init__()
        self.selected: list[str] = []  # paths, in selection order
        self.filter = "all"
        self.offset = 0  # first visible row

    def toggle(self, app: App, media: Media) -> None:
        if media.path in self.selected:
            self.selected.remove(media.path)
            return
        kinds = {m.kind for m in app.phone.gallery_items() if m.path in self.selected}
        if kinds and media.kind not in kinds or len(self.selected) >= 35:
            return
        self.selected.append(media.path)

    def chosen(self, app: App) -> list[Media]:
        by_path = {m.path: m for m in app.phone.gallery_items()}
        return [by_path[p] for p in self.selected if p in by_path]

    def next(self, app: App) -> None:
        media = self.chosen(app)
        if media:
            app.push(Editor(media))

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        y1, y2 = c.top, c.top + s(132)
        kids = [
            c.icon((0, y1, s(132), y2), c.t("close"), "close_button", app.pop),
            c.tv((s(300), y1, s(780), y2), c.t("recents"), "title"),
        ]
        tabs = [("tab_all", "all"), ("tab_videos", "video"), ("tab_photos", "image")]
        third = c.w // 3
        for i, (rid, kind) in enumerate(tabs):
            tab = Node(
                FRAME,
                (i * third, y2, (i + 1) * third, y2 + s(110)),
                rid=c.id(rid),
                text=c.t(kind + "_tab"),
                on_tap=lambda k=kind: setattr(self, "filter", k),
                flags=SELECTED if self.filter == kind else 0,
            )
            kids.append(tab)
        low = c.bottom - s(180)
        kids.append(
            pick_screen_nodes(
                c,
                self,
                app,
                (0, y2 + s(120), c.w, low),
                "media_grid",
                "media_item",
                "media_select",
                kind=self.filter,
            )
        )
        n = len(self.selected)
        next_btn = c.button(
            (s(700), low + s(30), c.w - s(40), c.bottom - s(30)),
            c.t("next_n", n=n) if n else c.t("next"),
            "next_button",
            lambda: self.next(app),
            fill=RED,
        )
        next_btn.flags |= 0 if n else DISABLED
        kids.append(next_btn)
        return c.screen_root(*kids)


class Editor(Screen):
    activity = EDIT

    def __init__(self, media: list[Media]) -> None:
        super().__init__()
        self.media = media

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        low = c.bottom
        kids = [
            c.icon((0, c.top, s(132), c.top + s(132)), c.t("back"), "back_btn", app.pop),
            c.button(
                (s(340), c.top + s(20), s(740), c.top + s(120)),
                c.t("add_sound"),
                "add_sound",
                lambda: None,
                fill=DARK,
            ),
        ]
        for i, tool in enumerate(("text", "stickers", "effects", "filters")):
            y = c.top + s(200) + i * s(170)
            kids.append(
                c.icon(
                    (c.w - s(160), y, c.w - s(30), y + s(150)),
                    c.t(tool),
                    f"tool_{tool}",
                    lambda: None,
                )
            )
        kids.append(
            c.button(
                (s(620), low - s(160), c.w - s(40), low - s(40)),
                c.t("next"),
                "edit_next",
                lambda: app.push(Publish(self.media)),
                fill=RED,
            )
        )
        return c.screen_root(*kids, fill=TINT + len(self.media) % 4)


class Publish(Screen):
    activity = PUBLISH

    def __init__(self, media: list[Media]) -> None:
        super().__init__()
        self.media = media

    def enter(self, app: App) -> None:
        # The description box is multi-line: ENTER is a line break, not "send".
        self.fields["publish_caption"] = self.fields.get("publish_caption", "") + "\n"

    def build(self, c: Ctx) -> Node:
        app, s = c.app, c.x
        bar = c.topbar(c.t("post"), app.pop, title_id="title", back_id="back_btn")
        y = c.top + s(160)
        kids = [
            bar,
            c.edit(self, "publish_caption", (s(30), y, s(760), y + s(400)), c.t("add_description")),
            Node(
                FRAME,
                (s(790), y, c.w - s(30), y + s(400)),
                rid=c.id("cover"),
                desc=c.t("select_cover"),
                fill=TINT + len(self.media) % 4,
            ),
        ]
        y += s(440)
        for key in ("tag_people", "location", "add_link", "privacy_everyone"):
            kids.append(
                Node(
                    LINEAR,
                    (0, y, c.w, y + s(130)),
                    rid=c.id(key),
                    text=c.t(key),
                    on_tap=lambda: None,
                )
            )
            y += s(140)
        low = c.bottom - s(170)
        post = lambda: app.start_upload(  # noqa: E731
            self.media, self.fields.get("publish_caption", ""), "feed"
        )
        kids.append(
            c.button(
                (s(30), low, s(520), c.bottom - s(30)),
                c.t("drafts"),
                "drafts_button",
                lambda: None,
                fill=LIGHT,
            )
        )
        kids.append(
            c.button(
                (s(560), low, c.w - s(30), c.bottom - s(30)),
                c.t("post"),
                "publish_button",
                post,
                fill=RED,
            )
        )
        return c.screen_root(*kids)


class Posting(Screen):
    activity = MAIN
    posting = True

    def back(self, app: App) -> bool:
        return True  # the upload screen can't be left with BACK

    def build(self, c: Ctx) -> Node:
        app, s, mid = c.app, c.x, (c.top + c.bottom) // 2
        pct = app.upload.percent if app.upload else 99
        bar = Node(
            PROGRESS,
            (s(100), mid, c.w - s(100), mid + s(40)),
            rid=c.id("posting_progress"),
            text=f"{pct}%",
            fill=RED,
        )
        return c.screen_root(
            c.tv(
                (s(60), mid - s(200), c.w - s(60), mid - s(100)),
                c.t("posting", pct=pct),
                "posting_text",
            ),
            bar,
            c.tv(
                (s(60), mid + s(100), c.w - s(60), mid + s(180)), c.t("keep_open"), "posting_hint"
            ),
        )


class Done(Screen):
    activity = MAIN

    def __init__(self, post: Post, failed: bool) -> None:
        super().__init__()
        self.post, self.failed = post, failed

    def build(self, c: Ctx) -> Node:
        app: TikTok = c.app  # type: ignore[assignment]
        s, mid = c.x, (c.top + c.bottom) // 2
        if self.failed:
            title, rid = c.t("post_failed"), "publish_failed_title"
        else:
            key = "video_posted" if self.post.kind == "video" else "photos_posted"
            title, rid = c.t(key), "publish_success_title"
        return c.screen_root(
            c.tv((s(60), mid - s(200), c.w - s(60), mid - s(80)), title, rid),
            c.button(
                (s(60), mid, s(520), mid + s(120)),
                c.t("view"),
                "view_post",
                lambda: app.tab("profile"),
                fill=LIGHT,
            ),
            c.button(
                (s(560), mid, c.w - s(60), mid + s(120)),
                c.t("done"),
                "done_button",
                lambda: app.tab("home"),
                fill=RED,
            ),
        )
