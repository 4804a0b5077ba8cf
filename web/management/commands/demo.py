"""`manage.py demo` (`make demo`): the whole farm plus simulated phones with demo accounts.

The phones run in this process (a Farm on a background thread) while the same supervisor as
`serve` runs the web server, workers, device watcher and dispatcher as children. Phones listen
on fixed ports from DEMO_BASE_PORT, so their serials, Device rows and accounts are the same on
every run (a busy port falls back to a free one).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import signal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError

from devices.adb import Adb, DeviceError
from devices.models import DEFAULT_PACKAGES, Account, Device, Platform, Tag
from devices.watcher import record_device
from phonesim import Farm, Phone
from phonesim.farm import ports_from
from phonesim.models import MODELS
from web.processes import PROCESSES, AlreadyRunning, Supervisor, take_host_lock

ACCOUNT_PREFIX = {Platform.TIKTOK: "demo_tt", Platform.INSTAGRAM: "demo_ig"}


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM during setup: unwind like Ctrl-C, phones disconnected


class Command(BaseCommand):
    help = "Run the farm with simulated phones and demo accounts (DEMO_PHONES, default 5)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--phones", type=int, default=settings.DEMO_PHONES)
        parser.add_argument(
            "--base-port",
            type=int,
            default=settings.DEMO_BASE_PORT,
            help="first phone port (default 47101, env DEMO_BASE_PORT; 0 = any free ports)",
        )

    def handle(self, *args, phones: int, base_port: int, **options) -> None:
        if phones < 1:
            raise CommandError("--phones must be at least 1")
        try:
            lock = take_host_lock()  # before any phone takes a port
        except AlreadyRunning as exc:
            raise CommandError(str(exc)) from None
        adb = Adb()
        try:
            adb.server.ensure_running()
        except DeviceError as exc:
            raise CommandError(str(exc)) from exc
        signal.signal(signal.SIGTERM, _interrupt)
        farm = Farm()
        started: list[Phone] = []
        try:
            started = self._start_phones(farm, phones, base_port)
            devices = self._connect(adb, started)
            accounts = self._accounts(started, devices)
            self._materials()
            self._report(adb, devices, accounts)
            Supervisor(list(PROCESSES), lock=lock).run()  # until Ctrl-C / SIGTERM
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the clean-up finish
            for phone in started:
                with contextlib.suppress(DeviceError):
                    adb.disconnect(phone.serial)
            farm.close()
            # The watcher stopped before the phones left: say they are gone ourselves.
            serials = [phone.serial for phone in started]
            Device.objects.filter(serial__in=serials).update(state=Device.State.OFFLINE)
            self.stdout.write("demo phones disconnected")

    def _start_phones(self, farm: Farm, count: int, base_port: int) -> list[Phone]:
        models = list(MODELS)
        # Consecutive ports that skip 5555-5585 (the adb server probes those as emulators).
        ports = list(ports_from(base_port, count)) if base_port else [0] * count
        phones = []
        for i, port in enumerate(ports):
            options = {"model": models[i % len(models)], "seed": i}
            try:
                phones.append(farm.add(port=port, **options))
            except OSError:
                self.stderr.write(f"port {port} is busy; phone {i + 1} takes a free port")
                phones.append(farm.add(port=0, **options))
        return phones

    def _connect(self, adb: Adb, phones: list[Phone]) -> list[Device]:
        devices = []
        try:
            for phone in phones:
                adb.connect(phone.serial)
            for phone in phones:
                adb.wait_for(phone.serial, "device", timeout=15)
                devices.append(record_device(adb, phone.serial))
        except DeviceError as exc:
            raise CommandError(f"a simulated phone did not come online: {exc}") from exc
        return devices

    def _accounts(self, phones: list[Phone], devices: list[Device]) -> list[Account]:
        """One TikTok and one Instagram account per phone, logged in on the simulated apps."""
        accounts = []
        for number, (phone, device) in enumerate(zip(phones, devices, strict=True), start=1):
            for platform, prefix in ACCOUNT_PREFIX.items():
                username = f"{prefix}_{number}"
                account, _ = Account.objects.update_or_create(
                    platform=platform,
                    username=username,
                    defaults={
                        "device": device,
                        "email": f"{username}@example.com",
                        "logined": True,
                    },
                )
                accounts.append(account)
                if hasattr(phone.ui, "set_accounts"):
                    phone.ui.set_accounts(DEFAULT_PACKAGES[platform], [username])
        return accounts

    def _materials(self, videos: int = 4, images: int = 6) -> None:
        """A few library videos and images, so a post task has something to post at once."""
        from PIL import Image, ImageDraw

        from tasks.models import Material
        from tasks.storage import material_storage

        tag, _ = Tag.objects.get_or_create(name="demo")
        for kind, count, ext in (("video", videos, "mp4"), ("image", images, "png")):
            for n in range(1, count + 1):
                name = f"demo/demo-{kind}-{n}.{ext}"
                if Material.objects.filter(file=name).exists():
                    continue
                if kind == "video":  # an MP4 header and some bytes: the simulated apps take it
                    data = b"\x00\x00\x00\x18ftypmp42" + f"demo video {n}".encode() * 64
                else:
                    picture = Image.new("RGB", (360, 640), (30 * n % 255, 90, 160))
                    ImageDraw.Draw(picture).text((20, 20), f"demo {n}", fill="white")
                    buffer = io.BytesIO()
                    picture.save(buffer, "PNG")
                    data = buffer.getvalue()
                if not material_storage.exists(name):
                    material_storage.save(name, ContentFile(data))
                material = Material.objects.create(
                    file=name, kind=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                    caption=f"Demo {kind} {n} #fyp", sort=n,
                )  # fmt: skip
                material.tags.add(tag)

    def _report(self, adb: Adb, devices: list[Device], accounts: list[Account]) -> None:
        write = self.stdout.write
        write(f"Demo farm: {len(devices)} simulated phones on adb server {adb.server.where}")
        for device in devices:
            names = ", ".join(f"@{a.username}" for a in accounts if a.device_id == device.pk)
            write(f"  #{device.index:<3} {device.serial:<18} {device.model:<18} {names}")
        bind = settings.BIND if settings.BIND not in ("0.0.0.0", "::", "") else "127.0.0.1"
        host = f"[{bind}]" if ":" in bind else bind
        write(f"Open http://{host}:{settings.PORT}/ (sign in as the owner); Ctrl-C stops.")
