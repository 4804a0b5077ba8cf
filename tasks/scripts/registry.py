"""The script registry: name → config schema → fan-out rule → runner.

One place decides what a script accepts. The API (``tasks.creation``) and the dashboard's task
form both call :func:`validate_config`, which returns the cleaned config (defaults filled in,
aliases renamed to their real keys, unknown keys kept as sent) or raises Django's
``ValidationError`` whose ``message_dict`` maps each config key to its messages::

    from django.core.exceptions import ValidationError
    from tasks.scripts.registry import validate_config

    try:
        config = validate_config("follow", {"target_username": "@someone"})
    except ValidationError as exc:
        form.add_error(None, exc)          # or exc.message_dict → {"target_users": [...]}

Field names, defaults and aliases are TikMatrix's (``shared/spec/scripts.md``): clients send them.
Material paths are resolved (symlinks followed) and must stay inside ``settings.MATERIAL_ROOTS``;
``material:<id>`` names an uploaded library material and is stored as written, for the runner to
resolve with :func:`material_file` (and mark used after posting).
"""

from __future__ import annotations

import copy
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from core.errors import Code, DomainError
from devices.models import Account, Platform

Errors = dict[str, list[str]]

VIDEO_EXTENSIONS = (".mp4", ".mov")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
MATERIAL_REF = re.compile(r"^material:(\d{1,18})$")
# TikTok allows letters, digits, "_" and "." (24 max); Instagram the same set (30 max).
USERNAME = re.compile(r"^[A-Za-z0-9._]{1,30}$")
POST_URLS = [
    re.compile(r"^https?://(www\.|m\.)?tiktok\.com/@[\w.]+/video/\d+/?(\?\S*)?$"),
    re.compile(r"^https?://(vm|vt)\.tiktok\.com/\w+/?$"),
    re.compile(r"^https?://(www\.)?instagram\.com/(p|reel|reels)/[\w-]+/?(\?\S*)?$"),
]
# TikMatrix names that exist but are not offered through the API (yet): all answer 40003.
NOT_SUPPORTED_VIA_API = (
    "login", "profile", "match_accounts", "like", "message", "super_marketing", "scrape_user",
)  # fmt: skip


class ScriptError(DomainError, ValueError):
    """The script name itself is the problem (the API answers 40002 or 40003)."""

    field = "script_name"


class ScriptNameMissing(ScriptError):
    code = Code.SCRIPT_MISSING


class ScriptNotSupported(ScriptError):
    code = Code.SCRIPT_NOT_SUPPORTED


@dataclass(frozen=True)
class Field:
    """One ``script_config`` key: its type, default and accepted values."""

    name: str
    kind: str  # int | number | bool | str | str_or_int | str_list | object
    default: Any
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    aliases: tuple[str, ...] = ()  # other keys clients send for this one
    value_aliases: dict[str, str] = field(default_factory=dict)  # other spellings of a choice


@dataclass(frozen=True)
class Script:
    name: str
    label: str
    fields: tuple[Field, ...]
    # Dotted path of ``run(ctx) -> remark``; the worker imports it when a task starts.
    runner: str
    # Cross-field rules, run after every field is clean: ``check(config, errors)``.
    check: Callable[[dict, Errors], None] | None = None
    # One create request makes one task per (target × config returned here).
    fan_out: Callable[[dict], list[dict]] = lambda config: [config]
    api: bool = True

    def validate(self, config: Any) -> dict:
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise ValidationError({"script_config": ["must be a JSON object"]})
        errors: Errors = {}
        cleaned = _clean_fields(self.fields, config, errors)
        if self.check is not None and not errors:
            self.check(cleaned, errors)
        if errors:
            raise ValidationError(errors)
        return cleaned


# --- public API ---------------------------------------------------------------------------------


# How long one run of each script may take before its worker stops it (seconds): generous for
# the steps, plus the waits the config asks for. TASK_TIMEOUTS overrides, TASK_TIMEOUT_MAX caps.
TIMEOUTS: dict[str, Callable[[dict], float]] = {
    "post": lambda c: 600 + c.get("upload_wait_time", 30) + c.get("sound_wait_time", 10),
    "follow": lambda c: 300,
    "unfollow": lambda c: 300,
    "comment": lambda c: 300,
    "account_warmup": lambda c: 300 + float(c.get("task_duration", 600)),
    "diagnostic": lambda c: 60,
}


def timeout_for(script_name: str, config: dict) -> int:
    """Seconds a task of ``script_name`` with ``config`` may run (see TIMEOUTS)."""
    configured = settings.TASK_TIMEOUTS.get(script_name)
    seconds = configured if configured else TIMEOUTS.get(script_name, lambda c: 600)(config)
    return int(min(seconds, settings.TASK_TIMEOUT_MAX))


def get_script(name: Any, *, api: bool = False) -> Script:
    """The script called ``name``; with ``api=True`` only those offered through the API."""
    if name is None or (isinstance(name, str) and not name.strip()):
        raise ScriptNameMissing("script_name is required")
    script = SCRIPTS.get(name.strip()) if isinstance(name, str) else None
    if script is None or (api and not script.api):
        known = ", ".join(s.name for s in SCRIPTS.values() if s.api)
        what = "is not supported via the API yet" if name in NOT_SUPPORTED_VIA_API else "is unknown"
        raise ScriptNotSupported(f"script {name!r} {what}; use one of: {known}")
    return script


def validate_config(script_name: str, config: Any, *, api: bool = False) -> dict:
    """Clean ``config`` for ``script_name``; raise ValidationError (key → messages) or
    ScriptError. The returned dict is what gets stored on the task (before fan-out)."""
    return get_script(script_name, api=api).validate(config)


def fan_out(script_name: str, config: dict) -> list[dict]:
    """The per-task configs one cleaned ``config`` turns into (per device or account)."""
    return get_script(script_name).fan_out(config)


def script_choices(*, api_only: bool = False) -> list[tuple[str, str]]:
    return [(s.name, s.label) for s in SCRIPTS.values() if s.api or not api_only]


def material_file(entry: str) -> str:
    """The absolute file path of a ``material_list`` entry (a path or ``material:<id>``)."""
    match = MATERIAL_REF.match(entry)
    if match is None:
        return entry
    from tasks.models import Material

    return Material.objects.get(pk=int(match.group(1))).file.path  # see tasks.storage


def resolve_in_material_roots(raw: str) -> str:
    """``raw`` with symlinks resolved, if it lies inside a material root; else ValueError.

    A relative path is taken relative to the first root (where uploads land)."""
    roots = [os.path.realpath(root) for root in settings.MATERIAL_ROOTS]
    try:
        real = os.path.realpath(os.path.join(roots[0], raw))
    except (ValueError, OSError):  # NUL bytes, unreadable components
        raise ValueError(f"{raw!r} is not a usable path") from None
    if not any(os.path.commonpath([real, root]) == root for root in roots):
        raise ValueError(f"{raw!r} is outside the material folders ({', '.join(roots)})")
    return real


# --- field cleaning -----------------------------------------------------------------------------


def _clean_fields(fields: Iterable[Field], raw: dict, errors: Errors) -> dict:
    cleaned = copy.deepcopy(raw)  # unknown keys are kept as sent
    for spec in fields:
        for alias in spec.aliases:
            if alias in cleaned:
                value = cleaned.pop(alias)
                if cleaned.get(spec.name) in (None, "", []):
                    cleaned[spec.name] = value
        value = cleaned.get(spec.name)
        if value is None and spec.default is None:
            cleaned.pop(spec.name, None)  # optional without a default: stored only when sent
        elif value is None:
            cleaned[spec.name] = copy.deepcopy(spec.default)
        else:
            try:
                cleaned[spec.name] = _clean_value(spec, value)
            except ValueError as exc:
                errors.setdefault(spec.name, []).append(str(exc))
    return cleaned


def _clean_value(spec: Field, value: Any) -> Any:
    value = _COERCE[spec.kind](value)
    if isinstance(value, str):
        value = spec.value_aliases.get(value, value)
    if spec.choices and value not in spec.choices:
        allowed = ", ".join(str(c) for c in spec.choices)
        raise ValueError(f"{value!r} is not one of: {allowed}")
    if spec.minimum is not None and value < spec.minimum:
        raise ValueError(f"must be at least {spec.minimum:g}")
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(f"must be at most {spec.maximum:g}")
    return value


def _as_int(value: Any) -> int:
    # bool is an int in Python but never what a client meant by a number.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("must be a whole number")
    return int(value)


def _as_number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("must be a number")
    return value


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError("must be true or false")


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def _as_str_or_int(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be a string or an integer")
    return str(value)


def _as_str_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    return value


def _as_object(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return value


_COERCE: dict[str, Callable[[Any], Any]] = {
    "int": _as_int,
    "number": _as_number,
    "bool": _as_bool,
    "str": _as_str,
    "str_or_int": _as_str_or_int,
    "str_list": _as_str_list,
    "object": _as_object,
}


def _split_list(text: str) -> list[str]:
    """'a, b\\nc' → ['a', 'b', 'c']: TikMatrix's one-or-several-targets-in-a-string fields."""
    return [part.strip() for part in re.split(r"[\r\n,]+", text) if part.strip()]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- materials ----------------------------------------------------------------------------------


def _check_materials(entries: list[str], extensions: tuple[str, ...], errors: Errors) -> list[str]:
    """Resolve ``material_list``: paths confined to the roots, ``material:<id>`` looked up."""
    resolved, refs = [], {}
    for entry in entries:
        match = MATERIAL_REF.match(entry.strip())
        if match:
            refs[int(match.group(1))] = entry.strip()
            resolved.append(entry.strip())
            continue
        try:
            path = resolve_in_material_roots(entry)
        except ValueError as exc:
            errors.setdefault("material_list", []).append(str(exc))
            continue
        if not os.path.isfile(path):
            errors.setdefault("material_list", []).append(f"{entry!r}: no such file")
        elif not path.lower().endswith(extensions):
            errors.setdefault("material_list", []).append(
                f"{entry!r}: expected a {'/'.join(e[1:] for e in extensions)} file"
            )
        resolved.append(path)
    if refs:
        _check_material_refs(refs, extensions, errors)
    return resolved


def _check_material_refs(refs: dict[int, str], extensions: tuple[str, ...], errors: Errors):
    from tasks.models import Material

    kind = Material.Kind.VIDEO if extensions == VIDEO_EXTENSIONS else Material.Kind.IMAGE
    found = {m.pk: m for m in Material.objects.filter(pk__in=refs).only("id", "kind", "used_at")}
    for pk, entry in refs.items():
        material = found.get(pk)
        if material is None:
            problem = "no such material"
        elif material.kind != kind:
            problem = f"is an {material.kind}, expected a {kind}"
        elif material.used_at is not None:
            problem = "was already posted (materials are never reused)"
        else:
            continue
        errors.setdefault("material_list", []).append(f"{entry}: {problem}")


def _check_folder(raw: str, key: str, errors: Errors) -> str:
    try:
        path = resolve_in_material_roots(raw)
    except ValueError as exc:
        errors.setdefault(key, []).append(str(exc))
        return raw
    if not os.path.isdir(path):
        errors.setdefault(key, []).append(f"{raw!r}: no such folder")
    return path


def _check_image(raw: str, key: str, errors: Errors) -> str:
    try:
        path = resolve_in_material_roots(raw)
    except ValueError as exc:
        errors.setdefault(key, []).append(str(exc))
        return raw
    if not os.path.isfile(path) or not path.lower().endswith(IMAGE_EXTENSIONS):
        errors.setdefault(key, []).append(f"{raw!r}: no such jpg/png file")
    return path


# --- the scripts --------------------------------------------------------------------------------

PLATFORM = Field("platform", "str", None, choices=tuple(Platform.values))
ORDER = Field("comment_order", "str", "random", choices=("random", "sequential"))
EMOJI = Field("insert_emoji", "bool", False)


def _check_post(config: dict, errors: Errors) -> None:
    extensions = IMAGE_EXTENSIONS if config["content_type"] == 1 else VIDEO_EXTENSIONS
    if config["material_list"]:
        config["material_list"] = _check_materials(config["material_list"], extensions, errors)
    elif config["material_source"] == "localFolder" and not config["material_path"]:
        errors.setdefault("material_path", []).append(
            "required when material_source is localFolder (or give material_list)"
        )
    if config["material_path"]:
        config["material_path"] = _check_folder(config["material_path"], "material_path", errors)
    if config["add_sound"] == "custom" and not config["custom_sound_keyword"].strip():
        errors.setdefault("custom_sound_keyword", []).append("required when add_sound is custom")


def _check_targets(config: dict, errors: Errors) -> None:
    raw = config["target_users"] or _split_list(config["target_user"])
    targets = _unique(Account.normalise_username(name) for name in raw)
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


def _fan_out_targets(config: dict) -> list[dict]:
    return [{**config, "target_users": [u], "target_user": u} for u in config["target_users"]]


def _check_warmup(config: dict, errors: Errors) -> None:
    if config["min_duration"] > config["max_duration"]:
        errors.setdefault("min_duration", []).append("must not exceed max_duration")


def _check_comment(config: dict, errors: Errors) -> None:
    urls = _unique(config["target_post_urls"] or _split_list(config["target_post_url"]))
    urls = [url.strip() for url in urls if url.strip()]
    bad = [url for url in urls if not any(p.match(url) for p in POST_URLS)]
    if bad:
        errors.setdefault("target_post_urls", []).append(
            "not a TikTok video or Instagram post/reel URL: " + ", ".join(bad)
        )
    elif not urls:
        errors.setdefault("target_post_urls", []).append(
            "give at least one post URL (target_post_urls, or target_post_url)"
        )
    config["target_post_urls"] = urls
    if not config["comment_content"].strip():
        errors.setdefault("comment_content", []).append("required: the comments, one per line")
    if config.get("comment_image_path"):
        config["comment_image_path"] = _check_image(
            _as_str(config["comment_image_path"]), "comment_image_path", errors
        )


def _fan_out_urls(config: dict) -> list[dict]:
    return [
        {**config, "target_post_urls": [url], "target_post_url": url}
        for url in config["target_post_urls"]
    ]


TARGET_FIELDS = (
    PLATFORM,
    Field("target_users", "str_list", []),
    Field("target_user", "str", "", aliases=("target_username",)),
    Field("access_method", "str", "direct", choices=("direct", "search")),
)
PERCENT = {"minimum": 0, "maximum": 100}

SCRIPTS: dict[str, Script] = {
    script.name: script
    for script in [
        Script(
            "post",
            "Post a video or images",
            (
                PLATFORM,
                Field("content_type", "int", 0, choices=(0, 1)),
                Field("image_count", "int", 1, minimum=1, maximum=35),
                Field("captions", "str", ""),
                Field("caption_format", "str", "multiline", choices=("multiline", "spintax")),
                Field(
                    "post_way",
                    "str",
                    "share",
                    choices=("share", "addButton", "useSound"),
                    value_aliases={"add_button": "addButton", "use_sound": "useSound"},
                ),
                Field("material_list", "str_list", []),
                Field(
                    "material_source",
                    "str",
                    "materialLibrary",
                    choices=("materialLibrary", "localFolder"),
                ),
                Field("material_path", "str", ""),
                Field("materials_tags", "str", ""),
                Field("upload_wait_time", "int", 30, minimum=1, maximum=3600),
                Field("sound_wait_time", "int", 10, minimum=0, maximum=600),
                Field("add_sound", "str_or_int", "-1", choices=("-1", "0", "1", "custom")),
                Field("custom_sound_keyword", "str", ""),
                Field("origin_sound_volume", "int", 50, **PERCENT),
                Field("add_sound_volume", "int", 50, **PERCENT),
                Field("add_product_link", "int", 0, choices=(0, 1)),
                Field("placement", "str", "reel", choices=("reel", "story")),
            ),
            runner="tasks.scripts.post.run",
            check=_check_post,
        ),
        Script(
            "follow",
            "Follow users",
            TARGET_FIELDS,
            runner="tasks.scripts.follow.run",
            check=_check_targets,
            fan_out=_fan_out_targets,
        ),
        Script(
            "unfollow",
            "Unfollow users",
            TARGET_FIELDS,
            runner="tasks.scripts.unfollow.run",
            check=_check_targets,
            fan_out=_fan_out_targets,
        ),
        Script(
            "account_warmup",
            "Warm up the account",
            (
                PLATFORM,
                Field("task_duration", "number", 600, minimum=1, maximum=86400),
                Field("topic", "str", ""),
                Field("min_duration", "number", 15, minimum=0, maximum=3600),
                Field("max_duration", "number", 30, minimum=0, maximum=3600),
                Field("like_probable", "number", 0, **PERCENT),
                Field("floow_probable", "number", 0, aliases=("follow_probable",), **PERCENT),
                Field("collect_probable", "number", 0, **PERCENT),
                Field("comment_probable", "number", 0, **PERCENT),
                Field("comment", "str", ""),
                EMOJI,
                ORDER,
                # Accepted and stored; AI comments are not generated (the runner says so).
                Field("generate_by_chatgpt", "bool", False),
                Field("chatgpt_settings", "object", {}),
            ),
            runner="tasks.scripts.account_warmup.run",
            check=_check_warmup,
        ),
        Script(
            "comment",
            "Comment on posts",
            (
                PLATFORM,
                Field("target_post_urls", "str_list", []),
                Field("target_post_url", "str", ""),
                Field("comment_content", "str", ""),
                ORDER,
                EMOJI,
            ),
            runner="tasks.scripts.comment.run",
            check=_check_comment,
            fan_out=_fan_out_urls,
        ),
        # Checks a phone end to end (and is the dispatch benchmark's cheapest real task).
        Script(
            "diagnostic",
            "Diagnostic",
            (PLATFORM,),
            runner="tasks.scripts.diagnostic.run",
            api=False,
        ),
    ]
}
