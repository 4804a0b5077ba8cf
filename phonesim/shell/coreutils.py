"""toybox-like file and text commands over the phone's in-memory filesystem."""

from __future__ import annotations

import asyncio
import hashlib
import posixpath
import re
import stat
import time

from phonesim.shell.registry import Context, ExitShell, command


def _flags(args: list[str]) -> tuple[set[str], list[str]]:
    """Split '-rf' style flags from operands (flags only before the first operand or '--')."""
    flags: set[str] = set()
    rest = list(args)
    while rest and rest[0].startswith("-") and len(rest[0]) > 1:
        arg = rest.pop(0)
        if arg == "--":
            break
        flags.update(arg[1:])
    return flags, rest


@command("true")
def _true(ctx: Context) -> int:
    return 0


@command("false")
def _false(ctx: Context) -> int:
    return 1


@command("exit")
def _exit(ctx: Context) -> int:
    raise ExitShell(int(ctx.args[1]) if len(ctx.args) > 1 and ctx.args[1].isdigit() else 0)


@command("echo")
def echo(ctx: Context) -> int:
    args = ctx.args[1:]
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    ctx.out(" ".join(args) + ("\n" if newline else ""))
    return 0


@command("sleep")
async def sleep(ctx: Context) -> int:
    try:
        await asyncio.sleep(float(ctx.args[1]))
    except (IndexError, ValueError):
        return ctx.fail("sleep: bad argument")
    return 0


@command("sh")
async def sh(ctx: Context) -> int:
    if len(ctx.args) >= 3 and ctx.args[1] == "-c":
        result = await ctx.session.__class__(ctx.phone).run(ctx.args[2], ctx.stdin)
    else:
        result = await ctx.session.__class__(ctx.phone).run(ctx.stdin.decode(errors="replace"))
    ctx.chunks.extend(result.chunks)
    return result.code


@command("pwd")
def pwd(ctx: Context) -> int:
    ctx.out(ctx.session.cwd + "\n")
    return 0


@command("cd")
def cd(ctx: Context) -> int:
    target = ctx.path(ctx.args[1] if len(ctx.args) > 1 else "/")
    if not ctx.fs.isdir(target):
        return ctx.fail(f"/system/bin/sh: cd: {ctx.args[1]}: No such file or directory", 2)
    ctx.session.cwd = target
    return 0


@command("id")
def id_(ctx: Context) -> int:
    ctx.out("uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log)\n")
    return 0


@command("whoami")
def whoami(ctx: Context) -> int:
    ctx.out("shell\n")
    return 0


@command("date")
def date(ctx: Context) -> int:
    """`date [+FORMAT]`; the phone's time zone is UTC."""
    formats = [a[1:] for a in ctx.args[1:] if a.startswith("+")]
    now = time.time()
    if formats:
        ctx.out(time.strftime(formats[-1].replace("%s", str(int(now))), time.gmtime(now)) + "\n")
    else:
        ctx.out(time.strftime("%a %b %d %H:%M:%S UTC %Y\n", time.gmtime(now)))
    return 0


@command("which")
def which(ctx: Context) -> int:
    from phonesim.shell.registry import COMMANDS

    code = 0
    for name in ctx.args[1:]:
        if name in COMMANDS:
            ctx.out(f"/system/bin/{name}\n")
        else:
            code = 1
    return code


@command("chmod", "chown", "sync", "log")
def noop(ctx: Context) -> int:
    return 0


def _long_line(name: str, mode: int, size: int, mtime: int) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(mtime))
    kind = "d" if stat.S_ISDIR(mode) else "-"
    perms = stat.filemode(mode)[1:]
    return f"{kind}{perms} 1 shell shell {size:>8} {when} {name}\n"


@command("ls")
def ls(ctx: Context) -> int:
    flags, operands = _flags(ctx.args[1:])
    code = 0
    for arg in operands or ["."]:
        node = ctx.fs.lookup(ctx.path(arg))
        if node is None:
            code = ctx.fail(f"ls: {arg}: No such file or directory")
            continue
        if len(operands) > 1 and node.is_dir:
            ctx.out(f"{arg}:\n")
        entries = sorted(node.children.items()) if node.is_dir else [(arg, node)]
        for name, child in entries:
            if name.startswith(".") and "a" not in flags:
                continue
            if "l" in flags:
                ctx.out(_long_line(name, child.mode, child.size, child.mtime))
            else:
                ctx.out(name + "\n")
    return code


@command("cat")
def cat(ctx: Context) -> int:
    if len(ctx.args) == 1:
        ctx.out(ctx.stdin)
        return 0
    code = 0
    for arg in ctx.args[1:]:
        try:
            ctx.out(ctx.fs.read(ctx.path(arg)))
        except OSError as exc:
            code = ctx.fail(f"cat: {arg}: {exc.strerror}")
    return code


@command("rm")
def rm(ctx: Context) -> int:
    flags, operands = _flags(ctx.args[1:])
    code = 0
    for arg in operands:
        try:
            ctx.fs.remove(ctx.path(arg), recursive=bool(flags & {"r", "R"}))
        except OSError as exc:
            if not ("f" in flags and not ctx.fs.exists(ctx.path(arg))):
                code = ctx.fail(f"rm: {arg}: {exc.strerror}")
    return code


@command("rmdir")
def rmdir(ctx: Context) -> int:
    code = 0
    for arg in ctx.args[1:]:
        path = ctx.path(arg)
        if not ctx.fs.isdir(path) or ctx.fs.listdir(path):
            code = ctx.fail(f"rmdir: {arg}: Directory not empty or missing")
            continue
        ctx.fs.remove(path, recursive=True)
    return code


@command("mkdir")
def mkdir(ctx: Context) -> int:
    flags, operands = _flags(ctx.args[1:])
    code = 0
    for arg in operands:
        try:
            ctx.fs.mkdir(ctx.path(arg), parents="p" in flags)
        except OSError as exc:
            code = ctx.fail(f"mkdir: '{arg}': {exc.strerror}")
    return code


@command("touch")
def touch(ctx: Context) -> int:
    """toybox touch [-amc] [-d DATE] [-t TIME] FILE…: DATE is `@SECONDS` or
    `YYYY-MM-DDThh:mm:ss`, TIME `[[CC]YY]MMDDhhmm[.ss]`, both UTC (the phone's time zone)."""
    args, when, create = list(ctx.args[1:]), int(time.time()), True
    files = []
    while args:
        arg = args.pop(0)
        if arg in ("-d", "-t"):
            value = args.pop(0) if args else ""
            parsed = _touch_time(arg, value)
            if parsed is None:
                return ctx.fail(f"touch: bad '{value}'")
            when = parsed
        elif arg.startswith("-") and len(arg) > 1 and set(arg[1:]) <= set("amch"):
            create = create and "c" not in arg
        else:
            files.append(arg)
    code = 0
    for arg in files:
        path = ctx.path(arg)
        node = ctx.fs.lookup(path)
        try:
            if node is None and create:
                ctx.fs.write(path, b"", mtime=when)
            elif node is not None:
                node.mtime = when
        except OSError as exc:
            code = ctx.fail(f"touch: '{arg}': {exc.strerror}")
    return code


def _touch_time(option: str, value: str) -> int | None:
    import calendar

    try:
        if option == "-d" and value.startswith("@"):
            return int(value[1:])
        if option == "-d":
            return calendar.timegm(time.strptime(value.split(".")[0], "%Y-%m-%dT%H:%M:%S"))
        stamp, _, seconds = value.partition(".")
        stamp = {8: time.strftime("%Y") + stamp, 10: "20" + stamp}.get(len(stamp), stamp)
        parsed = time.strptime(stamp + (seconds or "00"), "%Y%m%d%H%M%S")
        return calendar.timegm(parsed)
    except ValueError:
        return None


@command("mv")
def mv(ctx: Context) -> int:
    operands = _flags(ctx.args[1:])[1]
    if len(operands) != 2:
        return ctx.fail("mv: needs 2 arguments")
    try:
        ctx.fs.rename(ctx.path(operands[0]), ctx.path(operands[1]))
    except OSError as exc:
        return ctx.fail(f"mv: {operands[0]}: {exc.strerror}")
    return 0


@command("cp")
def cp(ctx: Context) -> int:
    operands = _flags(ctx.args[1:])[1]
    if len(operands) != 2:
        return ctx.fail("cp: needs 2 arguments")
    src, dst = ctx.path(operands[0]), ctx.path(operands[1])
    if ctx.fs.isdir(dst):
        dst = posixpath.join(dst, posixpath.basename(src))
    try:
        ctx.fs.write(dst, ctx.fs.read(src))
    except OSError as exc:
        return ctx.fail(f"cp: {operands[0]}: {exc.strerror}")
    return 0


def _input_lines(ctx: Context, files: list[str]) -> list[str] | None:
    data = ctx.stdin
    if files:
        try:
            data = b"".join(ctx.fs.read(ctx.path(f)) for f in files)
        except OSError as exc:
            ctx.fail(f"{ctx.args[0]}: {exc.filename}: {exc.strerror}")
            return None
    return data.decode(errors="replace").splitlines(keepends=True)


@command("grep")
def grep(ctx: Context) -> int:
    flags, operands = _flags(ctx.args[1:])
    if not operands:
        return ctx.fail("usage: grep [-iqv] PATTERN [FILE...]", 2)
    regex = re.compile(operands[0], re.IGNORECASE if "i" in flags else 0)
    lines = _input_lines(ctx, operands[1:])
    if lines is None:
        return 2
    hits = [line for line in lines if bool(regex.search(line)) != ("v" in flags)]
    if "q" not in flags:
        ctx.out("".join(line if line.endswith("\n") else line + "\n" for line in hits))
    return 0 if hits else 1


def _count_arg(ctx: Context) -> tuple[int, list[str]]:
    args, count = ctx.args[1:], 10
    if args and args[0] == "-n" and len(args) > 1:
        count, args = int(args[1]), args[2:]
    elif args and args[0].startswith("-") and args[0][1:].isdigit():
        count, args = int(args[0][1:]), args[1:]
    return count, args


@command("head")
def head(ctx: Context) -> int:
    count, files = _count_arg(ctx)
    lines = _input_lines(ctx, files)
    if lines is None:
        return 1
    ctx.out("".join(lines[:count]))
    return 0


@command("tail")
def tail(ctx: Context) -> int:
    count, files = _count_arg(ctx)
    lines = _input_lines(ctx, files)
    if lines is None:
        return 1
    ctx.out("".join(lines[-count:] if count else []))
    return 0


@command("wc")
def wc(ctx: Context) -> int:
    flags, files = _flags(ctx.args[1:])
    data = ctx.stdin if not files else b"".join(ctx.fs.read(ctx.path(f)) for f in files)
    counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data)}
    picked = [str(counts[k]) for k in "lwc" if k in flags] or [str(v) for v in counts.values()]
    ctx.out(" ".join(picked) + "\n")
    return 0


@command("md5sum")
def md5sum(ctx: Context) -> int:
    code = 0
    for arg in ctx.args[1:]:
        try:
            ctx.out(f"{hashlib.md5(ctx.fs.read(ctx.path(arg))).hexdigest()}  {arg}\n")
        except OSError as exc:
            code = ctx.fail(f"md5sum: {arg}: {exc.strerror}")
    return code


@command("toybox")
async def toybox(ctx: Context) -> int:
    from phonesim.shell.registry import COMMANDS

    if len(ctx.args) < 2 or ctx.args[1] not in COMMANDS:
        return ctx.fail(f"toybox: Unknown command {ctx.args[1:2]}")
    ctx.args = ctx.args[1:]
    result = COMMANDS[ctx.args[0]](ctx)
    return (await result) if asyncio.iscoroutine(result) else result
