"""The phone's MediaStore: files that were media-scanned, answered by `content query` and
resolved from their `content://media/…/<id>` Uris when shared to an app."""

from __future__ import annotations

import mimetypes
import posixpath
import re
import time

_KINDS = {"images": "image/", "video": "video/", "audio": "audio/"}
# The WHERE clauses `content query --where` understands here: `col='value'` and
# `col LIKE 'pattern'` (% and _ wildcards), joined with OR. SQL quotes double inside a value.
_TERM = re.compile(r"\s*(\w+)\s*(=|LIKE)\s*'((?:[^']|'')*)'\s*", re.I)


class WhereError(ValueError):
    """A clause the simulated provider cannot evaluate (SQLite would say: syntax error)."""


class MediaStore:
    def __init__(self) -> None:
        self._rows: dict[str, dict[str, str]] = {}
        self._next_id = 1000

    def add(self, path: str, size: int) -> None:
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        row = self._rows.get(path) or {"_id": str(self._next_id)}
        if path not in self._rows:
            self._next_id += 1
        row.update(
            _data=path,
            _display_name=posixpath.basename(path),
            mime_type=mime,
            _size=str(size),
            date_added=str(int(time.time())),
        )
        self._rows[path] = row

    def remove(self, path: str) -> None:
        """The scanner found the file gone: its row goes (and its Uri stops resolving)."""
        self._rows.pop(path, None)

    def query(self, uri: str, where: str | None = None) -> list[dict[str, str]]:
        """Rows for content://media/external/{images,video,audio,file}/media."""
        parts = uri.split("/")
        prefix = next((m for kind, m in _KINDS.items() if kind in parts), "")
        rows = [r for r in self._rows.values() if r["mime_type"].startswith(prefix)]
        return [r for r in rows if _matches(r, where)] if where else rows

    def path_of(self, uri: str) -> str | None:
        """The file behind content://media/<volume>/{images,video,audio,file}/media/<id> (or
        …/file/<id>), as ContentResolver opens it; None when no such row exists."""
        match = re.fullmatch(r"content://media/[\w-]+/(\w+)(?:/media)?/(\d+)", uri)
        if not match:
            return None
        kind, row_id = match.groups()
        for row in self.query(f"content://media/external/{kind}/media"):
            if row["_id"] == row_id:
                return row["_data"]
        return None

    def paths(self) -> list[str]:
        return list(self._rows)


def _matches(row: dict[str, str], where: str) -> bool:
    terms = re.split(r"\s+OR\s+", where.strip(), flags=re.I)
    for term in terms:
        match = _TERM.fullmatch(term)
        if not match:
            raise WhereError(f'near "{term.strip()[:30]}": syntax error')
        column, op, value = match.group(1), match.group(2).upper(), match.group(3)
        value, actual = value.replace("''", "'"), row.get(column, "")
        if op == "=" and actual == value:
            return True
        if op == "LIKE" and _like(value).fullmatch(actual):
            return True
    return False


def _like(pattern: str) -> re.Pattern:
    """SQLite LIKE: % any run, _ one character, case-insensitive for ASCII."""
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(regex, re.I | re.S)
