"""`app_process`: run a Java main class from the jars in $CLASSPATH, as uiautomator2 3.x starts
its server (`CLASSPATH=/data/local/tmp/u2.jar app_process / com.wetest.uia2.Main -p 9008`).

The class must really be in a pushed jar (its dex declares it); the only class the simulator
can run is u2.jar's `com.wetest.uia2.Main`, whose options and messages follow U2S `Main.java`.
"""

from __future__ import annotations

from phonesim.apk import declares_class
from phonesim.shell.registry import Context, command
from phonesim.u2server import DEFAULT_PORT, MAIN_CLASS

USAGE = "Usage: app_process [java-options] cmd-dir start-class-name [options]\n"
U2_HELP = (
    "usage: uiautomator2-server\n"
    " -h,--help        Print this help message\n"
    f" -p,--port <arg>  Port to listen on (1-65535, default: {DEFAULT_PORT})\n"
)


def _loadable(ctx: Context, class_name: str) -> bool:
    for jar in ctx.getenv("CLASSPATH").split(":"):
        path = ctx.path(jar) if jar else ""
        usable = path and ctx.fs.exists(path) and not ctx.fs.isdir(path)
        if usable and declares_class(ctx.fs.read(path), class_name):
            return True
    return False


@command("app_process", "app_process64", "app_process32")
async def app_process(ctx: Context) -> int:
    args = ctx.args[1:]
    while args and args[0].startswith("-"):  # VM options (-Xmx…) come before cmd-dir
        args = args[1:]
    if len(args) < 2:
        return ctx.fail(USAGE, 1)
    class_name, options = args[1], args[2:]
    if not _loadable(ctx, class_name):
        # What the runtime reports when no jar on the class path has the class (the exact
        # wording is a best guess; no public capture of it was found).
        jars = ", ".join(f'zip file "{j}"' for j in ctx.getenv("CLASSPATH").split(":") if j)
        return ctx.fail(
            f'java.lang.ClassNotFoundException: Didn\'t find class "{class_name}" on path: '
            f"DexPathList[[{jars}],nativeLibraryDirectories=[/system/lib64, /system_ext/lib64]]",
            1,
        )
    if class_name != MAIN_CLASS:
        return ctx.fail(f"phonesim: app_process can only run {MAIN_CLASS} (uiautomator2)", 1)
    port = _port(ctx, options)
    if port is None:
        return 1
    if port == 0:
        ctx.out(U2_HELP)
        return 0
    return await ctx.phone.u2.run(ctx, port)


def _port(ctx: Context, options: list[str]) -> int | None:
    """Main.java's option parsing: -p/--port N (1-65535), -h/--help (returned as 0)."""
    value = str(DEFAULT_PORT)
    i = 0
    while i < len(options):
        option = options[i]
        if option in ("-h", "--help"):
            return 0
        if option in ("-p", "--port"):
            if i + 1 >= len(options):
                ctx.err(f"Missing argument for option: {option[-1]}\n" + U2_HELP)
                return None
            value = options[i + 1]
            i += 2
            continue
        ctx.err(f"Unrecognized option: {option}\n" + U2_HELP)
        return None
    if not value.lstrip("-").isdigit():
        ctx.err(f"Invalid port: {value}. Must be an integer between 1 and 65535.\n")
        return None
    if not 1 <= int(value) <= 65535:
        ctx.err(f"Invalid port: {value}. Must be between 1 and 65535.\n")
        return None
    return int(value)
