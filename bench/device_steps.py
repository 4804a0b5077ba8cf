"""7. Device steps: what one script step costs through the device layer's uiautomator2 server
versus through plain adb shell commands, on the same simulated phone in the same run.

Steps, each timed round by round in alternating order (server first on even rounds):

* dump: ``PhoneLink.ui_xml()`` (JSON-RPC ``dumpWindowHierarchy``) vs ``uiautomator dump`` to a
  file + reading it back (what the product did before). Both on TikTok's search screen, which
  is idle: on a playing feed the plain dump cannot finish at all (a row says how it fails).
  A phone has one UiAutomation slot, which the running server holds, so the plain dumps run in
  a block with the server stopped, then the server's dumps (the other steps alternate).
* tap: ``PhoneLink.tap`` (JSON-RPC ``click``) vs ``input tap``.
* type 40 characters: ``PhoneLink.type_text`` through the keyboard app (SET_TEXT broadcast)
  and by clipboard paste, vs ``input text`` (which only types ASCII, so the text is ASCII).
* screenshot: ``PhoneLink.screenshot()`` (JSON-RPC ``takeScreenshot``, JPEG turned into PNG) vs
  ``screencap -p``.

The phones run in a process of their own (``bench/phonehost.py``), strict as ever.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bench import common
from bench.common import median

TIKTOK = "com.zhiliaoapp.musically"
TEXT = "Summer sale starts today at the farm 2026"[:40]  # ASCII: `input text` types nothing else
PLAIN_DUMP = "/data/local/tmp/bench-dump.xml"


def main(name: str, quick: bool, run_dir: Path) -> None:
    bench = common.setup(name, quick, run_dir)
    common.use_seed(bench, common.Seed())
    server = common.adb_server(bench)
    phones_proc, phones = common.start_phones(bench, 1)
    try:
        figures = _measure(server, phones["serials"][0], 10 if quick else 30)
    finally:
        common.stop_phones(bench, phones_proc, 1)
    steps = figures["steps"]
    rows = []
    for label, (server_ms, plain_ms) in steps.items():
        ours, theirs = median(server_ms), median(plain_ms) if plain_ms else None
        rows.append([
            label,
            f"{ours:.1f}",
            f"{theirs:.1f}" if theirs is not None else "—",
            f"{ours / theirs:.2f}×" if theirs else "",
        ])  # fmt: skip
    rows.append(["plain `uiautomator dump` on the playing feed", "", figures["feed_dump"], ""])
    rows.append(["server start (first call: md5 check, u2.jar push, app_process, /ping)",
                 f"{figures['start_ms']:.0f}", "", ""])  # fmt: skip
    rows.append(["keyboard app install (once per phone)", f"{figures['install_ms']:.0f}", "", ""])
    rounds = len(next(iter(steps.values()))[0])
    common.save(
        bench,
        f"Device steps, one simulated phone (medians of {rounds} rounds, ms)",
        ["step", "uiautomator2 server ms", "plain adb shell ms", "server ÷ plain"],
        rows,
        figures,
    )


def _measure(server, serial: str, rounds: int) -> dict:
    from devices.adb import Adb

    link = Adb(server.host, server.port, timeout=30).device(serial)
    started = time.perf_counter()
    link.start_automation()
    start_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    link.install_keyboard()
    install_ms = (time.perf_counter() - started) * 1000
    link.app_start(TIKTOK)  # the For You feed: a video plays
    feed_dump = _plain_dump_on_the_feed(link)
    field = _open_search(link)
    x, y = field.centre
    # UiAutomation is one slot per phone: while the server holds it, plain `uiautomator dump`
    # fails ("already registered"), as on a real phone. The dumps are timed in two blocks.
    dumps = _dumps(link, rounds)
    steps = {
        "tap": (lambda: link.tap(x, y), lambda: link.shell(["input", "tap", str(x), str(y)])),
        "type 40 chars, keyboard app": (
            lambda: link.type_text(TEXT, keyboard=True),
            lambda: _plain_type(link),
        ),
        "type 40 chars, clipboard paste": (
            lambda: link.type_text(TEXT, keyboard=False),
            lambda: _plain_type(link),
        ),
        "screenshot (PNG)": (link.screenshot, link.screenshot_png),
    }
    times: dict[str, tuple[list[float], list[float]]] = {
        "dump (view hierarchy)": dumps,
        **{label: ([], []) for label in steps},
    }
    for round_no in range(rounds):
        for label, (through_server, plain) in steps.items():
            order = ("server", "plain") if round_no % 2 == 0 else ("plain", "server")
            for who in order:
                call = through_server if who == "server" else plain
                times[label][0 if who == "server" else 1].append(_ms(call))
        print(f"  round {round_no + 1}/{rounds} done", flush=True)
    return {
        "steps": times,
        "start_ms": start_ms,
        "install_ms": install_ms,
        "feed_dump": feed_dump,
    }


def _ms(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def _dumps(link, rounds: int) -> tuple[list[float], list[float]]:
    """(server ms, plain ms): plain dumps with the server stopped, then the server's."""
    link.stop_automation()
    plain = [_ms(lambda: _plain_dump(link)) for _ in range(rounds)]
    link.start_automation()
    link.ui_xml()  # the first call after a start is not a step's cost
    ours = [_ms(link.ui_xml) for _ in range(rounds)]
    return ours, plain


def _plain_dump(link) -> str:
    """What the device layer did before: dump to a file, then read the file over sync."""
    out = link.shell(f"rm -f {PLAIN_DUMP}; uiautomator dump {PLAIN_DUMP} && echo success")
    if "success" not in out or "ERROR" in out:
        raise RuntimeError(f"plain dump failed: {out.strip()[:120]}")
    return link.read_bytes(PLAIN_DUMP).decode()


def _plain_type(link) -> None:
    """`input text` with spaces as %s (the text has no other shell-special characters). It
    appends to the field (the server's steps replace its text); the cost is the same."""
    link.shell(["input", "text", TEXT.replace(" ", "%s")])


def _plain_dump_on_the_feed(link) -> str:
    """How plain `uiautomator dump` ends on the playing feed (with the server stopped)."""
    link.stop_automation()
    began = time.perf_counter()
    out = link.shell(f"uiautomator dump {PLAIN_DUMP}", timeout=30)
    seconds = time.perf_counter() - began
    link.start_automation()
    if "dumped" in out and "ERROR" not in out:
        return f"dumps in {seconds * 1000:.0f} ms"
    return f"fails after {seconds:.1f} s: {out.strip()[:45]}"


def _open_search(link):
    """TikTok's search screen: idle (no video), its text field focused."""
    link.tap(*link.dump_ui().find(content_desc="Search").centre)
    time.sleep(0.3)
    field = link.dump_ui().find(resource_id=f"{TIKTOK}:id/search_edit")
    if field is None or not field.focused:
        raise RuntimeError("the search field did not open focused")
    return field
