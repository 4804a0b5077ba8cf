"""Fixtures for the simulated-phone UI tests (plain pytest, no Django)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ has no __init__.py chain up to the repo root

from phonesim.ui import PhoneUI  # noqa: E402

from .helpers import FakeClock, FakeFS  # noqa: E402


@pytest.fixture
def fs() -> FakeFS:
    return FakeFS()


@pytest.fixture
def ui(fs: FakeFS) -> PhoneUI:
    phone = PhoneUI(fs, seed=7)
    phone.clock = FakeClock()
    return phone
