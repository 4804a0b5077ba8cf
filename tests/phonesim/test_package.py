"""phonesim stands alone: it imports only the standard library, Pillow and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import phonesim

ALLOWED = set(sys.stdlib_module_names) | {"phonesim", "PIL"}


def test_phonesim_imports_nothing_of_the_product():
    root = Path(phonesim.__file__).parent
    found = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                if name.split(".")[0] not in ALLOWED:
                    found.setdefault(name, []).append(str(path.relative_to(root)))
    assert found == {}
