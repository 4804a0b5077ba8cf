"""The simulated phones speak the uiautomator2 server protocol: the real `uiautomator2` client
(3.7.1) drives them through the suite's private adb server exactly as it drives a real phone -
u2.jar pushed and md5-checked, `app_process` launched over a streaming shell, HTTP over adb's
`tcp:9008` stream, JSON-RPC at /jsonrpc/0.

`u2.connect(serial)` would use adbutils' module-level client (`adbutils.adb`, made at import
from ANDROID_ADB_SERVER_HOST/PORT); the tests hand it an AdbDevice of a client pointed at the
private server instead, so nothing global changes.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import subprocess
import time
from pathlib import Path

import adbutils
import pytest
import uiautomator2 as u2
from PIL import Image
from uiautomator2.exceptions import (
    AccessibilityServiceAlreadyRegisteredError,
    LaunchUiAutomationError,
    RPCUnknownError,
    UiObjectNotFoundError,
)

from phonesim import Phone

TIKTOK = "com.zhiliaoapp.musically"
ASSETS = Path(u2.__file__).parent / "assets"
U2_JAR = "/data/local/tmp/u2.jar"
LAUNCH = f"CLASSPATH={U2_JAR} app_process / com.wetest.uia2.Main"
CAPTION = "Promoção de verão 🔥\nlinha 2"
VIDEO = "https://www.tiktok.com/@ana.farm/video/7300000000000000001"


@pytest.fixture(scope="module")
def client(adb_server) -> adbutils.AdbClient:
    return adbutils.AdbClient(host=adb_server.host, port=adb_server.port)


@pytest.fixture
def phone(make_phone) -> Phone:
    phone = make_phone(strict=True)  # whatever PHONESIM_STRICT says
    phone.idle_timeout = 0.2  # plain dumps give up quickly on animating screens
    return phone


def connect(client: adbutils.AdbClient, phone: Phone) -> u2.Device:
    return u2.connect(client.device(phone.serial))


class _TunnelConnection(http.client.HTTPConnection):
    """HTTP over adb's tcp:<port> stream, the way the client's AdbHTTPConnection does it."""

    def __init__(self, device: adbutils.AdbDevice, port: int) -> None:
        super().__init__("localhost", port, timeout=10)
        self._device = device

    def connect(self) -> None:
        self.sock = self._device.create_connection(adbutils.Network.TCP, self.port)


def http_get(client: adbutils.AdbClient, phone: Phone, path: str, port: int = 9008):
    """GET one path from the phone's server: the response, body read. AdbError if refused."""
    connection = _TunnelConnection(client.device(phone.serial), port)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.body = response.read()
        return response
    finally:
        connection.close()


def wait_until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def open_comments(d: u2.Device) -> None:
    d.open_url(VIDEO)
    d(descriptionStartsWith="Read or add comments").click()
    d(text="Add comment...").click()


def _field_text(phone: Phone) -> str:
    app = phone.ui._foreground()
    return app.top.fields.get("comment_edit", "")


# -- start-up --------------------------------------------------------------------------------


def test_connect_pushes_the_jar_and_launches_the_server(client, phone):
    d = connect(client, phone)
    jar = (ASSETS / "u2.jar").read_bytes()
    assert hashlib.md5(phone.fs.read(U2_JAR)).digest() == hashlib.md5(jar).digest()
    assert (phone.u2.running, phone.u2.port, phone.u2.launches) == (True, 9008, 1)
    assert phone.u2.requests[0] == "GET /ping"
    info = d.info
    assert (info["displayWidth"], info["displayHeight"], info["sdkInt"]) == (1080, 2400, 34)
    assert info["productName"] == phone.props["ro.product.name"]

    connect(client, phone)  # a second client finds the jar (same md5) and the server up
    assert phone.u2.launches == 1


def test_ping_and_stop_over_the_tcp_stream(client, phone):
    connect(client, phone)
    pong = http_get(client, phone, "/ping")
    assert (pong.status, pong.body) == (200, b"pong")
    assert http_get(client, phone, "/nowhere").status == 404
    assert http_get(client, phone, "/stop").body == b"Server stopped!!!"
    with pytest.raises(adbutils.AdbError):
        http_get(client, phone, "/ping")  # the port is closed, like a phone's
    assert phone.ui_automation is None


def test_server_port_option_and_refusal_before_launch(client, phone):
    with pytest.raises(adbutils.AdbError):
        http_get(client, phone, "/ping")
    d = u2.connect(client.device(phone.serial), port=9010)
    assert phone.u2.port == 9010 and d.jsonrpc.ping() == "pong"


# -- the hierarchy ---------------------------------------------------------------------------


def test_u2_dumps_an_animating_feed_while_plain_uiautomator_cannot(client, phone):
    d = connect(client, phone)
    d.app_start(TIKTOK)
    xml = d.dump_hierarchy()
    assert 'content-desc="Home"' in xml and 'resource-id="com.android.systemui:id/home"' in xml
    assert 'visible-to-user="true"' in xml and "\r\n  <node " in xml

    device = client.device(phone.serial)
    assert "already registered" in device.shell("uiautomator dump /sdcard/x.xml")
    d.stop_uiautomator()
    result = device.shell2("uiautomator dump /sdcard/x.xml")
    assert (result.output, result.returncode) == ("ERROR: could not get idle state.\n", 0)
    d.press("home")  # relaunches the server; the launcher does not animate
    d.stop_uiautomator()
    assert "UI hierchary dumped to" in device.shell("uiautomator dump /sdcard/x.xml")


def test_selectors_click_and_miss(client, phone):
    d = connect(client, phone)
    d.app_start(TIKTOK)
    d(text="Create").click()
    assert phone.ui.current_focus()[1].endswith("VideoRecordNewActivity")
    assert phone.taps[-1].text == "Create"
    # The camera has no tab bar: only the navigation bar's Home (another window) is left.
    assert d(descriptionContains="Home").info["packageName"] == "com.android.systemui"
    assert d(descriptionContains="Home").count == 1
    with pytest.raises(UiObjectNotFoundError) as miss:
        d.jsonrpc.objInfo(d(text="Nope").selector)
    assert miss.value.args[:2] == (-32001, "androidx.test.uiautomator.UiObjectNotFoundException")
    assert not d(text="Nope").exists


def test_gestures_keys_and_the_screen(client, phone):
    d = connect(client, phone)
    d.app_start(TIKTOK)
    d.swipe(540, 1800, 540, 600)  # the next video …
    d.swipe_points([(540, 1800), (540, 1200), (540, 600)], 0.2)
    d.drag(540, 1800, 540, 600)
    assert len(phone.ui.outcomes.watched) == 3  # … three times: each video left is recorded
    d.press("back")
    assert d.info["currentPackageName"] == "com.google.android.apps.nexuslauncher"
    d.screen_off()
    assert d.info["screenOn"] is False and "mWakefulness=Asleep" in d.shell("dumpsys power")[0]
    d.screen_on()
    assert d.jsonrpc.isScreenOn() is True


def test_unknown_and_unsimulated_methods(client, phone):
    d = connect(client, phone)
    with pytest.raises(RPCUnknownError, match="-32601 method not found"):
        d.jsonrpc.noSuchMethod()
    with pytest.raises(RPCUnknownError, match="UnsupportedOperationException"):
        d.jsonrpc.openNotification()


def test_a_method_made_to_throw_answers_its_java_exception(client, phone):
    d = connect(client, phone)
    phone.faults.u2_rpc_errors = {"dumpWindowHierarchy": "java.lang.NullPointerException"}
    with pytest.raises(RPCUnknownError, match="-32001 java.lang.NullPointerException"):
        d.dump_hierarchy()
    assert d.info["displayWidth"] == 1080  # other methods still answer


def test_screenshot_as_jpeg_and_png(client, phone):
    d = connect(client, phone)
    image = d.screenshot()
    assert image.size == (1080, 2400) and image.format == "JPEG"
    response = http_get(client, phone, "/screenshot/0?scale=0.5")
    assert response.getheader("Transfer-Encoding") == "chunked"  # as NanoHTTPD sends it
    png = Image.open(io.BytesIO(response.body))
    assert png.format == "PNG" and png.size == (540, 1200)


# -- text ------------------------------------------------------------------------------------


def test_send_keys_through_the_clipboard_without_the_ime(client, phone):
    d = connect(client, phone)
    open_comments(d)
    d.send_keys(CAPTION)
    assert _field_text(phone) == CAPTION
    assert "jsonrpc pasteClipboard" in phone.u2.requests
    assert "com.github.uiautomator" not in phone.ui.installed_packages
    d(description="Post comment").click()
    assert phone.ui.outcomes.comments[-1].text == CAPTION
    assert d(textContains="verão").get_text().endswith(CAPTION)  # getText: the real text;
    assert "verão ..&#10;linha 2" in d.dump_hierarchy()  # the u2 dump writes 🔥 as ".."


def test_send_keys_through_the_installed_ime(adb_server, client, phone):
    apk = ASSETS / "app-uiautomator.apk"
    env = dict(os.environ, **adb_server.env, ANDROID_ADB_SERVER_PORT=str(adb_server.port))
    installed = subprocess.run(
        [adb_server.binary, "-P", str(adb_server.port), "-s", phone.serial, "install", str(apk)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    device = client.device(phone.serial)
    assert "com.github.uiautomator/.AdbKeyboard" in device.shell("ime list -s -a").split()
    d = connect(client, phone)
    open_comments(d)
    d.send_keys(CAPTION)
    assert _field_text(phone) == CAPTION
    assert device.shell("settings get secure default_input_method") == (
        "com.github.uiautomator/.AdbKeyboard"
    )
    assert "jsonrpc pasteClipboard" not in phone.u2.requests
    d.clear_text()
    assert _field_text(phone) == ""


def test_ime_broadcast_reaches_nobody_unless_selected(client, phone):
    phone.ui.installed_packages["com.github.uiautomator"] = "2.4.0"
    device = client.device(phone.serial)
    device.shell(f"am start -a android.intent.action.VIEW -d {VIDEO}")
    device.shell("input tap 540 1900")  # nothing focused yet
    send = "am broadcast -a ADB_KEYBOARD_INPUT_TEXT --es text SGk="
    assert device.shell(send).endswith("Broadcast completed: result=0")
    device.shell("ime set com.github.uiautomator/.AdbKeyboard")
    assert device.shell(send).endswith('result=-1, data="ADB_KEYBOARD_INPUT_TEXT"')  # no field


# -- faults ----------------------------------------------------------------------------------


def test_slow_start_refuses_until_the_port_opens(client, phone):
    phone.faults.u2_start_delay = 1.0
    connect(client, phone)  # the client polls /ping until the server answers
    device = client.device(phone.serial)
    http_get(client, phone, "/stop")
    stream = device.shell(LAUNCH, stream=True)
    try:
        wait_until(lambda: phone.u2.running)
        with pytest.raises(adbutils.AdbError):
            http_get(client, phone, "/ping")  # started, not listening yet
        wait_until(lambda: phone.u2.port == 9008)
        assert http_get(client, phone, "/ping").body == b"pong"
    finally:
        stream.close()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"missing_commands": frozenset({"app_process"})}, "app_process: not found"),
        ({"u2_launch_error": "Segmentation fault"}, "Segmentation fault"),
    ],
)
def test_launch_failure_reaches_the_client(client, phone, fault, message):
    for name, value in fault.items():
        setattr(phone.faults, name, value)
    with pytest.raises(LaunchUiAutomationError) as failed:
        connect(client, phone)
    assert message in str(failed.value)


def test_server_killed_mid_task_refuses_until_relaunched(client, phone):
    d = connect(client, phone)
    phone.kill_u2_server()
    assert phone.ui_automation is None
    with pytest.raises(adbutils.AdbError):
        http_get(client, phone, "/ping")
    assert d.info["screenOn"] is True  # the client relaunches it and retries
    assert phone.u2.launches == 2


def test_another_ui_automation_client_blocks_the_server(client, phone):
    phone.faults.foreign_ui_automation = True
    with pytest.raises(AccessibilityServiceAlreadyRegisteredError):
        connect(client, phone)
    assert "already registered" in client.device(phone.serial).shell("uiautomator dump")
