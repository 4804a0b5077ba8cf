"""Phone models the simulator can pretend to be, with their system properties."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Model:
    model: str
    brand: str
    manufacturer: str
    device: str
    android: str
    sdk: int
    screen: tuple[int, int] = (1080, 2400)
    density: int = 420


MODELS = {
    m.model: m
    for m in (
        Model("Pixel 7", "google", "Google", "panther", "14", 34, (1080, 2400), 420),
        Model("Pixel 6a", "google", "Google", "bluejay", "13", 33, (1080, 2400), 420),
        Model("SM-G991B", "samsung", "samsung", "o1s", "13", 33, (1080, 2400), 420),
        Model("SM-A525F", "samsung", "samsung", "a52q", "12", 31, (1080, 2400), 420),
        Model("Redmi Note 9 Pro", "Redmi", "Xiaomi", "joyeuse", "11", 30, (1080, 2400), 440),
        Model("moto g(8) power", "motorola", "motorola", "sofiar", "10", 29, (1080, 2300), 400),
    )
}
DEFAULT_MODEL = "Pixel 7"


def lookup(name: str) -> Model:
    """A known model by name, or a plausible generic one so any --model value works."""
    if name in MODELS:
        return MODELS[name]
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "generic"
    return Model(name, "generic", "Generic", slug, "13", 33)
