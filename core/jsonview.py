"""How stored JSON (a task's ``script_config``, an audit entry's detail) is shown to people.

:func:`masked` is the one masking function: every page, API answer, admin view and audit entry
that shows a config goes through it, so a viewer never reads a password or an API key that an
operator put in a config (``chatgpt_settings.api_key``…). What is stored is left as it is: the
worker needs the real values.

A key names a secret when, lower-cased and without ``-``/``_``, it contains one of
:data:`SECRET_MARKERS` (``api_key``, ``apiKey``, ``API-Key``, ``client_secret``,
``access_token``…), at any depth, inside objects and lists alike. The whole value under such a
key is replaced, whatever its type; an empty one (``""``, ``null``) is shown as it is.

:func:`abridged` keeps a list small whatever its rows hold: a row's JSON above
:data:`LIST_BYTES` is shown cut to size, and the row's own page or answer has it whole.
"""

from __future__ import annotations

import json
import re
from typing import Any

MASK = "********"
SECRET_MARKERS = (
    "password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey", "privatekey",
    "credential", "authorization", "cookie", "sessionid",
)  # fmt: skip
_SEPARATORS = re.compile(r"[-_\s.]")


def is_secret_key(key: Any) -> bool:
    name = _SEPARATORS.sub("", str(key).lower())
    return any(marker in name for marker in SECRET_MARKERS)


def masked(value: Any) -> Any:
    """A copy of ``value`` with every secret-named key's value replaced by :data:`MASK`."""
    if isinstance(value, dict):
        return {
            key: MASK if is_secret_key(key) and item not in (None, "") else masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value


# -- lists ---------------------------------------------------------------------------------------

# A list shows each row's JSON whole up to this size; beyond it, an abridged copy (a page of 100
# rows then stays well under a few megabytes, whatever the rows hold).
LIST_BYTES = 4096
LIST_TEXT_CHARS = 200  # a longer string is cut, with "…" at the end
LIST_ITEMS = 20  # items kept of a longer array, keys of a larger object
LIST_DEPTH = 4  # deeper values are replaced by "…"
ELLIPSIS = "…"


def abridged(value: Any) -> tuple[Any, bool]:
    """``(value, False)`` when its JSON is at most :data:`LIST_BYTES`; otherwise a copy cut to
    size (long strings, long arrays, large objects, deep nesting) and ``True``. An object that
    is still too big after cutting is shown empty: the row itself has it whole."""
    if _size(value) <= LIST_BYTES:
        return value, False
    cut = _cut(value, LIST_DEPTH)
    if _size(cut) > LIST_BYTES:
        cut = {} if isinstance(value, dict) else None
    return cut, True


def _cut(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= LIST_TEXT_CHARS else value[:LIST_TEXT_CHARS] + ELLIPSIS
    if not isinstance(value, dict | list):
        return value
    if depth == 0:
        return ELLIPSIS
    if isinstance(value, list):
        return [_cut(item, depth - 1) for item in value[:LIST_ITEMS]]
    keys = list(value)[:LIST_ITEMS]
    return {key: _cut(value[key], depth - 1) for key in keys}


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
