"""Deterministic fake content: feed videos/posts, profiles, usernames.

Everything derives from a stable hash (not Python's per-process salted `hash`), so the same
seed gives the same feed on every run and every machine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

_SYL = ("ka", "mi", "lo", "ra", "ne", "su", "ti", "va", "zo", "be", "do", "fi", "ga", "hu", "jo")
_WORDS = ("daily", "vibes", "travel", "cooking", "dance", "pets", "fit", "art", "tech", "music")
_TAGS = ("#fyp", "#foryou", "#viral", "#trend", "#funny", "#tutorial", "#explore", "#reels")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def stable(*parts: object) -> int:
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def username(*key: object) -> str:
    h = stable("user", *key)
    first = _SYL[h % 15] + _SYL[(h >> 4) % 15]
    return f"{first}.{_WORDS[(h >> 8) % 10]}{(h >> 12) % 100}"


def tiktok_id(*key: object) -> str:
    return "7" + str(stable("ttid", *key) % 10**18).zfill(18)


def ig_code(*key: object) -> str:
    h = stable("igcode", *key)
    return "".join(_B64[(h >> (6 * i)) % 64] for i in range(10)) + "A"


@dataclass(frozen=True, slots=True)
class Item:
    """A feed video / post. kind: video, photo, ad, live."""

    id: str
    author: str
    caption: str
    likes: int
    comments: int
    shares: int
    saves: int
    kind: str
    tint: int  # palette slot for the screenshot, so consecutive videos look different


def item(platform: str, item_id: str, author: str = "", kind: str = "") -> Item:
    h = stable(platform, item_id)
    author = author or username(platform, "author", item_id)
    caption = f"{_WORDS[h % 10]} {_WORDS[(h >> 5) % 10]} {_TAGS[(h >> 9) % 8]} {_TAGS[h % 7]}"
    if not kind:
        kind = "video" if platform == "tiktok" or (h >> 40) % 3 else "photo"
    return Item(
        id=item_id,
        author=author,
        caption=caption,
        likes=(h >> 12) % 900_000 + 12,
        comments=(h >> 22) % 9_000 + 3,
        shares=(h >> 32) % 5_000,
        saves=(h >> 36) % 20_000,
        kind=kind,
        tint=(h >> 44) % 4,
    )


def stream_item(platform: str, seed: int, stream: str, index: int) -> Item:
    """Item `index` of a scrolling stream: "fyp" (home feed with ads and LIVEs), "reels",
    "topic:<words>" (search results), "user:<name>" (a profile's videos)."""
    new_id = tiktok_id if platform == "tiktok" else ig_code
    item_id = new_id(seed, stream, index)
    author = stream[5:] if stream.startswith("user:") else ""
    kind = ""
    if stream in ("fyp", "reels") and index:
        if index % 9 == 5:
            kind = "ad"
        elif platform == "tiktok" and index % 13 == 8:
            kind = "live"
    if stream == "reels" or (platform == "instagram" and stream.startswith("topic:")):
        kind = kind or "video"
    return item(platform, item_id, author, kind)


@dataclass(frozen=True, slots=True)
class Profile:
    username: str
    name: str
    followers: int
    following: int
    likes: int
    posts: int
    bio: str


def profile(platform: str, name: str) -> Profile:
    h = stable(platform, "profile", name)
    display = name.split(".")[0].replace("_", " ").title() or name
    return Profile(
        username=name,
        name=display,
        followers=(h % 2_000_000) + 40,
        following=(h >> 21) % 900 + 5,
        likes=(h >> 31) % 40_000_000,
        posts=(h >> 56) % 60 + 9,
        bio=f"{_WORDS[(h >> 8) % 10]} · {_WORDS[(h >> 12) % 10]} ✨",
    )


def fmt_count(n: int, lang: str) -> str:
    """12345 -> "12.3K" (en) / "12,3 mil" (pt), like the apps abbreviate counters."""
    if n < 10_000:
        return str(n)
    if n < 1_000_000:
        value, unit = n / 1000, ("K" if lang == "en" else " mil")
    else:
        value, unit = n / 1_000_000, ("M" if lang == "en" else " mi")
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return (text if lang == "en" else text.replace(".", ",")) + unit
