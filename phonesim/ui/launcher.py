"""The home screen and stand-ins for system apps (Settings, Chrome, Photos …)."""

from __future__ import annotations

from .base import App, Ctx, Screen
from .nodes import FRAME, TEXT, Node
from .render import LIGHT, TINT

LAUNCHER_PKG = "com.google.android.apps.nexuslauncher"
LAUNCHER_ACTIVITY = "com.google.android.apps.nexuslauncher.NexusLauncherActivity"

LABELS = {
    "com.zhiliaoapp.musically": "TikTok",
    "com.ss.android.ugc.trill": "TikTok",
    "com.instagram.android": "Instagram",
    "com.android.settings": "Settings",
    "com.android.chrome": "Chrome",
    "com.google.android.apps.photos": "Photos",
    "com.android.vending": "Play Store",
    "com.google.android.GoogleCamera": "Camera",
}
# Packages without a launcher icon.
HIDDEN = {"com.android.adbkeyboard", LAUNCHER_PKG, "com.google.android.permissioncontroller"}
ACTIVITIES = {
    "com.android.settings": "com.android.settings.Settings",
    "com.android.chrome": "com.google.android.apps.chrome.Main",
    "com.google.android.apps.photos": "com.google.android.apps.photos.home.HomeActivity",
    "com.android.vending": "com.google.android.finsky.activities.MainActivity",
}


def label(package: str) -> str:
    return LABELS.get(package) or package.rsplit(".", 1)[-1].capitalize()


class Home(Screen):
    activity = LAUNCHER_ACTIVITY

    def build(self, c: Ctx) -> Node:
        phone, s = c.phone, c.x
        apps = [p for p in phone.installed_packages if p not in HIDDEN]
        cell_w, cell_h = c.w // 4, s(300)
        kids = []
        for i, package in enumerate(apps[:20]):
            col, row = i % 4, i // 4
            b = (
                col * cell_w,
                c.top + s(200) + row * cell_h,
                (col + 1) * cell_w,
                c.top + s(200) + (row + 1) * cell_h,
            )
            name = label(package)
            kids.append(
                Node(
                    TEXT,
                    b,
                    rid="",
                    text=name,
                    desc=name,
                    fill=-2,
                    on_tap=lambda p=package: phone.start_app(p),
                )
            )
        search = Node(
            FRAME,
            (s(60), c.bottom - s(200), c.w - s(60), c.bottom - s(60)),
            rid=f"{LAUNCHER_PKG}:id/search_container_hotseat",
            desc=c.t("launcher_search"),
            on_tap=lambda: None,
            fill=LIGHT,
        )
        apps_view = Node(
            FRAME, (0, c.top, c.w, c.bottom - s(220)), kids, rid=f"{LAUNCHER_PKG}:id/workspace"
        )
        return c.screen_root(apps_view, search, fill=TINT + 1)


class Launcher(App):
    platform = "launcher"
    res = LAUNCHER_PKG
    main_activity = LAUNCHER_ACTIVITY

    def home(self) -> Screen:
        return Home()

    def root_screen(self) -> Screen:
        return Home()

    def back(self) -> None:
        """BACK on the home screen does nothing."""

    def pop(self) -> None:
        self.reset()


class Page(Screen):
    """A system app's first screen: its name, plus the URL when Chrome opened a link."""

    def __init__(self, activity: str, title: str, url: str = "") -> None:
        super().__init__()
        self.activity, self.title, self.url = activity, title, url

    def build(self, c: Ctx) -> Node:
        s = c.x
        kids = [
            Node(
                TEXT,
                (s(60), c.top + s(40), c.w - s(60), c.top + s(160)),
                rid=c.id("title") if not self.url else c.id("url_bar"),
                text=self.url or self.title,
            )
        ]
        return c.screen_root(*kids)


class SystemApp(App):
    platform = "system"

    def __init__(self, phone, package: str) -> None:
        super().__init__(phone, package)
        self.res = package
        self.main_activity = ACTIVITIES.get(package, f"{package}.MainActivity")

    def home(self) -> Screen:
        return Page(self.main_activity, label(self.package))

    def root_screen(self) -> Screen:
        return self.home()

    def open_url(self, url: str) -> bool:
        self.push(Page(self.main_activity, label(self.package), url))
        return True
