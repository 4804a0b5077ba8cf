"""The phone fixtures live in ``tests/phones.py`` (shared with the engine tests); the helpers
are re-exported here for the device tests that import them."""

from tests.phones import connect, connect_unauthorized, wait_state

__all__ = ["connect", "connect_unauthorized", "wait_state"]
