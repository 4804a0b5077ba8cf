"""A per-phone in-memory filesystem: a tree of directories and byte files.

Paths are POSIX. ``/sdcard`` and ``/storage/self/primary`` are aliases of
``/storage/emulated/0`` like on a real phone, so pushes and media scans may use either.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import posixpath
import stat
import time
from dataclasses import dataclass, field

SDCARD = "/storage/emulated/0"
_ALIASES = ("/sdcard", "/storage/self/primary", "/mnt/sdcard")

DEFAULT_DIRS = (
    "/data/local/tmp",
    "/system/bin",
    SDCARD + "/DCIM/Camera",
    SDCARD + "/Download",
    SDCARD + "/Pictures",
    SDCARD + "/Movies",
    SDCARD + "/Music",
)


def _error(code: int, path: str) -> OSError:
    return OSError(code, os.strerror(code), path)


@dataclass(slots=True)
class Node:
    mode: int
    mtime: int
    data: bytes = b""
    children: dict[str, Node] | None = None

    @property
    def is_dir(self) -> bool:
        return self.children is not None

    @property
    def size(self) -> int:
        return 4096 if self.is_dir else len(self.data)


def _new_dir(mtime: int) -> Node:
    return Node(mode=stat.S_IFDIR | 0o771, mtime=mtime, children={})


@dataclass
class FileSystem:
    root: Node = field(default_factory=lambda: _new_dir(int(time.time())))

    @classmethod
    def with_defaults(cls) -> FileSystem:
        fs = cls()
        for path in DEFAULT_DIRS:
            fs.mkdir(path, parents=True)
        return fs

    # -- paths ---------------------------------------------------------------------------------

    @staticmethod
    def normalize(path: str, cwd: str = "/") -> str:
        full = posixpath.normpath(posixpath.join(cwd, path))
        full = "/" + full.lstrip("/")  # normpath keeps a leading '//'
        for alias in _ALIASES:
            if full == alias or full.startswith(alias + "/"):
                return SDCARD + full[len(alias) :]
        return full

    def _parts(self, path: str) -> list[str]:
        return [p for p in self.normalize(path).split("/") if p]

    def lookup(self, path: str) -> Node | None:
        node = self.root
        for part in self._parts(path):
            if node.children is None or part not in node.children:
                return None
            node = node.children[part]
        return node

    def _parent(self, path: str, *, create: bool = False) -> tuple[Node, str]:
        parts = self._parts(path)
        if not parts:
            raise _error(errno.EISDIR, path)
        node = self.root
        for part in parts[:-1]:
            child = node.children.get(part)
            if child is None and create:
                child = node.children[part] = _new_dir(int(time.time()))
            if child is None:
                raise _error(errno.ENOENT, path)
            if not child.is_dir:
                raise _error(errno.ENOTDIR, path)
            node = child
        return node, parts[-1]

    # -- queries (the UI engineer uses read/exists/listdir) -------------------------------------

    def exists(self, path: str) -> bool:
        return self.lookup(path) is not None

    def isdir(self, path: str) -> bool:
        node = self.lookup(path)
        return node is not None and node.is_dir

    def read(self, path: str) -> bytes:
        node = self.lookup(path)
        if node is None:
            raise _error(errno.ENOENT, path)
        if node.is_dir:
            raise _error(errno.EISDIR, path)
        return node.data

    def listdir(self, path: str) -> list[str]:
        node = self.lookup(path)
        if node is None:
            raise _error(errno.ENOENT, path)
        if not node.is_dir:
            raise _error(errno.ENOTDIR, path)
        return sorted(node.children)

    def stat(self, path: str) -> tuple[int, int, int] | None:
        """(mode, size, mtime), or None when missing (the sync STAT convention)."""
        node = self.lookup(path)
        return None if node is None else (node.mode, node.size, node.mtime)

    def glob(self, pattern: str, cwd: str = "/") -> list[str]:
        """Expand one shell pattern; wildcards only in the last path component, like most uses."""
        full = self.normalize(pattern, cwd)
        directory, name = posixpath.split(full)
        node = self.lookup(directory)
        if node is None or not node.is_dir:
            return []
        hits = [n for n in sorted(node.children) if fnmatch.fnmatchcase(n, name)]
        prefix = posixpath.dirname(pattern) if "/" in pattern else ""
        return [posixpath.join(prefix, n) if prefix else n for n in hits if not n.startswith(".")]

    # -- changes ---------------------------------------------------------------------------------

    def write(
        self,
        path: str,
        data: bytes,
        *,
        mode: int = 0o644,
        mtime: int | None = None,
        parents: bool = False,
        append: bool = False,
    ) -> None:
        parent, name = self._parent(path, create=parents)
        node = parent.children.get(name)
        if node is not None and node.is_dir:
            raise _error(errno.EISDIR, path)
        when = int(time.time()) if mtime is None else mtime
        if append and node is not None:
            node.data += data
            node.mtime = when
            return
        parent.children[name] = Node(mode=stat.S_IFREG | (mode & 0o7777), mtime=when, data=data)
        parent.mtime = when

    def mkdir(self, path: str, *, parents: bool = False) -> None:
        if parents:
            node = self.root
            for part in self._parts(path):
                child = node.children.get(part)
                if child is None:
                    child = node.children[part] = _new_dir(int(time.time()))
                elif not child.is_dir:
                    raise _error(errno.ENOTDIR, path)
                node = child
            return
        parent, name = self._parent(path)
        if name in parent.children:
            raise _error(errno.EEXIST, path)
        parent.children[name] = _new_dir(int(time.time()))

    def remove(self, path: str, *, recursive: bool = False) -> None:
        parent, name = self._parent(path)
        node = parent.children.get(name)
        if node is None:
            raise _error(errno.ENOENT, path)
        if node.is_dir and not recursive:
            raise _error(errno.EISDIR, path)
        del parent.children[name]

    def rename(self, src: str, dst: str) -> None:
        node = self.lookup(src)
        if node is None:
            raise _error(errno.ENOENT, src)
        if self.isdir(dst):
            dst = posixpath.join(self.normalize(dst), posixpath.basename(self.normalize(src)))
        parent, name = self._parent(dst)
        self.remove(src, recursive=True)
        parent.children[name] = node

    def usage(self) -> int:
        """Bytes held in file contents (for memory accounting in benchmarks)."""
        total, todo = 0, [self.root]
        while todo:
            node = todo.pop()
            if node.is_dir:
                todo.extend(node.children.values())
            else:
                total += len(node.data)
        return total
