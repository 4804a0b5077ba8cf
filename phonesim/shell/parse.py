"""A small POSIX-ish command-line parser: quotes, backslashes, ``$?``/``$VAR``, ``;``, ``&&``,
``||``, ``|``, redirections. Enough for what adbutils, the adb CLI and our scripts send."""

from __future__ import annotations

from dataclasses import dataclass, field

# A word is a list of parts: (kind, text, quoted). kind is "lit" or "var"; unquoted literal
# parts are where globbing may happen.
Part = tuple[str, str, bool]
Word = list[Part]

OPERATORS = ("&&", "||", ";", "|", "&", "\n")
_REDIRECTS = (">>", ">", "<")


class ParseError(ValueError):
    pass


@dataclass
class Redirect:
    fd: int  # 0, 1 or 2
    op: str  # ">", ">>", "<", ">&"
    target: Word


@dataclass
class Command:
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list[Command]
    connector: str = ";"  # how this pipeline joins the PREVIOUS one: ";", "&&" or "||"


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def peek(self, n: int = 1) -> str:
        return self.text[self.i : self.i + n]

    def tokens(self) -> list[tuple[str, object]]:
        out: list[tuple[str, object]] = []
        while self.i < len(self.text):
            c = self.text[self.i]
            if c in " \t\r":
                self.i += 1
            elif c == "#" and (not out or out[-1][0] == "op"):
                self._skip_comment()
            elif op := self._operator():
                out.append(("op", op))
            elif redirect := self._redirect():
                out.append(("redir", redirect))
            else:
                out.append(("word", self._word()))
        return out

    def _skip_comment(self) -> None:
        while self.i < len(self.text) and self.text[self.i] != "\n":
            self.i += 1

    def _operator(self) -> str | None:
        for op in OPERATORS:
            if self.text.startswith(op, self.i):
                if op == "&" and self.peek(2) == "&>":
                    return None
                self.i += len(op)
                return op
        return None

    def _redirect(self) -> tuple[int, str] | None:
        start = self.i
        fd = None
        if self.peek().isdigit() and self.text[self.i + 1 : self.i + 2] in "<>":
            fd = int(self.peek())
            self.i += 1
        for op in _REDIRECTS:
            if self.text.startswith(op, self.i):
                self.i += len(op)
                if self.peek() == "&":  # 2>&1, >&2
                    self.i += 1
                    op = ">&"
                return (fd if fd is not None else (0 if op == "<" else 1), op)
        self.i = start
        return None

    def _word(self) -> Word:
        parts: Word = []
        while self.i < len(self.text):
            c = self.text[self.i]
            if c in " \t\r\n;&|<>":
                break
            if c == "'":
                parts.append(("lit", self._single_quoted(), True))
            elif c == '"':
                parts.extend(self._double_quoted())
            elif c == "\\":
                self.i += 2
                if self.text[self.i - 1 : self.i] != "\n":  # backslash-newline continues a line
                    parts.append(("lit", self.text[self.i - 1 : self.i], True))
            elif c == "$" and (var := self._variable()):
                parts.append(("var", var, False))
            else:
                parts.append(("lit", c, False))
                self.i += 1
        return parts

    def _single_quoted(self) -> str:
        end = self.text.find("'", self.i + 1)
        if end < 0:
            raise ParseError("unterminated '")
        text = self.text[self.i + 1 : end]
        self.i = end + 1
        return text

    def _double_quoted(self) -> Word:
        self.i += 1
        parts: Word = []
        while True:
            if self.i >= len(self.text):
                raise ParseError('unterminated "')
            c = self.text[self.i]
            if c == '"':
                self.i += 1
                return parts or [("lit", "", True)]
            if c == "\\" and self.peek(2)[1:] in ('"', "\\", "$", "`", "\n"):
                parts.append(("lit", self.text[self.i + 1], True))
                self.i += 2
            elif c == "$" and (var := self._variable()):
                parts.append(("var", var, True))
            else:
                parts.append(("lit", c, True))
                self.i += 1

    def _variable(self) -> str | None:
        rest = self.text[self.i + 1 :]
        if rest[:1] in ("?", "$", "#", "!") and rest[:1]:
            self.i += 2
            return rest[0]
        if rest.startswith("{") and "}" in rest:
            name = rest[1 : rest.index("}")]
            self.i += len(name) + 3
            return name
        n = 0
        while n < len(rest) and (rest[n].isalnum() or rest[n] == "_"):
            n += 1
        if n == 0:
            return None
        self.i += n + 1
        return rest[:n]


def parse(text: str) -> list[Pipeline]:
    """Parse a command line into pipelines joined by ``;``/``&&``/``||``."""
    pipelines: list[Pipeline] = []
    current = Command()
    commands: list[Command] = []
    connector = ";"
    tokens = _Lexer(text).tokens()
    it = iter(tokens)
    for kind, value in it:
        if kind == "word":
            current.words.append(value)
        elif kind == "redir":
            target = next(it, None)
            if target is None or target[0] != "word":
                raise ParseError("syntax error: redirection without a target")
            fd, op = value
            current.redirects.append(Redirect(fd, op, target[1]))
        elif value == "|":
            if not current.words:
                raise ParseError("syntax error: unexpected '|'")
            commands.append(current)
            current = Command()
        else:
            if current.words or current.redirects:
                commands.append(current)
            elif commands or value in ("&&", "||"):
                raise ParseError(f"syntax error: unexpected '{value}'")
            if commands:
                pipelines.append(Pipeline(commands, connector))
            commands, current = [], Command()
            connector = ";" if value in (";", "&", "\n") else value
    if current.words or current.redirects:
        commands.append(current)
    elif commands:
        raise ParseError("syntax error: unexpected end of line")
    if commands:
        pipelines.append(Pipeline(commands, connector))
    return pipelines
