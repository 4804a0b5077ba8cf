"""Runs parsed command lines against one phone: expansion, pipes, redirections, exit codes."""

from __future__ import annotations

import asyncio
import inspect
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING

from phonesim.shell import parse as P
from phonesim.shell.registry import COMMANDS, STDERR, STDOUT, Context, ExitShell

if TYPE_CHECKING:
    from phonesim.phone import Phone

_GLOB_CHARS = set("*?[")
SH = "/system/bin/sh"


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

    async def run(self, line: str, stdin: bytes = b"") -> Result:
        chunks: list[tuple[int, bytes]] = []
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
        return Result(chunks, self.status)

    async def _pipeline(self, pipeline: P.Pipeline, stdin: bytes, sink: list) -> int:
        code = 0
        for i, cmd in enumerate(pipeline.commands):
            last = i == len(pipeline.commands) - 1
            chunks, code = await self._command(cmd, stdin)
            if last:
                sink.extend(chunks)
            else:
                stdin = b"".join(d for fd, d in chunks if fd == STDOUT)
                sink.extend((fd, d) for fd, d in chunks if fd == STDERR)
        return code

    async def _command(self, cmd: P.Command, stdin: bytes) -> tuple[list, int]:
        args = [a for w in cmd.words for a in self.expand(w)]
        for r in cmd.redirects:
            if r.op == "<":
                try:
                    stdin = self.phone.fs.read(self._target(r))
                except OSError as exc:
                    return [(STDERR, f"{SH}: {self._target(r)}: {exc.strerror}\n".encode())], 1
        if not args:
            return [], 0
        ctx = Context(self.phone, self, args, stdin)
        code = await self._invoke(ctx)
        return self._redirect(ctx.chunks, cmd.redirects), code

    async def _invoke(self, ctx: Context) -> int:
        name = posixpath.basename(ctx.args[0])
        fn = COMMANDS.get(name)
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
