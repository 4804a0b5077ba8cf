"""Many phones in one process: an event loop on a background thread serving all of them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

from phonesim.phone import EMULATOR_PORTS, Phone


def ports_from(base: int, count: int) -> Iterator[int]:
    """``count`` consecutive ports from ``base``, skipping the adb emulator range."""
    port = base
    while count:
        if port not in EMULATOR_PORTS:
            yield port
            count -= 1
        port += 1


class Farm:
    """Start phones on a private event loop thread; stop them all with ``close()``.

    >>> with Farm() as farm:
    ...     phones = farm.start(3)          # ports picked by the OS
    ...     phones[0].serial                # '127.0.0.1:41234', give it to `adb connect`
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.phones: list[Phone] = []
        self._thread = threading.Thread(target=self._run, name="phone-farm", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def _await(self, coro, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def add(self, **options: Any) -> Phone:
        """Start one phone; ``options`` are Phone fields (port, model, seed, unauthorized …)."""
        options.setdefault("seed", len(self.phones))
        phone = Phone(**options)
        self._await(phone.start())
        self.phones.append(phone)
        return phone

    def start(self, count: int, base_port: int | None = None, **options: Any) -> list[Phone]:
        """Start ``count`` phones, on consecutive ports from ``base_port`` or on free ports."""
        ports = ports_from(base_port, count) if base_port else (0 for _ in range(count))
        return [self.add(port=port, **options) for port in ports]

    def remove(self, phone: Phone) -> None:
        self._await(phone.stop())
        if phone in self.phones:
            self.phones.remove(phone)

    def close(self) -> None:
        if self.loop.is_closed():
            return
        for phone in list(self.phones):
            self.remove(phone)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

    def __enter__(self) -> Farm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
