"""Simulated Android phones speaking the device side of the ADB protocol over loopback TCP.

Pure Python + asyncio, no Django: ``Farm().start(n)`` gives ``n`` phones whose ``serial``
(``127.0.0.1:PORT``) can be handed to ``adb connect``. See phone.py for the fault switches.
"""

from phonesim.farm import Farm
from phonesim.fs import FileSystem
from phonesim.phone import Faults, Phone, Tap

__all__ = ["Farm", "Faults", "FileSystem", "Phone", "Tap"]
