"""Usernames people can tell apart: normalised, and refused when they look like a taken one.

A new member named ``οlivia`` (Greek omicron) or ``0livia`` would be read as ``olivia`` in the
audit log and on the team page. :func:`skeleton` reduces a name to what it looks like (Unicode
NFKC, case-folded, invisible characters dropped, look-alike letters and digits mapped to one
Latin letter, after the idea of UTS #39's confusable skeletons, with a small table of the
characters that matter for names typed here); two names with the same skeleton are one name.
"""

from __future__ import annotations

import unicodedata

# Look-alikes of Latin letters, after NFKC and casefold (so only lower case is needed).
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "і": "i", "ї": "i", "ј": "j", "к": "k",
        "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x",
        "ѕ": "s", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ь": "b",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
        # Digits read as letters
        "0": "o", "1": "l",
    }
)  # fmt: skip
_MULTI = [("rn", "m"), ("vv", "w")]


def normalise(username: str) -> str:
    """The form a username is stored in: NFKC (as Django's own user model does), trimmed."""
    return unicodedata.normalize("NFKC", username).strip()


def skeleton(username: str) -> str:
    """What ``username`` looks like: equal skeletons mean people would confuse the names."""
    text = normalise(username).casefold()
    # Format characters (zero-width space and joiners, soft hyphen, direction marks) are invisible.
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = text.translate(_CONFUSABLES)
    for pair, single in _MULTI:
        text = text.replace(pair, single)
    return text


def confusable_with(username: str, existing: list[str]) -> str | None:
    """The first of ``existing`` that looks like ``username``, if any."""
    target = skeleton(username)
    return next((name for name in existing if skeleton(name) == target), None)
