"""`python -m phonesim`: its options, and its adb smart-socket client against a real adb server."""

from __future__ import annotations

import socket
import threading

import pytest

from devices.adb import Adb, AdbServer
from phonesim import Farm
from phonesim.cli import ADB_PORT, connect, disconnect, main, parse_args, start_phones
from tests.phones import wait_state


def test_options_and_their_defaults(monkeypatch):
    monkeypatch.delenv("ANDROID_ADB_SERVER_PORT", raising=False)
    args = parse_args([])
    assert (args.count, args.base_port, args.model, args.unauthorized) == (5, None, "Pixel 7", 0)
    assert (args.adb_host, args.adb_port, args.no_connect) == ("127.0.0.1", ADB_PORT, False)

    args = parse_args(
        ["--count", "3", "--base-port", "47101", "--model", "SM-G991B", "--unauthorized", "1"]
        + ["--adb-host", "127.0.0.2", "--adb-port", "5099", "--no-connect"]
    )
    assert (args.count, args.base_port, args.model, args.unauthorized) == (3, 47101, "SM-G991B", 1)
    assert (args.adb_host, args.adb_port, args.no_connect) == ("127.0.0.2", 5099, True)

    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", "5111")  # as the adb CLI reads it
    assert parse_args([]).adb_port == 5111


def test_lenient_option_starts_lenient_phones(monkeypatch):
    monkeypatch.delenv("PHONESIM_STRICT", raising=False)
    assert (parse_args([]).lenient, parse_args(["--lenient"]).lenient) == (False, True)
    with Farm() as farm:
        (strict,) = start_phones(farm, 1, None, "Pixel 7")
        (lenient,) = start_phones(farm, 1, None, "Pixel 7", strict=False)
        assert (strict.strict, lenient.strict) == (True, False)


@pytest.mark.parametrize("argv", [["--count", "0"], ["--unauthorized", "-1"], ["--count", "x"]])
def test_bad_options_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2
    assert "usage: python -m phonesim" in capsys.readouterr().err


def test_no_connect_starts_phones_and_stops_them(capsys):
    stop = threading.Event()
    stop.set()  # stop at once: the phones started, were listed, and are stopped again
    assert main(["--count", "2", "--no-connect"], stop=stop) == 0
    out = capsys.readouterr().out
    assert out.count("127.0.0.1:") == 2
    assert "2 phones listening, not connected" in out
    assert out.endswith("phones stopped\n")


def test_missing_adb_server_is_reported(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    assert main(["--count", "1", "--adb-port", str(port)]) == 1
    assert f"no adb server answers on 127.0.0.1:{port}" in capsys.readouterr().err


def test_connect_and_disconnect_through_the_adb_server(adb_server: AdbServer, adb: Adb, farm: Farm):
    phone = farm.add()
    try:
        assert "connected to" in connect(phone.serial, adb_server.host, adb_server.port)
        wait_state(adb, phone.serial, "device")
        disconnect(phone.serial, adb_server.host, adb_server.port)
        wait_state(adb, phone.serial, None)
        disconnect(phone.serial, adb_server.host, adb_server.port)  # unknown now: no error
    finally:
        farm.remove(phone)
