"""The script registry: which scripts exist, and the machinery they share.

Each script is one module, ``tasks/scripts/<name>.py``, whose ``SCRIPT`` declares everything
about it: its ``script_config`` fields (with their labels and form hints), its label, time
limit, daily limit, selectors, checks, fan-out and runner. This module lists those modules in
:data:`SCRIPT_NAMES` and answers for all of them. The API (``tasks.creation``) and the
dashboard's task form both call :func:`validate_config`, which returns the cleaned config
(defaults filled in, aliases renamed to their real keys, unknown keys dropped) or raises
Django's ``ValidationError`` whose ``message_dict`` maps each config key to its messages::

    from django.core.exceptions import ValidationError
    from tasks.scripts.registry import validate_config

    try:
        config = validate_config("follow", {"target_username": "@someone"})
    except ValidationError as exc:
        form.add_error(None, exc)          # or exc.message_dict → {"target_users": [...]}

Field names, defaults and aliases are TikMatrix's (``shared/spec/scripts.md``): clients send them.
Material paths are checked by ``tasks.materials``.

What a config may cost: only declared keys are stored. Unknown keys are dropped, not refused:
TikMatrix clients send keys of TikMatrix features we do not run (``ai_label``…), and a 40001 for
a key we would ignore anyway would break scripts that work today; the API names the dropped
keys in its answer (:meth:`Script.unknown_keys`). Before, an unknown key was copied into every
fanned-out task, so one large request multiplied itself in the database. What is stored per
task is also capped at :data:`MAX_CONFIG_BYTES` of JSON.

Adding a script: write ``tasks/scripts/<name>.py`` with a ``SCRIPT = Script(...)`` and add its
name to :data:`SCRIPT_NAMES`; ``tests/tasks/test_scripts_registry.py`` checks it is complete.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import KW_ONLY, dataclass, field
from functools import cached_property
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.functional import Promise

from core.errors import Code, DomainError
from devices.models import Platform

if TYPE_CHECKING:
    from tasks.scripts.base import ScriptContext

Errors = dict[str, list[str]]
Label = str | Promise  # translatable: gettext_lazy(...)

# The scripts, in the order the dashboard offers them; each is ``tasks.scripts.<name>.SCRIPT``.
# An explicit list, not discovery: the order is the menu's, a module that fails to import
# fails loudly here instead of vanishing, and removing a line retires a script.
SCRIPT_NAMES = ("post", "follow", "unfollow", "account_warmup", "comment", "diagnostic")

# TikMatrix names that exist but are not offered through the API (yet): all answer 40003.
NOT_SUPPORTED_VIA_API = (
    "login", "profile", "match_accounts", "like", "message", "super_marketing", "scrape_user",
)  # fmt: skip
# Seconds a task may run when its script is no longer registered (an old row).
DEFAULT_TIME_LIMIT = 600
# The most one task's config may hold, as UTF-8 JSON after cleaning and fan-out: room for a
# few hundred caption lines or material paths, not for a request that turns one large config
# into gigabytes by fanning it out to every phone.
MAX_CONFIG_BYTES = 64 * 1024


class ScriptError(DomainError, ValueError):
    """The script name itself is the problem (the API answers 40002 or 40003)."""

    field = "script_name"


class ScriptNameMissing(ScriptError):
    code = Code.SCRIPT_MISSING


class ScriptNotSupported(ScriptError):
    code = Code.SCRIPT_NOT_SUPPORTED


@dataclass(frozen=True)
class Field:
    """One ``script_config`` key: its type, default and accepted values, and how the dashboard
    presents it."""

    name: str
    kind: str  # int | number | bool | str | str_or_int | str_list | object
    default: Any
    _: KW_ONLY
    label: Label
    help_text: Label = ""
    choices: tuple = ()
    choice_labels: Mapping[Any, Label] = field(default_factory=dict)  # choice → its label
    minimum: float | None = None
    maximum: float | None = None
    aliases: tuple[str, ...] = ()  # other keys clients send for this one
    value_aliases: dict[str, str] = field(default_factory=dict)  # other spellings of a choice
    long_text: bool = False  # several lines in the form
    in_form: bool = True  # False: accepted through the API, not worth a form control


def one_task(config: dict) -> list[dict]:
    """The default fan-out: one task per device (or account) with the config as it is."""
    return [config]


@dataclass(frozen=True, kw_only=True)
class Script:
    name: str
    label: Label
    fields: tuple[Field, ...]
    run: Callable[[ScriptContext], str]  # returns the remark
    # The longest one run may take (seconds): generous for the steps, plus the waits the config
    # asks for. settings.TASK_TIMEOUTS overrides it, TASK_TIMEOUT_MAX caps it (timeout_for).
    time_limit: Callable[[dict], float]
    # Element names the script looks up in tasks/scripts/selectors/<platform>.json: on every
    # platform it runs on, and only on one platform (an app-specific step).
    selectors: tuple[str, ...] = ()
    platform_selectors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    platforms: tuple[str, ...] = tuple(Platform.values)
    # The Account daily limit each task of this script counts against (``daily_<x>_limit``),
    # and the limited actions it does and records inside a run (tasks.limits.record).
    daily_limit: str | None = None
    records: tuple[str, ...] = ()
    # Cross-field rules, run after every field is clean: ``check(config, errors)``.
    check: Callable[[dict, Errors], None] | None = None
    # One create request makes one task per (target × config returned here).
    fan_out: Callable[[dict], list[dict]] = one_task
    api: bool = True
    # A script whose action must happen once (publish, send) writes it down just before the
    # tap (``ctx.commit``); when a run ends without seeing it confirmed, the next run calls
    # ``verify(ctx)``, which looks in the app and returns the remark if it went through, None
    # if it did not.
    verify: Callable[[ScriptContext], str | None] | None = None

    @property
    def runner(self) -> str:
        """Dotted path of :attr:`run`: what the worker imports when a task starts."""
        return f"{self.run.__module__}.{self.run.__qualname__}"

    def selectors_on(self, platform: str) -> tuple[str, ...]:
        return (*self.selectors, *self.platform_selectors.get(platform, ()))

    def validate(self, config: Any) -> dict:
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise ValidationError({"script_config": ["must be a JSON object"]})
        errors: Errors = {}
        cleaned = _clean_fields(self.fields, config, errors)
        if self.check is not None and not errors:
            self.check(cleaned, errors)
        if not errors:
            _check_size(self.fan_out(cleaned), errors)
        if errors:
            raise ValidationError(errors)
        return cleaned

    def unknown_keys(self, config: Any) -> list[str]:
        """The keys of ``config`` that :meth:`validate` drops: neither a field nor an alias."""
        if not isinstance(config, dict):
            return []
        known = {name for spec in self.fields for name in (spec.name, *spec.aliases)}
        return [key for key in config if key not in known]


class Registry(Mapping[str, Script]):
    """Script name → Script, imported on first use: the script modules import this module for
    ``Field`` and ``Script``, so it cannot import them while it loads."""

    def __init__(self, names: Iterable[str]):
        self.names = tuple(names)

    @cached_property
    def _scripts(self) -> dict[str, Script]:
        scripts = {}
        for name in self.names:
            script = import_module(f"tasks.scripts.{name}").SCRIPT
            if script.name != name:
                raise ImproperlyConfigured(
                    f"tasks/scripts/{name}.py declares the script {script.name!r}; "
                    "a script's module is named after it"
                )
            scripts[name] = script
        return scripts

    def __getitem__(self, name: str) -> Script:
        return self._scripts[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._scripts)

    def __len__(self) -> int:
        return len(self._scripts)


SCRIPTS = Registry(SCRIPT_NAMES)


# --- public API ---------------------------------------------------------------------------------


def timeout_for(script_name: str, config: dict) -> int:
    """Seconds a task of ``script_name`` with ``config`` may run (see Script.time_limit)."""
    seconds = settings.TASK_TIMEOUTS.get(script_name)
    if not seconds:
        script = SCRIPTS.get(script_name)
        seconds = script.time_limit(config) if script else DEFAULT_TIME_LIMIT
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


def script_choices(*, api_only: bool = False) -> list[tuple[str, Label]]:
    return [(s.name, s.label) for s in SCRIPTS.values() if s.api or not api_only]


# --- field cleaning -----------------------------------------------------------------------------


def _clean_fields(fields: Iterable[Field], raw: dict, errors: Errors) -> dict:
    """The declared fields of ``raw``, cleaned; anything else is left behind."""
    cleaned: dict = {}
    for spec in fields:
        value = raw.get(spec.name)
        for alias in spec.aliases:
            if value in (None, "", []) and raw.get(alias) is not None:
                value = raw[alias]
        if value is None and spec.default is None:
            continue  # optional without a default: stored only when sent
        if value is None:
            cleaned[spec.name] = copy.deepcopy(spec.default)
            continue
        try:
            cleaned[spec.name] = _clean_value(spec, copy.deepcopy(value))
        except ValueError as exc:
            errors.setdefault(spec.name, []).append(str(exc))
    return cleaned


def config_bytes(config: dict) -> int:
    """How much ``config`` weighs as stored: UTF-8 JSON."""
    return len(json.dumps(config, ensure_ascii=False, separators=(",", ":")).encode())


def _check_size(configs: list[dict], errors: Errors) -> None:
    largest = max((config_bytes(config) for config in configs), default=0)
    if largest > MAX_CONFIG_BYTES:
        errors.setdefault("script_config", []).append(
            f"too large: {largest} bytes of JSON for one task; the limit is "
            f"{MAX_CONFIG_BYTES} bytes (shorten the longest texts or lists)"
        )


def _clean_value(spec: Field, value: Any) -> Any:
    value = COERCE[spec.kind](value)
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


# Field kind → its coercion: the value as stored, or ValueError with the client's message.
COERCE: dict[str, Callable[[Any], Any]] = {
    "int": _as_int,
    "number": _as_number,
    "bool": _as_bool,
    "str": _as_str,
    "str_or_int": _as_str_or_int,
    "str_list": _as_str_list,
    "object": _as_object,
}
