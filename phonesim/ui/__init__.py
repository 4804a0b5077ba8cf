"""Screen side of a simulated phone: simulated TikTok and Instagram apps plus the launcher.

Pure Python (no Django, no asyncio, no network). The simulator's shell drives one `PhoneUI` per
phone; screens, ids and flows are documented in SCREENS.md.
"""

from .nodes import Node, find, hit_test, problems
from .phone import DEFAULT_INSTALLED, INSTAGRAM, TIKTOK, PhoneUI
from .state import Comment, Faults, Follow, Media, Outcomes, Post, Reaction, Tap, Watch

__all__ = [
    "DEFAULT_INSTALLED",
    "INSTAGRAM",
    "TIKTOK",
    "Comment",
    "Faults",
    "Follow",
    "Media",
    "Node",
    "Outcomes",
    "PhoneUI",
    "Post",
    "Reaction",
    "Tap",
    "Watch",
    "find",
    "hit_test",
    "problems",
]
