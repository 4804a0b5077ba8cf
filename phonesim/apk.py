"""Just enough of Android's package formats for `pm install` and `app_process`.

An APK is a zip whose AndroidManifest.xml is compiled to Android's binary XML ("AXML"); `pm
install` reads the package name, version and declared input methods from it, like the real
package parser, so installing a real APK (e.g. uiautomator2's app-uiautomator.apk) installs what
that APK really declares. A jar for `app_process` is a zip of classes*.dex files; a class can be
loaded when one of them declares its type descriptor (`Lcom/example/Main;` in the dex string
table).
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field

_RES_STRING_POOL = 0x0001
_RES_XML_START_ELEMENT = 0x0102
_RES_XML_END_ELEMENT = 0x0103
_UTF8_FLAG = 0x100
_TYPE_STRING = 0x03
_TYPE_INT_DEC = 0x10
_TYPE_INT_BOOLEAN = 0x12
_NO_ENTRY = 0xFFFFFFFF
INPUT_METHOD_ACTION = "android.view.InputMethod"


class ApkError(ValueError):
    """Not a readable APK (what `pm install` reports as INSTALL_PARSE_FAILED_NOT_APK)."""


@dataclass(frozen=True)
class Manifest:
    package: str
    version_name: str
    input_methods: tuple[str, ...] = ()  # IME ids, "package/.Service"


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]
    kids: list[_Element] = field(default_factory=list)


def read_manifest(apk: bytes) -> Manifest:
    """The manifest of an APK file's bytes. Raises ApkError when it is not an APK."""
    try:
        with zipfile.ZipFile(io.BytesIO(apk)) as archive:
            axml = archive.read("AndroidManifest.xml")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ApkError(str(exc)) from exc
    root = _parse_axml(axml)
    if root.tag != "manifest" or not root.attrs.get("package"):
        raise ApkError("no <manifest package=…> element")
    package = root.attrs["package"]
    return Manifest(package, root.attrs.get("versionName", ""), _input_methods(root, package))


def declares_class(jar: bytes, class_name: str) -> bool:
    """Whether a jar's dex files define ``class_name`` (dotted), as app_process needs."""
    descriptor = ("L" + class_name.replace(".", "/") + ";").encode()
    try:
        with zipfile.ZipFile(io.BytesIO(jar)) as archive:
            dexes = [
                n for n in archive.namelist() if n.startswith("classes") and n.endswith(".dex")
            ]
            return any(descriptor in archive.read(name) for name in dexes)
    except zipfile.BadZipFile:
        return False


def _input_methods(root: _Element, package: str) -> tuple[str, ...]:
    """Services with an `android.view.InputMethod` intent filter, as IME ids."""
    ids = []
    for application in (k for k in root.kids if k.tag == "application"):
        for service in (k for k in application.kids if k.tag == "service"):
            actions = {
                a.attrs.get("name")
                for f in service.kids
                if f.tag == "intent-filter"
                for a in f.kids
                if a.tag == "action"
            }
            name = service.attrs.get("name", "")
            if INPUT_METHOD_ACTION in actions and name:
                short = name[len(package) :] if name.startswith(package + ".") else name
                ids.append(f"{package}/{short}")
    return tuple(ids)


# -- binary XML ------------------------------------------------------------------------------


def _parse_axml(data: bytes) -> _Element:
    try:
        return _walk_chunks(data)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise ApkError(f"bad binary XML: {exc}") from exc


def _walk_chunks(data: bytes) -> _Element:
    _type, header_size, _size = struct.unpack_from("<HHI", data, 0)
    strings: list[str] = []
    stack: list[_Element] = [_Element("", {})]
    offset = header_size
    while offset + 8 <= len(data):
        kind, _hsize, size = struct.unpack_from("<HHI", data, offset)
        if size < 8:
            raise ApkError("chunk with a bad size")
        if kind == _RES_STRING_POOL:
            strings = _string_pool(data, offset)
        elif kind == _RES_XML_START_ELEMENT:
            element = _start_element(data, offset, strings)
            stack[-1].kids.append(element)
            stack.append(element)
        elif kind == _RES_XML_END_ELEMENT and len(stack) > 1:
            stack.pop()
        offset += size
    if not stack[0].kids:
        raise ApkError("no XML elements")
    return stack[0].kids[0]


def _string_pool(data: bytes, offset: int) -> list[str]:
    _t, header_size, _s, count, _styles, flags, strings_start, _ = struct.unpack_from(
        "<HHIIIIII", data, offset
    )
    offsets = struct.unpack_from(f"<{count}I", data, offset + header_size)
    base = offset + strings_start
    utf8 = bool(flags & _UTF8_FLAG)
    return [_pool_string(data, base + o, utf8) for o in offsets]


def _pool_string(data: bytes, pos: int, utf8: bool) -> str:
    if utf8:
        pos += 2 if data[pos] & 0x80 else 1  # length in UTF-16 units, unused
        length = data[pos]
        if length & 0x80:
            length = ((length & 0x7F) << 8) | data[pos + 1]
            pos += 1
        pos += 1
        return data[pos : pos + length].decode("utf-8")
    length = struct.unpack_from("<H", data, pos)[0]
    pos += 2
    if length & 0x8000:
        length = ((length & 0x7FFF) << 16) | struct.unpack_from("<H", data, pos)[0]
        pos += 2
    return data[pos : pos + 2 * length].decode("utf-16-le")


def _start_element(data: bytes, offset: int, strings: list[str]) -> _Element:
    # header(8) line(4) comment(4) ns(4) name(4) attrStart(2) attrSize(2) attrCount(2) …
    name = struct.unpack_from("<I", data, offset + 20)[0]
    attr_start, attr_size, attr_count = struct.unpack_from("<HHH", data, offset + 24)
    attrs: dict[str, str] = {}
    pos = offset + 16 + attr_start
    for _ in range(attr_count):
        _ns, key, raw, _vsize, _res0, vtype, value = struct.unpack_from("<IIIHBBI", data, pos)
        pos += attr_size
        if key < len(strings):
            attrs[strings[key]] = _attr_value(strings, raw, vtype, value)
    return _Element(strings[name] if name < len(strings) else "", attrs)


def _attr_value(strings: list[str], raw: int, vtype: int, value: int) -> str:
    if raw != _NO_ENTRY and raw < len(strings):
        return strings[raw]
    if vtype == _TYPE_STRING and value < len(strings):
        return strings[value]
    if vtype == _TYPE_INT_BOOLEAN:
        return "true" if value else "false"
    if vtype == _TYPE_INT_DEC:
        return str(value)
    return f"@{value:#010x}"
