"""Plain data: what the apps did (outcomes), fault switches, gallery items, per-app storage."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class Post:
    platform: str  # "tiktok" | "instagram"
    package: str
    account: str
    media: list[str]  # sha256 hex of each picked file, in selection order
    paths: list[str]
    caption: str
    kind: str  # "video" | "images"
    placement: str  # tiktok: "feed"; instagram: "post" | "reel" | "story"
    post_id: str
    url: str


@dataclass
class Follow:
    platform: str
    account: str
    target: str


@dataclass
class Comment:
    platform: str
    account: str
    post_url: str  # the URL the post was opened with, else its canonical URL
    post_id: str
    text: str


@dataclass
class Watch:
    platform: str
    account: str
    item_id: str
    author: str
    kind: str  # video, photo, ad, live
    seconds: float  # by PhoneUI.clock, from the item becoming visible to leaving it


@dataclass
class Reaction:
    """A like or a collect (TikTok favourite / Instagram save)."""

    platform: str
    account: str
    post_id: str
    author: str


@dataclass
class Tap:
    x: int
    y: int
    package: str
    rid: str  # resource-id of the node that took the tap, "" if none
    label: str  # its text or content-desc


@dataclass
class Outcomes:
    posts: list[Post] = field(default_factory=list)
    follows: list[Follow] = field(default_factory=list)
    unfollows: list[Follow] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    watched: list[Watch] = field(default_factory=list)
    likes: list[Reaction] = field(default_factory=list)  # net: an unlike removes the entry
    collects: list[Reaction] = field(default_factory=list)  # net, like likes
    failed_posts: list[Post] = field(default_factory=list)  # faults.upload_fails
    taps: deque[Tap] = field(default_factory=lambda: deque(maxlen=500))


@dataclass
class Faults:
    """Switches tests flip to make the phone misbehave the way real phones do."""

    popups: bool = False  # random pop-ups on app start / entering the camera
    popup_probability: float = 0.35
    force_popup: str | None = None  # this pop-up kind at the next chance, once
    missing_element: set[str] | str = field(default_factory=set)  # resource-ids never shown
    already_following: set[str] = field(default_factory=set)  # every account follows these
    missing_users: set[str] = field(default_factory=set)  # profiles that "don't exist"
    upload_steps: int = 3  # dumps/screencaps/inputs an upload takes after tapping Post
    upload_seconds: float = 0.0  # and at least this long (PhoneUI.clock): a slow network
    upload_fails: bool = False  # uploads end in "Couldn't post" instead of done
    # Text fields with an InputFilter.LengthFilter: short resource-id -> most UTF-16 units it
    # keeps (e.g. {"comment_edit": 150}); longer input is cut, as Android cuts it.
    max_length: dict[str, int] = field(default_factory=dict)

    def hidden(self) -> set[str]:
        value = self.missing_element
        return {value} if isinstance(value, str) else set(value)


@dataclass
class Media:
    path: str
    sha256: str
    kind: str  # "video" | "image"
    seq: int  # scan order: breaks ties between files modified in the same second
    modified: int = 0  # the file's mtime when scanned (MediaStore date_modified)


@dataclass
class AppData:
    """What survives force-stop: the app's private storage."""

    accounts: list[str] = field(default_factory=list)
    current: str = ""
    following: dict[str, set[str]] = field(default_factory=dict)  # account -> usernames
    seeded: dict[str, set[str]] = field(default_factory=dict)  # already_following applied
    liked: dict[str, set[str]] = field(default_factory=dict)  # account -> post ids
    collected: dict[str, set[str]] = field(default_factory=dict)
    posts: dict[str, list[str]] = field(default_factory=dict)  # account -> own post ids
    prompted: set[str] = field(default_factory=set)  # permission pop-ups already answered

    def mine(self, table: dict[str, set[str]]) -> set[str]:
        return table.setdefault(self.current, set())
