"""Accounts as CSV: import all-or-nothing with per-row errors, and export without secrets.

Columns (any order; only ``platform`` and ``username`` are required in the header):
``id, platform, username, email, password, device, packagename, logined, status, tags``.
A row with an ``id`` updates that account; a row without creates one. ``device`` is a serial
(empty = unbound). ``password`` empty on an update keeps the stored one. ``tags`` are separated
by commas or semicolons. Export writes the same columns, with ``password`` always empty, so an
exported file can be edited and imported back without touching anyone's password.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from devices.forms import split_names, tags_named
from devices.models import Account, Device, Platform

COLUMNS = [
    "id",
    "platform",
    "username",
    "email",
    "password",
    "device",
    "packagename",
    "logined",
    "status",
    "tags",
]
REQUIRED_COLUMNS = {"platform", "username"}
MAX_BYTES = 2 * 1024 * 1024  # ~20k accounts; far beyond a farm, small enough to parse in memory
MAX_ROWS = 20_000
TRUE_WORDS = {"1", "true", "yes", "y", "sim"}
FALSE_WORDS = {"0", "false", "no", "n", "não", "nao", ""}
STATUS_WORDS = {
    "0": Account.Status.ENABLED,
    "enabled": Account.Status.ENABLED,
    "1": Account.Status.DISABLED,
    "disabled": Account.Status.DISABLED,
}
# Spreadsheets run cells starting with these as formulas; export prefixes them with a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class RowError:
    line: int  # the line number a spreadsheet shows (header = 1)
    messages: list[str]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)  # file-level errors use line 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    account: Account
    password: str | None  # None = keep the stored one
    tags: list[str]


def import_upload(upload) -> ImportResult:
    """Import an uploaded file, refusing oversized ones before reading them."""
    if upload.size > MAX_BYTES:
        limit = MAX_BYTES // 1024
        return _file_error(_("The file is too large (limit %(kb)d KB).") % {"kb": limit})
    return import_accounts(upload.read())


def import_accounts(data: bytes) -> ImportResult:
    """Validate every row, then save all of them in one transaction, or none if any is bad."""
    if len(data) > MAX_BYTES:
        return _file_error(
            _("The file is too large (limit %(kb)d KB).") % {"kb": MAX_BYTES // 1024}
        )
    try:
        text = data.decode("utf-8-sig")  # Excel writes a BOM; strip it
    except UnicodeDecodeError:
        return _file_error(_("The file is not UTF-8 text. Save it as CSV UTF-8 and try again."))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    problem = _header_problem(header)
    if problem:
        return _file_error(problem)
    reader.fieldnames = header
    raw_rows = list(reader)
    if len(raw_rows) > MAX_ROWS:
        return _file_error(_("Too many rows (limit %(n)d).") % {"n": MAX_ROWS})
    if not raw_rows:
        return _file_error(_("The file has no rows."))
    rows, result = _validate(raw_rows)
    if result.ok:
        _save(rows, result)
    return result


def _file_error(message: str) -> ImportResult:
    return ImportResult(errors=[RowError(0, [message])])


def _header_problem(header: list[str]) -> str | None:
    missing = REQUIRED_COLUMNS - set(header)
    if missing:
        return _("Missing column(s): %(cols)s.") % {"cols": ", ".join(sorted(missing))}
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        return _("Unknown column(s): %(cols)s. Expected: %(expected)s.") % {
            "cols": ", ".join(unknown),
            "expected": ", ".join(COLUMNS),
        }
    if len(set(header)) != len(header):
        return _("A column appears twice in the header.")
    return None


def _cell(raw: dict, name: str) -> str:
    value = (raw.get(name) or "").strip()
    # Undo export's formula guard ("'=x" → "=x").
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        value = value[1:]
    return value


def _validate(raw_rows: list[dict]) -> tuple[list[_Row], ImportResult]:
    """Check each row against the database and the rest of the file; nothing is written."""
    result = ImportResult()
    ids = {int(_cell(r, "id")) for r in raw_rows if _cell(r, "id").isdigit()}
    existing = Account.objects.in_bulk(ids)
    serials = {_cell(r, "device") for r in raw_rows} - {""}
    devices = {d.serial: d for d in Device.objects.filter(serial__in=serials)}
    names = {Account.normalise_username(_cell(r, "username")) for r in raw_rows}
    taken = {
        (a.platform, a.username): a.pk
        for a in Account.objects.filter(username__in=names).only("id", "platform", "username")
    }
    seen_ids: dict[int, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    rows: list[_Row] = []
    for number, raw in enumerate(raw_rows, start=2):
        errors: list[str] = []
        if None in raw:  # csv puts surplus cells under the key None
            errors.append(_("This row has more cells than the header."))
        account = _account_for_row(raw, existing, seen_ids, number, errors)
        _apply_fields(raw, account, devices, errors)
        key = (account.platform, account.username)
        if account.username:
            if key in seen_names:
                errors.append(
                    _("@%(user)s is already on line %(line)d of this file.")
                    % {"user": account.username, "line": seen_names[key]}
                )
            elif taken.get(key) not in (None, account.pk):
                errors.append(
                    _("@%(user)s already exists (id %(id)d); put its id to update it.")
                    % {"user": account.username, "id": taken[key]}
                )
            seen_names.setdefault(key, number)
        if errors:
            result.errors.append(RowError(number, errors))
            continue
        password = _cell(raw, "password") or (None if account.pk else "")
        rows.append(_Row(number, account, password, split_names(_cell(raw, "tags"))))
    return rows, result


def _account_for_row(raw, existing, seen_ids, number, errors) -> Account:
    raw_id = _cell(raw, "id")
    if not raw_id:
        return Account()
    if not raw_id.isdigit():
        errors.append(_("id %(id)s is not a number.") % {"id": raw_id})
        return Account()
    pk = int(raw_id)
    if pk in seen_ids:
        errors.append(
            _("id %(id)d is already on line %(line)d.") % {"id": pk, "line": seen_ids[pk]}
        )
    seen_ids.setdefault(pk, number)
    if pk not in existing:
        errors.append(_("There is no account with id %(id)d.") % {"id": pk})
        return Account()
    return existing[pk]


def _apply_fields(raw: dict, account: Account, devices: dict, errors: list[str]) -> None:
    platform = _cell(raw, "platform").lower()
    if platform not in Platform.values:
        errors.append(
            _("Unknown platform %(value)r (use %(choices)s).")
            % {"value": platform, "choices": ", ".join(Platform.values)}
        )
    account.platform = platform
    account.username = Account.normalise_username(_cell(raw, "username"))
    if not account.username:
        errors.append(_("The username is empty."))
    elif len(account.username) > 100:
        errors.append(_("The username is longer than 100 characters."))
    email = _cell(raw, "email")
    try:
        if email:
            validate_email(email)
        account.email = email
    except ValidationError:
        errors.append(_("%(value)r is not an email address.") % {"value": email})
    serial = _cell(raw, "device")
    if serial and serial not in devices:
        errors.append(_("There is no phone with serial %(serial)s.") % {"serial": serial})
    account.device = devices.get(serial)
    account.packagename = _cell(raw, "packagename")[:150]
    logined = _cell(raw, "logined").lower()
    if logined not in TRUE_WORDS | FALSE_WORDS:
        errors.append(_("logined must be 1 or 0, not %(value)r.") % {"value": logined})
    account.logined = logined in TRUE_WORDS
    status = _cell(raw, "status").lower() or "0"
    if status not in STATUS_WORDS:
        errors.append(
            _("status must be 0 (enabled) or 1 (disabled), not %(value)r.") % {"value": status}
        )
    account.status = STATUS_WORDS.get(status, Account.Status.ENABLED)
    if any(len(t) > 50 for t in split_names(_cell(raw, "tags"))):
        errors.append(_("A tag is longer than 50 characters."))


@transaction.atomic
def _save(rows: list[_Row], result: ImportResult) -> None:
    for row in rows:
        creating = row.account.pk is None
        if row.password is not None:
            row.account.password = row.password
        row.account.save()
        row.account.tags.set(tags_named(row.tags))
        if creating:
            result.created += 1
        else:
            result.updated += 1


def _safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def export_lines(accounts: Iterable[Account]) -> Iterator[str]:
    """CSV text, line by line (streamed). The password column is always empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    # A BOM so Excel opens accents correctly; our importer strips it again.
    yield "\ufeff"
    writer.writerow(COLUMNS)
    yield flush()
    for account in accounts:
        device = account.device.serial if account.device else ""
        tags = ",".join(t.name for t in account.tags.all())
        writer.writerow(
            [
                account.pk,
                account.platform,
                _safe(account.username),
                _safe(account.email),
                "",  # never exported
                _safe(device),
                _safe(account.packagename),
                int(account.logined),
                account.status,
                _safe(tags),
            ]
        )
        yield flush()
