"""Android framework tools (getprop, wm, dumpsys, pm, am, monkey, input, screencap, uiautomator,
content, settings). Per-phone state lives on the Phone; screens and apps live in PhoneUI."""

from __future__ import annotations

import time
from urllib.parse import unquote, urlparse

from phonesim.shell import dumpsys as D
from phonesim.shell.registry import Context, command

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
        ctx.out("Success\n")
        return 0
    if sub == "install":
        if not ctx.fs.exists(ctx.path(args[-1])):
            ctx.out(f"Failure [INSTALL_FAILED_INVALID_URI: {args[-1]}]\n")
            return 1
        ctx.out("Success\n")  # the simulator cannot parse APKs; nothing new gets installed
        return 0
    return ctx.fail(f"Unknown command: {sub}", 255)


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
def cmd(ctx: Context) -> int:
    # `cmd package …` and friends are the modern spelling of pm/am/input/wm.
    aliases = {"package": pm, "activity": am, "input": input_, "window": wm}
    fn = aliases.get(ctx.args[1] if len(ctx.args) > 1 else "")
    if fn is None:
        return ctx.fail(f"cmd: Can't find service: {ctx.args[1:2]}", 20)
    ctx.args = [ctx.args[1], *ctx.args[2:]]
    return fn(ctx)


# -- am / monkey -----------------------------------------------------------------------------


def _intent_options(args: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Parse `-a/-d/-n/-p/-c` and `--es/--ei/--ez k v` extras (value flags like -W are skipped)."""
    opts: dict[str, str] = {}
    extras: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--es", "--ei", "--ez", "--el", "--ef", "--eu", "--eua", "-e") and i + 2 < len(
            args
        ):
            extras[args[i + 1]] = args[i + 2]
            i += 3
        elif arg in ("-a", "-d", "-n", "-p", "-c", "-t", "-f", "--user") and i + 1 < len(args):
            opts[arg] = args[i + 1]
            i += 2
        elif not arg.startswith("-") and "-n" not in opts and "/" in arg:
            opts["-n"] = arg
            i += 1
        else:
            i += 1
    return opts, extras


@command("am")
def am(ctx: Context) -> int:
    args = ctx.args[1:]
    sub = args[0] if args else ""
    ui = ctx.phone.ui
    if sub == "force-stop" and len(args) > 1:
        ui.force_stop(args[-1])
        return 0
    if sub in ("start", "start-activity"):
        return _am_start(ctx, args[1:])
    if sub == "broadcast":
        return _am_broadcast(ctx, args[1:])
    return ctx.fail(f"Error: Unknown command: {sub}", 255)


SEND_ACTIONS = ("android.intent.action.SEND", "android.intent.action.SEND_MULTIPLE")
STREAM = "android.intent.extra.STREAM"


def _am_start(ctx: Context, args: list[str]) -> int:
    opts, extras = _intent_options(args)
    ui = ctx.phone.ui
    if opts.get("-a") in SEND_ACTIONS:
        return _am_share(ctx, opts, extras)
    if "-S" in args and "-n" in opts:
        ui.force_stop(opts["-n"].split("/")[0])
    if "-d" in opts:
        ctx.out(f"Starting: Intent {{ act={opts.get('-a', '')} dat={opts['-d']} }}\n")
        ui.open_url(opts["-d"], opts.get("-p"))
        return 0
    component = opts.get("-n", "")
    package, _, activity = component.partition("/")
    if activity.startswith("."):
        activity = package + activity
    ctx.out(f"Starting: Intent {{ cmp={component} }}\n")
    if not package or not ui.start_app(package, activity or None):
        ctx.err(f"Error type 3\nError: Activity class {{{component}}} does not exist.\n")
        return 1
    return 0


def _am_share(ctx: Context, opts: dict[str, str], extras: dict[str, str]) -> int:
    """Share files to an app (ACTION_SEND / SEND_MULTIPLE with `--eu`/`--eua` STREAM uris)."""
    uris = [u for u in extras.get(STREAM, "").split(",") if u]
    paths = [unquote(urlparse(uri).path) for uri in uris]
    ctx.out(f"Starting: Intent {{ act={opts['-a']} typ={opts.get('-t', '')} }}\n")
    if not paths or not ctx.phone.ui.share_media(opts.get("-p", ""), paths):
        ctx.err("Error: Activity not started, unable to resolve Intent\n")
        return 1
    return 0


def _am_broadcast(ctx: Context, args: list[str]) -> int:
    opts, extras = _intent_options(args)
    action = opts.get("-a", "")
    data = opts.get("-d", "")
    ctx.out(
        f"Broadcasting: Intent {{ act={action}{' dat=' + data if data else ''} flg=0x400000 }}\n"
    )
    if action == MEDIA_SCAN and data:
        media_scan(ctx, unquote(urlparse(data).path))
        ctx.out("Broadcast completed: result=0\n")
        return 0
    reply = ctx.phone.ui.broadcast(action, extras)
    ctx.out(reply if reply else "Broadcast completed: result=0\n")
    if reply and not reply.endswith("\n"):
        ctx.out("\n")
    return 0


def media_scan(ctx: Context, path: str) -> None:
    """Index a pushed file for `content query` and tell the apps' gallery about it."""
    phone = ctx.phone
    full = phone.fs.normalize(path)
    if phone.fs.exists(full) and not phone.fs.isdir(full):
        phone.media.add(full, len(phone.fs.read(full)))
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
            ctx.phone.typed.append(text)
            ui.input_text(text)
        elif sub == "keyevent" and rest:
            for code in (c for c in rest if not c.startswith("--")):
                ui.keyevent(int(code) if code.isdigit() else code)
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
def uiautomator(ctx: Context) -> int:
    args = ctx.args[1:]
    if args[:1] != ["dump"]:
        ctx.out("Usage: uiautomator <subcommand> [options]\n\n  dump [--compressed] [file]\n")
        return 1
    operands = [a for a in args[1:] if not a.startswith("-")]
    target = operands[0] if operands else "/sdcard/window_dump.xml"
    xml = ctx.phone.ui.dump_xml()
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


@command("content")
def content(ctx: Context) -> int:
    args = ctx.args[1:]
    if args[:1] != ["query"] or "--uri" not in args:
        return ctx.fail("usage: content query --uri <URI> [--projection a:b] [--where …]")
    uri = args[args.index("--uri") + 1]
    projection = args[args.index("--projection") + 1].split(":") if "--projection" in args else []
    rows = ctx.phone.media.query(uri)
    if not rows:
        ctx.out("No result found.\n")
    for n, row in enumerate(rows):
        cols = [(k, row[k]) for k in projection if k in row] if projection else list(row.items())
        ctx.out(f"Row: {n} " + ", ".join(f"{k}={v}" for k, v in cols) + "\n")
    return 0


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
    args = ctx.args[1:]
    if args[:1] == ["set"] and len(args) > 1:
        ctx.phone.settings[("secure", "default_input_method")] = args[1]
        ctx.out(f"Input method {args[1]} selected for user #0\n")
    elif args[:1] in (["enable"], ["disable"]) and len(args) > 1:
        ctx.out(
            f"Input method {args[1]}: {'now' if args[0] == 'enable' else 'no longer'} enabled\n"
        )
    elif args[:1] == ["list"]:
        ctx.out("com.android.adbkeyboard/.AdbIME\ncom.google.android.inputmethod.latin/.LatinIME\n")
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
