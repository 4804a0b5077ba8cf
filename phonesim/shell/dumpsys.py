"""Text for `dumpsys <service>`, in the shapes that adbutils and scripts parse."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phonesim.phone import Phone

LAUNCHER = (
    "com.google.android.apps.nexuslauncher",
    "com.google.android.apps.nexuslauncher.NexusLauncherActivity",
)


def _hex(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()[:7]


def apk_path(package: str) -> str:
    return f"/data/app/~~{_hex('a' + package)}==/{package}-{_hex('b' + package)}==/base.apk"


def _focus(phone: Phone) -> tuple[str, str]:
    return phone.ui.current_focus() or LAUNCHER


def battery(phone: Phone, _args: list[str]) -> str:
    b = phone.battery
    return (
        "Current Battery Service state:\n"
        f"  AC powered: false\n  USB powered: {str(b['usb']).lower()}\n"
        "  Wireless powered: false\n  Max charging current: 500000\n"
        "  Max charging voltage: 5000000\n  Charge counter: 2841000\n"
        f"  status: {b['status']}\n  health: 2\n  present: true\n"
        f"  level: {b['level']}\n  scale: 100\n  voltage: 4235\n"
        f"  temperature: {b['temperature']}\n  technology: Li-ion\n"
    )


def window(phone: Phone, _args: list[str]) -> str:
    package, activity = _focus(phone)
    w, h = phone.screen_size
    token = _hex(package + activity)
    return (
        "WINDOW MANAGER WINDOWS (dumpsys window windows)\n"
        f"  Window #0 Window{{{token} u0 {package}/{activity}}}:\n"
        f"    mDisplayId=0 rootTaskId=1 mSession=Session{{{token} 1234:u0a10123}}\n"
        f"  mCurrentFocus=Window{{{token} u0 {package}/{activity}}}\n"
        f"  mFocusedApp=ActivityRecord{{{token} u0 {package}/{activity} t12}}\n"
        f"  init={phone.physical_size[0]}x{phone.physical_size[1]} {phone.density}dpi "
        f"cur={w}x{h} app={w}x{h - 126} rng=1080x1017-2400x2337\n"
    )


def display(phone: Phone, _args: list[str]) -> str:
    w, h = phone.screen_size
    return (
        "DISPLAY MANAGER (dumpsys display)\n"
        f"  mDefaultViewport=DisplayViewport{{type=INTERNAL, valid=true, isActive=true, "
        f"displayId=0, uniqueId='local:4619827259835644672', orientation=0, "
        f"logicalFrame=Rect(0, 0 - {w}, {h}), deviceWidth={w}, deviceHeight={h}}}\n"
        f'  mBaseDisplayInfo=DisplayInfo{{"Built-in Screen", displayId 0, real {w} x {h}, '
        f"density {phone.density}, rotation 0}}\n"
    )


def power(phone: Phone, _args: list[str]) -> str:
    awake = "Awake" if phone.screen_on else "Asleep"
    return (
        "POWER MANAGER (dumpsys power)\n"
        f"  mWakefulness={awake}\n  mHoldingDisplaySuspendBlocker={str(phone.screen_on).lower()}\n"
    )


def activity(phone: Phone, args: list[str]) -> str:
    package, act = _focus(phone)
    token = _hex(package + act)
    if args[:1] == ["top"]:
        return f"TASK 12 id=12 userId=0\n  ACTIVITY {package}/{act} {token} pid={phone.pid + 100}\n"
    return (
        "ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\n"
        f"  mResumedActivity: ActivityRecord{{{token} u0 {package}/{act} t12}}\n"
    )


def package(phone: Phone, args: list[str]) -> str:
    installed = phone.ui.installed_packages
    if not args or args[0] == "packages":
        return "".join(package(phone, [name]) for name in sorted(installed))
    name = args[0]
    version = installed.get(name)
    if version is None:
        return f"Unable to find package: {name}\n"
    installed = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(phone.booted_wall - 86400 * 30))
    code = int(hashlib.sha1(f"{name}{version}".encode()).hexdigest()[:6], 16)
    return (
        "Packages:\n"
        f"  Package [{name}] ({_hex(name)}):\n"
        f"    codePath={apk_path(name).rsplit('/', 1)[0]}\n"
        f"    versionCode={code} minSdk=24 targetSdk=34\n"
        f"    versionName={version}\n"
        "    pkgFlags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ]\n"
        f"    firstInstallTime={installed}\n    lastUpdateTime={installed}\n"
        f"    signatures=PackageSignatures{{{_hex('s' + name)} version:3, "
        f"signatures:[{_hex(name)}]}}\n"
    )


SERVICES: dict[str, Callable[[Phone, list[str]], str]] = {
    "battery": battery,
    "window": window,
    "display": display,
    "power": power,
    "activity": activity,
    "package": package,
}
