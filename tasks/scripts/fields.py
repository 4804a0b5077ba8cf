"""``script_config`` fields and rules that several scripts share."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from devices.models import Account, Platform
from tasks.scripts.registry import Errors, Field

# Bounds of a probability or volume field, in percent.
PERCENT = {"minimum": 0, "maximum": 100}

PLATFORM = Field(
    "platform",
    "str",
    None,
    choices=tuple(Platform.values),
    label=_("Platform"),
    help_text=_("For phones without an account; default TikTok."),
)
PACKAGENAME = Field(
    "packagename",
    "str",
    None,
    label=_("App package"),
    help_text=_("A clone app to use on phones without an account (the account's wins)."),
    in_form=False,
)
# Which app a task opens: every script declares these.
APP_FIELDS = (PLATFORM, PACKAGENAME)
COMMENT_ORDER = Field(
    "comment_order", "str", "random", choices=("random", "sequential"), label=_("Comment order")
)
INSERT_EMOJI = Field("insert_emoji", "bool", False, label=_("Insert emoji"))


def split_list(text: str) -> list[str]:
    """'a, b\\nc' → ['a', 'b', 'c']: TikMatrix's one-or-several-targets-in-a-string fields."""
    return [part.strip() for part in re.split(r"[\r\n,]+", text) if part.strip()]


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- target users (follow, unfollow) ------------------------------------------------------------

# TikTok allows letters, digits, "_" and "." (24 max); Instagram the same set (30 max).
USERNAME = re.compile(r"^[A-Za-z0-9._]{1,30}$")

TARGET_FIELDS = (
    *APP_FIELDS,
    Field(
        "target_users",
        "str_list",
        [],
        label=_("Users"),
        help_text=_("One username per line; each becomes its own task."),
    ),
    Field(
        "target_user",
        "str",
        "",
        aliases=("target_username",),
        label=_("More users"),
        help_text=_("Comma or line separated."),
        long_text=True,
        in_form=False,
    ),
    Field(
        "access_method",
        "str",
        "direct",
        choices=("direct", "search"),
        label=_("Open profiles by"),
    ),
)


def check_targets(config: dict, errors: Errors) -> None:
    """One or more valid usernames, from ``target_users`` or else ``target_user``."""
    raw = config["target_users"] or split_list(config["target_user"])
    targets = unique(Account.normalise_username(name) for name in raw)
    targets = [name for name in targets if name]
    bad = [name for name in targets if not USERNAME.match(name)]
    if bad:
        errors.setdefault("target_users", []).append(
            "not a username (letters, digits, '.' and '_' only): " + ", ".join(bad)
        )
    elif not targets:
        errors.setdefault("target_users", []).append(
            "give at least one user to target (target_users, or target_user)"
        )
    config["target_users"] = targets


def one_task_per_target(config: dict) -> list[dict]:
    return [{**config, "target_users": [u], "target_user": u} for u in config["target_users"]]
