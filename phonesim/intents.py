"""Intents as `am` builds them from its arguments (AOSP `Intent.parseCommandArgs`).

Strict, like the real parser: an option it does not know is an error ("Unknown option: --eua").
`am` has `--eu` for ONE Uri but nothing for a list of Uris; `--esa`/`--esal` carry strings
(research real-app-ui.md §4.4). Extras keep their type, because receivers read them typed: an
`--es code 3` is not the int extra `getIntExtra("code", -1)` asks for.

The lenient mode (Phone(strict=False)) keeps what the simulator accepted before the honesty
rules: `--eua key uri1,uri2` as a Uri list, and unknown options skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class IntentError(ValueError):
    """What Intent.parseCommandArgs throws (an IllegalArgumentException on the phone)."""


# Extras: option -> (kind, how many values after the key).
_EXTRAS = {
    "-e": "s",
    "--es": "s",
    "--ei": "i",
    "--el": "l",
    "--ef": "f",
    "--ed": "d",
    "--ez": "z",
    "--eu": "u",
    "--ecn": "cn",
    "--eia": "ia",
    "--eial": "ial",
    "--ela": "la",
    "--elal": "lal",
    "--efa": "fa",
    "--efal": "fal",
    "--eda": "da",
    "--edal": "dal",
    "--esa": "sa",
    "--esal": "sal",
}
_VALUE_OPTIONS = {"-a", "-d", "-t", "-c", "-n", "-p", "-f", "-i"}
_FLAG_OPTIONS = {
    "--grant-read-uri-permission",
    "--grant-write-uri-permission",
    "--grant-persistable-uri-permission",
    "--grant-prefix-uri-permission",
    "--exclude-stopped-packages",
    "--include-stopped-packages",
    "--debug-log-resolution",
    "--activity-brought-to-front",
    "--activity-clear-top",
    "--activity-clear-when-task-reset",
    "--activity-exclude-from-recents",
    "--activity-launched-from-history",
    "--activity-multiple-task",
    "--activity-no-animation",
    "--activity-no-history",
    "--activity-no-user-action",
    "--activity-previous-is-top",
    "--activity-reorder-to-front",
    "--activity-reset-task-if-needed",
    "--activity-single-top",
    "--activity-clear-task",
    "--activity-task-on-home",
    "--activity-match-external",
    "--receiver-registered-only",
    "--receiver-replace-pending",
    "--receiver-foreground",
    "--receiver-no-abort",
    "--receiver-include-background",
    "--selector",
}
# `am start` / `am broadcast`'s own options (ActivityManagerShellCommand): option -> takes value.
COMMAND_OPTIONS = {
    "start": {
        "-D": False,
        "-N": False,
        "-W": False,
        "-S": False,
        "--streaming": False,
        "--track-allocation": False,
        "--task-overlay": False,
        "--lock-task": False,
        "--allow-background-activity-starts": False,
        "--dismiss-keyguard": False,
        "-P": True,
        "--start-profiler": True,
        "--sampling": True,
        "--attach-agent": True,
        "--attach-agent-bind": True,
        "-R": True,
        "--user": True,
        "--receiver-permission": True,
        "--display": True,
        "--windowingMode": True,
        "--activityType": True,
        "--task": True,
    },
    "broadcast": {
        "--user": True,
        "--receiver-permission": True,
        "--allow-background-activity-starts": False,
        "--async": False,
    },
}


@dataclass
class Intent:
    action: str = ""
    data: str = ""
    type: str = ""
    component: str = ""
    package: str = ""
    categories: list[str] = field(default_factory=list)
    extras: dict[str, tuple[str, Any]] = field(default_factory=dict)  # key -> (kind, value)
    options: dict[str, str] = field(default_factory=dict)  # the command's own options

    def string(self, key: str) -> str | None:
        """getStringExtra: None unless the extra is a string."""
        kind, value = self.extras.get(key, ("", None))
        return value if kind == "s" else None

    def integer(self, key: str, default: int = -1, *, lenient: bool = False) -> int:
        """getIntExtra: the default unless the extra is an int (lenient: digit strings too)."""
        kind, value = self.extras.get(key, ("", None))
        if kind == "i":
            return value
        if lenient and kind == "s" and str(value).isdigit():
            return int(value)
        return default

    def uris(self, key: str) -> list[str]:
        """The Uri(s) of a Uri extra (`--eu`; lenient mode's `--eua` list)."""
        kind, value = self.extras.get(key, ("", None))
        if kind == "u":
            return [value]
        if kind == "ua":
            return list(value)
        return []

    def describe(self) -> str:
        """The `Intent { … }` text am prints."""
        parts = [f"act={self.action}"] if self.action else []
        if self.categories:
            parts.append("cat=[" + ",".join(self.categories) + "]")
        parts += [f"dat={self.data}"] if self.data else []
        parts += [f"typ={self.type}"] if self.type else []
        parts += [f"pkg={self.package}"] if self.package else []
        parts += [f"cmp={self.component}"] if self.component else []
        return "Intent { " + " ".join(parts) + (" (has extras)" if self.extras else "") + " }"


def parse(args: list[str], command: str, *, strict: bool = True) -> Intent:
    """Parse `am <command>` arguments. Raises IntentError on an option Android rejects."""
    own = COMMAND_OPTIONS.get(command, {})
    intent = Intent()
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-") or arg == "-":
            _positional(intent, arg)
            i += 1
            continue
        if arg in own:
            if own[arg]:
                intent.options[arg] = _value(args, i, arg)
                i += 2
            else:
                intent.options[arg] = ""
                i += 1
        elif arg in _EXTRAS:
            key, value = _value(args, i, arg), _value(args, i + 1, arg)
            intent.extras[key] = (_EXTRAS[arg], _typed(_EXTRAS[arg], value))
            i += 3
        elif arg == "--esn":
            intent.extras[_value(args, i, arg)] = ("s", None)
            i += 2
        elif arg == "--eua" and not strict and i + 2 < len(args):
            intent.extras[args[i + 1]] = ("ua", [u for u in args[i + 2].split(",") if u])
            i += 3
        elif arg in _VALUE_OPTIONS:
            _set(intent, arg, _value(args, i, arg))
            i += 2
        elif arg in _FLAG_OPTIONS:
            i += 1
        elif strict:
            raise IntentError(f"Unknown option: {arg}")
        else:
            i += 1  # the old lenient simulator skipped what it did not know
    return intent


def _value(args: list[str], i: int, option: str) -> str:
    if i + 1 >= len(args):
        raise IntentError(f'Argument expected after "{option}"')
    return args[i + 1]


def _set(intent: Intent, option: str, value: str) -> None:
    if option == "-a":
        intent.action = value
    elif option == "-d":
        intent.data = value
    elif option == "-t":
        intent.type = value
    elif option == "-c":
        intent.categories.append(value)
    elif option == "-n":
        if "/" not in value:
            raise IntentError(f"Bad component name: {value}")
        intent.component = value
    elif option == "-p":
        intent.package = value


def _positional(intent: Intent, arg: str) -> None:
    # After the options am takes one argument: a component ("pkg/.Cls") or a data URI.
    if "/" in arg and ":" not in arg and not intent.component:
        intent.component = arg
    elif not intent.data:
        intent.data = arg


def _typed(kind: str, value: str) -> Any:
    try:
        if kind == "i":
            return int(value, 0)
        if kind == "l":
            return int(value)
        if kind in ("f", "d"):
            return float(value)
        if kind == "z":
            return value.lower() in ("true", "t") or (value.isdigit() and int(value) != 0)
        if kind in ("sa", "sal"):
            return value.split(",")
        if kind in ("ia", "ial", "la", "lal"):
            return [int(v) for v in value.split(",")]
        if kind in ("fa", "fal", "da", "dal"):
            return [float(v) for v in value.split(",")]
    except ValueError as exc:
        raise IntentError(f'For input string: "{value}"') from exc
    return value
