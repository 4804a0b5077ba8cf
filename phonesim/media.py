"""The phone's MediaStore: files that were media-scanned, answered by `content query`."""

from __future__ import annotations

import mimetypes
import posixpath
import time

_KINDS = {"images": "image/", "video": "video/", "audio": "audio/"}


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

    def query(self, uri: str) -> list[dict[str, str]]:
        """Rows for content://media/external/{images,video,audio,file}/media."""
        parts = uri.split("/")
        prefix = next((m for kind, m in _KINDS.items() if kind in parts), "")
        return [r for r in self._rows.values() if r["mime_type"].startswith(prefix)]

    def paths(self) -> list[str]:
        return list(self._rows)
