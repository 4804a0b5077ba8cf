"""Runs parsed command lines against one phone: expansion, pipes, redirections, exit codes."""

from __future__ import annotations

import asyncio
import inspect
import posixpath
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from phonesim.shell import parse as P
from phonesim.shell.registry import COMMANDS, STDERR, STDOUT, Context, ExitShell

if TYPE_CHECKING:
    from phonesim.phone import Phone

_GLOB_CHARS = set("*?[")
SH = "/system/bin/sh"
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
Writer = Callable[[int, bytes], Awaitable[None]]


@dataclass
class Result:
    chunks: list[tuple[int, bytes]]
    code: int

    @property
    def output(self) -> bytes:
        """stdout and stderr merged in order, as the legacy ``shell:`` service delivers them."""
        return b"".join(data for _fd, data in self.chunks)

    @property
    def stdout(self) -> bytes:
        return b"".join(data for fd, data in self.chunks if fd == STDOUT)

    @property
    def stderr(self) -> bytes:
        return b"".join(data for fd, data in self.chunks if fd == STDERR)


class Session:
    """A shell process: working directory, variables and the last exit status."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.cwd = "/"
        self.status = 0
        self.env = {
            "PATH": "/sbin:/system/sbin:/system/bin:/system/xbin:/vendor/bin",
            "HOME": "/",
            "EXTERNAL_STORAGE": "/sdcard",
            "ANDROID_DATA": "/data",
            "ANDROID_ROOT": "/system",
            "USER": "shell",
        }
        self._sink: list[tuple[int, bytes]] = []
        self._sent = 0
        self._live: Writer | None = None

    async def run(self, line: str, stdin: bytes = b"", live: Writer | None = None) -> Result:
        """Run a command line. With ``live`` (the adb stream's writer) a long-running command
        can stream its output while it runs (Context.stream); the Result then holds only what
        was not sent yet."""
        chunks: list[tuple[int, bytes]] = []
        self._sink, self._sent, self._live = chunks, 0, live
        try:
            pipelines = P.parse(line)
        except P.ParseError as exc:
            chunks.append((STDERR, f"{SH}: {exc}\n".encode()))
            self.status = 2
            return Result(chunks, 2)
        try:
            for pipeline in pipelines:
                if pipeline.connector == "&&" and self.status != 0:
                    continue
                if pipeline.connector == "||" and self.status == 0:
                    continue
                self.status = await self._pipeline(pipeline, stdin, chunks)
        except ExitShell as exc:
            self.status = exc.code
        return Result(chunks[self._sent :], self.status)

    async def flush(self, ctx: Context) -> None:
        """Send what the line printed so far, then ``ctx``'s own output (see Context.stream)."""
        if self._live is None:
            return
        await self._send(self._sink[self._sent :] + ctx.chunks)
        ctx.chunks.clear()

    async def _send(self, chunks: list[tuple[int, bytes]]) -> None:
        self._sent = len(self._sink)
        for fd, data in chunks:
            if data and self._live is not None:
                await self._live(fd, data)

    async def _pipeline(self, pipeline: P.Pipeline, stdin: bytes, sink: list) -> int:
        code = 0
        for i, cmd in enumerate(pipeline.commands):
            last = i == len(pipeline.commands) - 1
            chunks, code = await self._command(cmd, stdin, live=last)
            if last:
                sink.extend(chunks)
            else:
                stdin = b"".join(d for fd, d in chunks if fd == STDOUT)
                sink.extend((fd, d) for fd, d in chunks if fd == STDERR)
        return code

    async def _command(self, cmd: P.Command, stdin: bytes, live: bool = False) -> tuple[list, int]:
        args = [a for w in cmd.words for a in self.expand(w)]
        for r in cmd.redirects:
            if r.op == "<":
                try:
                    stdin = self.phone.fs.read(self._target(r))
                except OSError as exc:
                    return [(STDERR, f"{SH}: {self._target(r)}: {exc.strerror}\n".encode())], 1
        env = {}
        while args and _ASSIGNMENT.match(args[0]):
            name, _, value = args.pop(0).partition("=")
            env[name] = value
        if not args:
            self.env.update(env)  # a bare assignment sets a shell variable
            return [], 0
        ctx = Context(self.phone, self, args, stdin, env=env)
        ctx.live = live and not cmd.redirects and self._live is not None
        code = await self._invoke(ctx)
        return self._redirect(ctx.chunks, cmd.redirects), code

    async def _invoke(self, ctx: Context) -> int:
        name = posixpath.basename(ctx.args[0])
        fn = COMMANDS.get(name)
        if name in self.phone.faults.missing_commands:
            fn = None  # e.g. a ROM without app_process in its PATH
        if fn is None:
            ctx.err(f"{SH}: {ctx.args[0]}: not found\n")
            return 127
        delay = self.phone.faults.delay_for(name)
        if delay:
            await asyncio.sleep(delay)
        result = fn(ctx)
        if inspect.isawaitable(result):
            result = await result
        return int(result or 0) & 0xFF

    def _target(self, r: P.Redirect) -> str:
        return "".join(self.expand(r.target, glob=False))

    def _redirect(self, chunks: list, redirects: list[P.Redirect]) -> list:
        for r in redirects:
            if r.op == "<":
                continue
            target = self._target(r)
            if r.op == ">&":
                chunks = [(int(target) if fd == r.fd else fd, d) for fd, d in chunks]
                continue
            data = b"".join(d for fd, d in chunks if fd == r.fd)
            chunks = [(fd, d) for fd, d in chunks if fd != r.fd]
            if target != "/dev/null":
                path = self.phone.fs.normalize(target, self.cwd)
                try:
                    self.phone.fs.write(path, data, append=r.op == ">>")
                except OSError as exc:
                    chunks.append((STDERR, f"{SH}: {target}: {exc.strerror}\n".encode()))
        return chunks

    # -- expansion ---------------------------------------------------------------------------

    def variable(self, name: str) -> str:
        if name == "?":
            return str(self.status)
        if name == "$":
            return str(self.phone.pid)
        if name == "#":
            return "0"
        return self.env.get(name, "")

    def expand(self, word: P.Word, *, glob: bool = True) -> list[str]:
        parts = [
            (self.variable(t) if kind == "var" else t, kind, quoted) for kind, t, quoted in word
        ]
        text = "".join(t for t, _k, _q in parts)
        if not (glob and any(k == "lit" and not q and _GLOB_CHARS & set(t) for t, k, q in parts)):
            # An unquoted empty variable vanishes; a quoted one stays an empty argument.
            if text == "" and all(k == "var" and not q for _t, k, q in parts):
                return []
            return [text]
        pattern = "".join(t if k == "lit" and not q else _escape_glob(t) for t, k, q in parts)
        return self.phone.fs.glob(pattern, self.cwd) or [text]


def _escape_glob(text: str) -> str:
    return "".join(f"[{c}]" if c in _GLOB_CHARS else c for c in text)
