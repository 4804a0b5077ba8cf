"""This install's files are its user's alone: the database holds session keys in clear, var/
holds the secret keys, media holds screenshots of the phones.

Every process reads the settings first (manage.py, the WSGI app, the workers it forks), so the
settings call :func:`keep_private` at start-up: a umask that makes every new file 0600 and every
new folder 0700, and a one-time fix of a folder an older version left readable by others.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
OTHERS = stat.S_IRWXG | stat.S_IRWXO

log = logging.getLogger(__name__)


def keep_private(folder: Path) -> None:
    """Create ``folder`` (0700) or, if group or others can read it, take that away from it and
    everything inside: folders 0700, files keep only their owner's bits."""
    os.umask(PRIVATE_UMASK)
    folder.mkdir(parents=True, exist_ok=True)
    if folder.stat().st_mode & OTHERS:
        _tighten_tree(folder)


def _tighten_tree(root: Path) -> None:
    _tighten(root)
    for parent, folders, files in os.walk(root):  # symlinks are not followed
        for name in (*folders, *files):
            _tighten(Path(parent) / name)


def _tighten(path: Path) -> None:
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or not mode & OTHERS:
            return
        path.chmod(stat.S_IMODE(mode) & ~OTHERS)
    except OSError as exc:  # e.g. a file another user owns: say so, do not stop start-up
        log.warning("could not make %s private: %s", path, exc)
