"""How stored JSON (a task's ``script_config``, an audit entry's detail) is shown to people.

:func:`masked` is the one masking function: every page, API answer, admin view and audit entry
that shows a config goes through it, so a viewer never reads a password or an API key that an
operator put in a config (``chatgpt_settings.api_key``…). What is stored is left as it is: the
worker needs the real values.

A key names a secret when, lower-cased and without ``-``/``_``, it contains one of
:data:`SECRET_MARKERS` (``api_key``, ``apiKey``, ``API-Key``, ``client_secret``,
``access_token``…), at any depth, inside objects and lists alike. The whole value under such a
key is replaced, whatever its type; an empty one (``""``, ``null``) is shown as it is.
"""

from __future__ import annotations

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
