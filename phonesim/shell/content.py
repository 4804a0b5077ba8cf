"""`content`: the content-provider tool (AOSP cmds/content `Content.java`).

Argument errors print the usage and `[ERROR] …` on stdout; a provider's exception prints `Error
while accessing provider:<authority>` and its stack trace on stderr; the exit status is 0 either
way (main() returns normally). Providers simulated:
- `media` (MediaProvider): `query` of the indexed files (`--where` with `col='v'` and
  `col LIKE 'p'` terms joined by OR; anything else is an SQLiteException); `insert` with
  `--bind _data:s:<path>` indexes that file (how Android 10+ wants media added, research
  real-app-ui.md §4.5); `call` of `scan_volume` (arg external_primary / external) rescans shared
  storage (and drops the rows of deleted files) and `scan_file` (arg: a path) one file. Any
  other call throws `UnsupportedOperationException: Unsupported call`.
- `settings`: `query`/`insert` on content://settings/<namespace> (the `settings` command's store).
Any other authority: `Could not find provider`.
"""

from __future__ import annotations

from urllib.parse import urlparse

from phonesim.media import WhereError
from phonesim.shell.android import media_scan
from phonesim.shell.registry import STDERR, Context, command

USAGE = (
    "usage: adb shell content [subcommand] [options]\n\n"
    "usage: adb shell content insert --uri <URI> [--user <USER_ID>] --bind <BINDING> "
    "[--bind <BINDING>...] [--extra <BINDING>...]\n"
    "usage: adb shell content query --uri <URI> [--user <USER_ID>] [--projection <PROJECTION>] "
    "[--where <WHERE>] [--sort <SORT_ORDER>] [--extra <BINDING>...]\n"
    "usage: adb shell content call --uri <URI> --method <METHOD> [--arg <ARG>]\n"
    "       [--extra <BINDING> ...]\n"
)
_ARGS = {
    "insert": {"--uri", "--user", "--bind", "--extra"},
    "query": {"--uri", "--user", "--projection", "--where", "--sort", "--extra"},
    "call": {"--uri", "--user", "--method", "--arg", "--extra"},
    "delete": {"--uri", "--user", "--where", "--extra"},
    "update": {"--uri", "--user", "--where", "--bind", "--extra"},
    "read": {"--uri", "--user"},
    "write": {"--uri", "--user"},
    "gettype": {"--uri", "--user"},
}
_SIMULATED = {"insert", "query", "call"}
VOLUMES = {"external_primary", "external", "internal"}


class _Usage(ValueError):
    """Content.Parser's IllegalArgumentException: usage + [ERROR] on stdout."""


class _ProviderError(Exception):
    def __init__(self, exception: str) -> None:
        super().__init__(exception)
        self.exception = exception


def _parse(args: list[str]) -> tuple[str, dict[str, list[str]]]:
    operation = args[0] if args else None
    if operation not in _ARGS:
        raise _Usage(f"Unsupported operation: {operation}")
    options: dict[str, list[str]] = {}
    i = 1
    while i < len(args):
        name = args[i]
        if name not in _ARGS[operation]:
            raise _Usage(f"Unsupported argument: {name}")
        value = args[i + 1] if i + 1 < len(args) else ""
        if not value or value.startswith("--"):
            raise _Usage(f"No value for argument: {name}")
        options.setdefault(name, []).append(value)
        i += 2
    if "--uri" not in options:
        raise _Usage("Content provider URI not specified. Did you specify --uri argument?")
    if operation in ("insert", "update") and "--bind" not in options:
        raise _Usage("Bindings not specified. Did you specify --bind argument(s)?")
    if operation == "call" and "--method" not in options:
        raise _Usage("Content provider method not specified.")
    return operation, options


def _bindings(values: list[str]) -> dict[str, str]:
    out = {}
    for binding in values:
        parts = binding.split(":", 2)
        if len(parts) != 3 or parts[1].lower() not in ("s", "b", "i", "l", "f", "d", "n"):
            raise _Usage(f"Binding not well formed: {binding}")
        out[parts[0]] = parts[2]
    return out


@command("content")
def content(ctx: Context) -> int:
    try:
        operation, options = _parse(ctx.args[1:])
    except _Usage as exc:
        ctx.out(USAGE + f"[ERROR] {exc}\n")
        return 0
    uri = options["--uri"][-1]
    authority = urlparse(uri).netloc
    try:
        if operation not in _SIMULATED:
            raise _ProviderError(
                "java.lang.UnsupportedOperationException: phonesim does not simulate "
                f"`content {operation}`"
            )
        if authority == "media":
            _media(ctx, operation, uri, options)
        elif authority == "settings":
            _settings(ctx, operation, uri, options)
        else:
            raise _ProviderError(
                f"java.lang.IllegalStateException: Could not find provider: {authority}"
            )
    except _ProviderError as exc:
        ctx.chunks.append(
            (
                STDERR,
                f"Error while accessing provider:{authority}\n{exc.exception}\n"
                "\tat com.android.commands.content.Content$Command.execute(Content.java:521)\n"
                "\tat com.android.commands.content.Content.main(Content.java:735)\n".encode(),
            )
        )
    return 0


def _rows(ctx: Context, rows: list[dict[str, str]], options: dict[str, list[str]]) -> None:
    projection = options["--projection"][-1].split(":") if "--projection" in options else []
    if not rows:
        ctx.out("No result found.\n")
    for n, row in enumerate(rows):
        cols = [(k, row.get(k, "NULL")) for k in projection] if projection else list(row.items())
        ctx.out(f"Row: {n} " + ", ".join(f"{k}={v}" for k, v in cols) + "\n")


def _media(ctx: Context, operation: str, uri: str, options: dict[str, list[str]]) -> None:
    if operation == "query":
        where = (options.get("--where") or [None])[-1]
        try:
            rows = ctx.phone.media.query(uri, where)
        except WhereError as exc:
            raise _ProviderError(f"android.database.sqlite.SQLiteException: {exc}") from exc
        _rows(ctx, rows, options)
    elif operation == "insert":
        values = _bindings(options["--bind"])
        if "_data" in values:
            media_scan(ctx, values["_data"])  # MediaProvider indexes the file at _data
    else:
        _media_call(ctx, options["--method"][-1], (options.get("--arg") or [""])[-1])


def _media_call(ctx: Context, method: str, arg: str) -> None:
    if method == "scan_volume":
        if arg not in VOLUMES:
            raise _ProviderError(f"java.lang.IllegalArgumentException: Unknown volume {arg}")
        if arg != "internal":
            _scan_tree(ctx, "/sdcard")
            _forget_missing(ctx)
        ctx.out("Result: null\n")
    elif method == "scan_file":
        media_scan(ctx, arg)
        row = next((r for r in ctx.phone.media.query("file") if r["_data"].endswith(arg)), None)
        uri = f"content://media/external_primary/file/{row['_id']}" if row else "null"
        ctx.out(f"Result: Bundle[{{android.intent.extra.STREAM={uri}}}]\n")
    else:
        raise _ProviderError(f"java.lang.UnsupportedOperationException: Unsupported call: {method}")


def _scan_tree(ctx: Context, folder: str) -> None:
    """MediaScanner over a whole volume: every file below it, Android/ (app data) excluded."""
    fs = ctx.phone.fs
    for name in sorted(fs.listdir(folder)):
        path = f"{folder}/{name}"
        if fs.isdir(path):
            if name != "Android":
                _scan_tree(ctx, path)
        elif "." in name and not name.startswith("."):
            media_scan(ctx, path)


def _forget_missing(ctx: Context) -> None:
    """The volume scan drops the rows of files that are gone (deleted since their scan)."""
    for path in ctx.phone.media.paths():
        if not ctx.phone.fs.exists(path):
            media_scan(ctx, path)


def _settings(ctx: Context, operation: str, uri: str, options: dict[str, list[str]]) -> None:
    namespace = urlparse(uri).path.strip("/").split("/")[0]
    store = ctx.phone.settings
    if operation == "query":
        rows = [{"name": k, "value": v} for (ns, k), v in sorted(store.items()) if ns == namespace]
        _rows(ctx, rows, options)
    elif operation == "insert":
        values = _bindings(options["--bind"])
        if "name" in values:
            store[(namespace, values["name"])] = values.get("value", "")
    else:
        raise _ProviderError(f"java.lang.IllegalArgumentException: Unknown method: {operation}")
