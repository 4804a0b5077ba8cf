"""Captions: spintax expansion and rotation of caption lines over the tasks of a batch."""

from __future__ import annotations

import random
import re

_INNERMOST = re.compile(r"\{([^{}]*)\}")


def expand_spintax(template: str, rng: random.Random | None = None) -> str:
    """``"{Hi|Hello} {world|there}"`` → one random variant; nested braces work inside out."""
    rng = rng or random.Random()
    text = template
    while True:
        text, replaced = _INNERMOST.subn(lambda m: rng.choice(m.group(1).split("|")), text)
        if not replaced:
            return text


def caption_for(config: dict, position: int, rng: random.Random | None = None) -> str:
    """The caption of the task at ``position`` in its batch.

    ``multiline``: each non-empty line is one caption, rotated over the tasks; ``###`` inside a
    line is a line break. ``spintax``: the whole text is one template. Spintax is expanded in
    both, so every task gets its own variant.
    """
    text = config.get("captions") or ""
    if config.get("caption_format", "multiline") == "multiline":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            return ""
        text = lines[position % len(lines)].replace("###", "\n")
    return expand_spintax(text, rng).strip()
