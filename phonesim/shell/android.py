"""Android framework tools (getprop, wm, dumpsys, pm, am, monkey, input, screencap, uiautomator,
content, settings). Per-phone state lives on the Phone; screens and apps live in PhoneUI."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import unquote, urlparse

from phonesim import intents
from phonesim.apk import ApkError, read_manifest
from phonesim.keyboards import LATIN_IME
from phonesim.shell import dumpsys as D
from phonesim.shell.registry import Context, command
from phonesim.u2server import already_registered

SYSTEM_PREFIXES = ("android", "com.android.", "com.google.android.")
MEDIA_SCAN = "android.intent.action.MEDIA_SCANNER_SCAN_FILE"


def is_system_package(name: str) -> bool:
    return name == "android" or name.startswith(SYSTEM_PREFIXES[1:])


@command("getprop")
def getprop(ctx: Context) -> int:
    props = ctx.phone.props
    if len(ctx.args) == 1:
        ctx.out("".join(f"[{k}]: [{v}]\n" for k, v in sorted(props.items())))
    else:
        ctx.out(props.get(ctx.args[1], ctx.args[2] if len(ctx.args) > 2 else "") + "\n")
    return 0


@command("setprop")
def setprop(ctx: Context) -> int:
    if len(ctx.args) != 3:
        return ctx.fail("usage: setprop NAME VALUE")
    ctx.phone.props[ctx.args[1]] = ctx.args[2]
    return 0


@command("wm")
def wm(ctx: Context) -> int:
    phone, args = ctx.phone, ctx.args[1:]
    if args[:1] == ["size"]:
        if len(args) == 1:
            w, h = phone.physical_size
            ctx.out(f"Physical size: {w}x{h}\n")
            if phone.override_size:
                ctx.out("Override size: {}x{}\n".format(*phone.override_size))
        elif args[1] == "reset":
            phone.override_size = None
        else:
            w, _, h = args[1].partition("x")
            phone.override_size = (int(w), int(h))
        return 0
    if args[:1] == ["density"]:
        if len(args) == 1:
            ctx.out(f"Physical density: {phone.density}\n")
        return 0
    return ctx.fail("Error: unknown command '{}'".format(" ".join(args)), 255)


@command("dumpsys")
def dumpsys(ctx: Context) -> int:
    service = ctx.args[1] if len(ctx.args) > 1 else ""
    writer = D.SERVICES.get(service)
    if writer is None:
        ctx.out(f"Can't find service: {service}\n")
        return 0
    ctx.out(writer(ctx.phone, ctx.args[2:]))
    return 0


# -- pm ------------------------------------------------------------------------------------------


@command("pm")
def pm(ctx: Context) -> int:
    args = ctx.args[1:]
    sub = args[0] if args else ""
    installed = ctx.phone.ui.installed_packages
    if sub == "list" and args[1:2] == ["packages"]:
        return _pm_list(ctx, args[2:], installed)
    if sub == "path":
        if len(args) < 2 or args[-1] not in installed:
            return 1
        ctx.out(f"package:{D.apk_path(args[-1])}\n")
        return 0
    if sub == "clear":
        ctx.phone.ui.force_stop(args[-1])
        ctx.out("Success\n")
        return 0
    if sub == "uninstall":
        if installed.pop(args[-1], None) is None:
            ctx.out("Failure [DELETE_FAILED_INTERNAL_ERROR]\n")
            return 1
        if ctx.phone.ime.current not in ctx.phone.ime.available():
            ctx.phone.ime.select(LATIN_IME)  # its keyboard is gone: back to the default one
        ctx.out("Success\n")
        return 0
    if sub == "install":
        return _pm_install(ctx, args[-1] if len(args) > 1 else "")
    return ctx.fail(f"Unknown command: {sub}", 255)


def _pm_install(ctx: Context, arg: str) -> int:
    """Install an APK file: the package, version and input methods its manifest declares."""
    path = ctx.path(arg) if arg else ""
    if not path or not ctx.fs.exists(path) or ctx.fs.isdir(path):
        ctx.out(f"Failure [INSTALL_FAILED_INVALID_URI: {arg}]\n")
        return 1
    try:
        manifest = read_manifest(ctx.fs.read(path))
    except ApkError as exc:
        if not ctx.phone.strict:
            ctx.out("Success\n")  # the old simulator accepted any file and installed nothing
            return 0
        ctx.out(f"Failure [INSTALL_PARSE_FAILED_NOT_APK: Failed to parse {path}: {exc}]\n")
        return 1
    ctx.phone.ui.installed_packages[manifest.package] = manifest.version_name
    ctx.phone.ime.installed(manifest.package, manifest.input_methods)
    ctx.out("Success\n")
    return 0


def _pm_list(ctx: Context, args: list[str], installed: dict[str, str]) -> int:
    options = {a for a in args if a.startswith("-")}
    needle = next((a for a in args if not a.startswith("-")), "")
    for name in sorted(installed):
        if needle not in name:
            continue
        if ("-3" in options and is_system_package(name)) or (
            "-s" in options and not is_system_package(name)
        ):
            continue
        prefix = f"{D.apk_path(name)}=" if "-f" in options else ""
        ctx.out(f"package:{prefix}{name}\n")
    return 0


@command("cmd")
async def cmd(ctx: Context) -> int:
    # `cmd package …` and friends are the modern spelling of pm/am/input/wm/ime/settings.
    aliases = {
        "package": pm,
        "activity": am,
        "input": input_,
        "window": wm,
        "input_method": ime,
        "settings": settings,
    }
    service = ctx.args[1] if len(ctx.args) > 1 else ""
    fn = aliases.get(service)
    if fn is None:
        return ctx.fail(f"cmd: Can't find service: {service}", 20)
    ctx.args = [service, *ctx.args[2:]]
    result = fn(ctx)
    return (await result) if asyncio.iscoroutine(result) else result


# -- am / monkey -----------------------------------------------------------------------------


@command("am")
def am(ctx: Context) -> int:
    args = ctx.args[1:]
    sub = args[0] if args else ""
    ui = ctx.phone.ui
    if sub == "force-stop" and len(args) > 1:
        ui.force_stop(args[-1])
        return 0
    if sub in ("start", "start-activity", "broadcast"):
        kind = "broadcast" if sub == "broadcast" else "start"
        try:
            intent = intents.parse(args[1:], kind, strict=ctx.phone.strict)
        except intents.IntentError as exc:
            return _am_exception(ctx, sub, exc)
        return _am_broadcast(ctx, intent) if kind == "broadcast" else _am_start(ctx, intent)
    return ctx.fail(f"Unknown command: {sub}", 255)


def _am_exception(ctx: Context, sub: str, exc: Exception) -> int:
    """What `am` (a ShellCommand) prints when makeIntent throws; its exit status is 255."""
    ctx.err(
        f"\nException occurred while executing '{sub}':\n"
        f"java.lang.IllegalArgumentException: {exc}\n"
        "\tat android.content.Intent.parseCommandArgs(Intent.java:12353)\n"
        "\tat com.android.server.am.ActivityManagerShellCommand.makeIntent"
        "(ActivityManagerShellCommand.java:446)\n"
        "\tat android.os.BasicShellCommandHandler.exec(BasicShellCommandHandler.java:97)\n"
    )
    return 255


SEND_ACTIONS = ("android.intent.action.SEND", "android.intent.action.SEND_MULTIPLE")
STREAM = "android.intent.extra.STREAM"


def _am_start(ctx: Context, intent: intents.Intent) -> int:
    ui = ctx.phone.ui
    if intent.action in SEND_ACTIONS:
        return _am_share(ctx, intent)
    package, _, activity = intent.component.partition("/")
    if "-S" in intent.options and package:
        ui.force_stop(package)
    ctx.out(f"Starting: {intent.describe()}\n")
    if intent.data:
        ui.open_url(intent.data, intent.package or package or None)
        return 0
    if activity.startswith("."):
        activity = package + activity
    if not package or not ui.start_app(package, activity or None):
        ctx.err(f"Error type 3\nError: Activity class {{{intent.component}}} does not exist.\n")
        return 1
    return 0


# The activities that take ACTION_SEND of media, per app family (research real-app-ui.md §2.4.7,
# §3.1); clones keep the original class names.
SHARE_RECEIVERS = {
    "tiktok": ("com.ss.android.ugc.aweme.share.SystemShareActivity",),
    "instagram": tuple(
        f"com.instagram.share.handleractivity.{name}"
        for name in (
            "ShareHandlerActivity",
            "ReelShareHandlerActivity",
            "StoryShareHandlerActivity",
            "ClipsShareHandlerActivity",
            "CustomStoryShareHandlerActivity",
        )
    ),
}


def _am_share(ctx: Context, intent: intents.Intent) -> int:
    """Share files to an app: ACTION_SEND with `--eu STREAM <uri>`. `am` cannot put a Uri list
    in an intent, so a strict SEND_MULTIPLE reaches the app without media: it just opens.
    A `content://media/…/<id>` Uri opens the file MediaStore indexed under that id (one not in
    MediaStore opens nothing); a `file://` Uri the file itself."""
    ui = ctx.phone.ui
    uris = intent.uris(STREAM)
    if not ctx.phone.strict:
        uris = [u for uri in uris for u in uri.split(",") if u]  # the old --eu "a,b" leniency
    paths = [p for p in (_shared_path(ctx, uri) for uri in uris) if p]
    package, _, activity = intent.component.partition("/")
    package = intent.package or package
    if activity.startswith("."):
        activity = package + activity
    if activity and activity not in SHARE_RECEIVERS.get(ui.platform_of(package), ()):
        ctx.out(f"Starting: {intent.describe()}\n")
        ctx.err(f"Error type 3\nError: Activity class {{{intent.component}}} does not exist.\n")
        return 1
    ctx.out(f"Starting: {intent.describe()}\n")
    if package in ui.installed_packages and not paths:
        ui.start_app(package, None)  # no media came through: the app shows its home screen
        return 0
    if not paths or not ui.share_media(package, paths):
        ctx.err("Error: Activity not started, unable to resolve Intent\n")
        return 1
    return 0


def _shared_path(ctx: Context, uri: str) -> str | None:
    if uri.startswith("content://"):
        return ctx.phone.media.path_of(uri)
    return unquote(urlparse(uri).path)


def _am_broadcast(ctx: Context, intent: intents.Intent) -> int:
    dat = f" dat={intent.data}" if intent.data else ""
    has = " (has extras)" if intent.extras else ""
    ctx.out(f"Broadcasting: Intent {{ act={intent.action}{dat} flg=0x400000{has} }}\n")
    if intent.action == MEDIA_SCAN and intent.data:
        # Deprecated since Android 10 but still delivered to the media scanner.
        media_scan(ctx, unquote(urlparse(intent.data).path))
        reply = "Broadcast completed: result=0"
    else:
        reply = ctx.phone.ime.deliver(intent).line()
    ctx.out(reply + "\n")
    return 0


def media_scan(ctx: Context, path: str) -> None:
    """Index a pushed file for `content query` and tell the apps' gallery about it."""
    phone = ctx.phone
    full = phone.fs.normalize(path)
    if phone.fs.exists(full) and not phone.fs.isdir(full):
        phone.media.add(full, len(phone.fs.read(full)))
    elif not phone.fs.exists(full):
        phone.media.remove(full)  # scanning a deleted file removes its row
    phone.ui.media_scan(full)


@command("monkey")
def monkey(ctx: Context) -> int:
    args = ctx.args[1:]
    package = args[args.index("-p") + 1] if "-p" in args[:-1] else None
    if package is None or not ctx.phone.ui.start_app(package, None):
        ctx.out("** No activities found to run, monkey aborted.\n")
        return 251
    ctx.out("  bash arg: -p\n  bash arg: " + package + "\nEvents injected: 1\n")
    ctx.out("## Network stats: elapsed time=12ms (0ms mobile, 0ms wifi, 12ms not connected)\n")
    return 0


# -- input -----------------------------------------------------------------------------------

_SOURCES = {
    "touchscreen",
    "touchpad",
    "keyboard",
    "mouse",
    "dpad",
    "gamepad",
    "stylus",
    "trackball",
}


@command("input")
def input_(ctx: Context) -> int:
    args = [a for a in ctx.args[1:] if a not in _SOURCES]
    if args[:1] == ["-d"]:
        args = args[2:]
    sub, rest = (args[0], args[1:]) if args else ("", [])
    ui = ctx.phone.ui
    try:
        if sub == "tap" and len(rest) >= 2:
            x, y = int(float(rest[0])), int(float(rest[1]))
            ctx.phone.record_tap(x, y)
            ui.tap(x, y)
        elif sub in ("swipe", "draganddrop") and len(rest) >= 4:
            x1, y1, x2, y2 = (int(float(v)) for v in rest[:4])
            ui.swipe(x1, y1, x2, y2, int(rest[4]) if len(rest) > 4 else 300)
        elif sub == "text" and rest:
            # Android's `input text` turns %s into a space; shell quoting is already undone.
            text = rest[0].replace("%s", " ")
            if ctx.phone.strict and not all(" " <= ch <= "~" for ch in text):
                # Only what the virtual keyboard's key map can type: with anything else the
                # `input` process dies and nothing is typed (research real-app-ui.md §4.3).
                ctx.err("Killed\n")
                return 137
            ctx.phone.typed.append(text)
            ui.input_text(text)
        elif sub == "keyevent" and rest:
            for code in (c for c in rest if not c.startswith("--")):
                ctx.phone.press_key(int(code) if code.isdigit() else code)
        else:
            return ctx.fail(f"Error: Unknown command: {sub}\nUsage: input [<source>] <command>", 1)
    except ValueError:
        return ctx.fail("Error: NumberFormatException", 1)
    return 0


# -- screen capture and hierarchy ------------------------------------------------------------


@command("screencap")
def screencap(ctx: Context) -> int:
    operands = [a for a in ctx.args[1:] if not a.startswith("-")]
    png = ctx.phone.ui.screencap_png()
    if operands:
        ctx.fs.write(ctx.path(operands[0]), png, parents=False)
    else:
        ctx.out(png)
    return 0


@command("uiautomator")
async def uiautomator(ctx: Context) -> int:
    args = ctx.args[1:]
    if args[:1] != ["dump"]:
        ctx.out("Usage: uiautomator <subcommand> [options]\n\n  dump [--compressed] [file]\n")
        return 1
    phone = ctx.phone
    if phone.ui_automation_holder() is not None:
        # Only one UiAutomation client at a time: not while the uiautomator2 server runs.
        ctx.err(already_registered(phone))
        return 1
    if phone.strict and phone.ui.animating():
        # waitForIdle(1000 ms idle, 10 s): a playing video never lets the screen go idle.
        phone.ui_automation = "uiautomator dump"
        try:
            await asyncio.sleep(phone.idle_timeout)
        finally:
            phone.ui_automation = None
        if phone.ui.animating():
            ctx.out("ERROR: could not get idle state.\n")
            return 0
    operands = [a for a in args[1:] if not a.startswith("-")]
    target = operands[0] if operands else "/sdcard/window_dump.xml"
    xml = phone.ui.dump_xml()
    if target == "/dev/tty":
        ctx.out(xml)
    else:
        try:
            ctx.fs.write(ctx.path(target), xml.encode())
        except OSError as exc:
            return ctx.fail(f"ERROR: could not write {target}: {exc.strerror}")
    ctx.out(f"UI hierchary dumped to: {target}\n")  # sic: Android's own spelling
    return 0


# -- content, settings, misc -----------------------------------------------------------------


@command("settings")
def settings(ctx: Context) -> int:
    args = ctx.args[1:]
    store = ctx.phone.settings
    if len(args) >= 3 and args[0] == "get":
        ctx.out(store.get((args[1], args[2]), "null") + "\n")
    elif len(args) >= 4 and args[0] == "put":
        store[(args[1], args[2])] = args[3]
    elif len(args) >= 2 and args[0] == "list":
        ctx.out("".join(f"{k}={v}\n" for (ns, k), v in sorted(store.items()) if ns == args[1]))
    else:
        return ctx.fail("usage: settings [get|put|list] NAMESPACE [KEY [VALUE]]")
    return 0


@command("ime")
def ime(ctx: Context) -> int:
    """The InputMethodManager shell command (`ime` = `cmd input_method`)."""
    args, methods = ctx.args[1:], ctx.phone.ime
    sub, target = (args[0] if args else ""), (args[-1] if len(args) > 1 else "")
    if sub == "list":
        listed = methods.available() if "-a" in args else methods.enabled
        if "-s" in args:
            ctx.out("".join(f"{m}\n" for m in listed))
        else:
            ctx.out("".join(f"{m}:\n  mId={m} mSettingsActivityName=null\n" for m in listed))
    elif sub in ("enable", "disable") and target:
        if target not in methods.available():
            return ctx.fail(f"Unknown input method {target} cannot be {sub}d for user #0", 0)
        was = methods.enable(target, sub == "enable")
        done = "already " if was == (sub == "enable") else "now "
        ctx.out(f"Input method {target}: {done}{sub}d for user #0\n")
    elif sub == "set" and target:
        if target not in methods.available():
            return ctx.fail(f"Unknown input method {target} cannot be selected for user #0", 0)
        methods.select(target)
        ctx.out(f"Input method {target} selected for user #0\n")
    elif sub == "reset":
        methods.select(LATIN_IME)
        ctx.out(f"Reset current and enabled IMEs for user #0\n  Selected: {LATIN_IME}\n")
    else:
        return ctx.fail(f"Unknown command: {sub}", 255)
    return 0


@command("svc", "setenforce")
def svc(ctx: Context) -> int:
    return 0


@command("ip", "ifconfig")
def ip(ctx: Context) -> int:
    address = ctx.phone.wlan_ip
    if ctx.args[0] == "ifconfig":
        ctx.out(
            f"wlan0     Link encap:Ethernet\n          inet addr:{address}  Mask:255.255.255.0\n"
        )
    else:
        ctx.out(
            f"47: wlan0: <BROADCAST,MULTICAST,UP,LOWER_UP>\n    inet {address}/24 scope global\n"
        )
    return 0


@command("reboot")
def reboot(ctx: Context) -> int:
    return ctx.fail("reboot: Operation not permitted (the simulator does not reboot)", 1)


@command("uptime")
def uptime(ctx: Context) -> int:
    up = int(time.monotonic() - ctx.phone.booted_at)
    ctx.out(f" {time.strftime('%H:%M:%S')} up {up // 60} min,  0 users,  load average: 0.10\n")
    return 0
