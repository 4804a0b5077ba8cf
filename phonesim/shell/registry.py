"""The table from command name to its implementation, filled by the command modules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phonesim.phone import Phone
    from phonesim.shell.interp import Session

STDOUT, STDERR = 1, 2


class ExitShell(Exception):
    """``exit N``: stop the whole command line with status N."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Context:
    """What one command invocation sees: its args, stdin and ordered output chunks."""

    phone: Phone
    session: Session
    args: list[str]
    stdin: bytes = b""
    chunks: list[tuple[int, bytes]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # `VAR=value cmd` prefixes, over the shell's
    live: bool = False  # output goes straight to the adb stream (not piped or redirected)

    def out(self, data: str | bytes) -> None:
        self.chunks.append((STDOUT, data.encode() if isinstance(data, str) else data))

    async def stream(self, data: str | bytes, fd: int = STDOUT) -> None:
        """Output a long-running command shows while it runs (e.g. a server's log lines): sent
        to the adb stream at once when nothing captures it, else kept like out()."""
        self.chunks.append((fd, data.encode() if isinstance(data, str) else data))
        if self.live:
            await self.session.flush(self)

    def getenv(self, name: str) -> str:
        return self.env.get(name, self.session.env.get(name, ""))

    def err(self, data: str | bytes) -> None:
        self.chunks.append((STDERR, data.encode() if isinstance(data, str) else data))

    def fail(self, message: str, code: int = 1) -> int:
        self.err(message.rstrip("\n") + "\n")
        return code

    @property
    def fs(self):
        return self.phone.fs

    def path(self, arg: str) -> str:
        return self.phone.fs.normalize(arg, self.session.cwd)


CommandFn = Callable[[Context], "int | Awaitable[int]"]
COMMANDS: dict[str, CommandFn] = {}


def command(*names: str) -> Callable[[CommandFn], CommandFn]:
    def register(fn: CommandFn) -> CommandFn:
        for name in names:
            COMMANDS[name] = fn
        return fn

    return register
