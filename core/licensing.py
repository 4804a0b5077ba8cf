"""Licences: Ed25519-signed keys verified offline, plans, the trial and the Free fallback.

A key is ``TMX1.<payload>.<signature>``, both parts url-safe base64 without padding. The payload
is JSON ``{"plan", "devices", "licensee", "issued", "expires", "id"}``; the signature covers the
encoded payload bytes. Only keys signed by a private key whose public half is in
``settings.LICENCE_PUBLIC_KEYS`` are accepted, so nobody can raise their plan by editing rows.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Min
from django.utils import timezone

from core.models import Licence

KEY_PREFIX = "TMX1"

log = logging.getLogger(__name__)

# current_entitlement() runs on every API request and every dispatcher tick; uncached it costs
# two queries and an Ed25519 verify each time. Its answer changes only when a licence is
# installed (install_key clears the cache in this process) or when one expires, so a few seconds
# of reuse is safe: other processes (gunicorn workers, the dispatcher) see a new or expired
# licence at most ENTITLEMENT_TTL seconds late. Monotonic clock, so wall-clock jumps cannot
# stretch the lifetime.
ENTITLEMENT_TTL = 5.0
_entitlement_cache: tuple[float, Entitlement] | None = None  # (monotonic deadline, answer)
_entitlement_lock = threading.Lock()


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    device_limit: int  # devices running tasks at the same time
    api_enabled: bool


PLANS = {
    plan.code: plan
    for plan in [
        Plan("free", "Free", 0, False),
        Plan("starter", "Starter", 5, False),
        Plan("pro", "Pro", 20, True),
        Plan("team", "Team", 50, True),
        Plan("business", "Business", 100, True),
    ]
}


class LicenceError(ValueError):
    """A key that cannot be installed; the message says why, in words for the operator."""


@dataclass(frozen=True)
class Entitlement:
    """What this install may do right now."""

    plan: Plan
    device_limit: int
    expires_at: datetime | None
    licensee: str
    is_trial: bool
    message: str

    @property
    def api_enabled(self) -> bool:
        return self.plan.api_enabled

    @property
    def automation_enabled(self) -> bool:
        return self.device_limit > 0


@dataclass(frozen=True)
class KeyContents:
    plan: Plan
    device_limit: int
    licensee: str
    issued_at: datetime
    expires_at: datetime
    key_id: str


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _trusted_public_keys() -> list[Ed25519PublicKey]:
    keys = []
    for encoded in settings.LICENCE_PUBLIC_KEYS:
        try:
            keys.append(Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded)))
        except ValueError as exc:
            raise LicenceError(f"LICENCE_PUBLIC_KEYS has an invalid key {encoded!r}") from exc
    return keys


def verify_key(key: str) -> KeyContents:
    """Check ``key``'s signature and contents; raise LicenceError saying what is wrong."""
    parts = key.strip().split(".")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise LicenceError("This is not a licence key (it should start with 'TMX1.').")
    try:
        payload_bytes, signature = _b64decode(parts[1]), _b64decode(parts[2])
    except ValueError:
        raise LicenceError("This licence key is damaged (it was not copied whole).") from None
    public_keys = _trusted_public_keys()
    if not public_keys:
        raise LicenceError(
            "This install trusts no licence issuer yet: "
            "set LICENCE_PUBLIC_KEYS to your vendor's public key."
        )
    if not any(_signature_matches(pk, signature, payload_bytes) for pk in public_keys):
        raise LicenceError(
            "This licence key was not signed by a trusted issuer (it was altered or is foreign)."
        )
    return _parse_payload(payload_bytes)


def _signature_matches(public_key: Ed25519PublicKey, signature: bytes, payload: bytes) -> bool:
    try:
        public_key.verify(signature, payload)
    except InvalidSignature:
        return False
    return True


def _parse_payload(payload_bytes: bytes) -> KeyContents:
    try:
        payload = json.loads(payload_bytes)
        plan = PLANS[payload["plan"]]
        return KeyContents(
            plan=plan,
            device_limit=int(payload["devices"]),
            licensee=str(payload.get("licensee", "")),
            issued_at=datetime.fromisoformat(payload["issued"]),
            expires_at=datetime.fromisoformat(payload["expires"]),
            key_id=str(payload.get("id", "")),
        )
    except (ValueError, KeyError, TypeError):
        raise LicenceError("This licence key's contents are not understood.") from None


def issue_key(
    private_key_pem: bytes, *, plan: str, devices: int, days: int, licensee: str = ""
) -> str:
    """Sign a new licence key (vendor tooling and tests)."""
    if plan not in PLANS:
        raise LicenceError(f"unknown plan {plan!r}: choose one of {', '.join(PLANS)}")
    if devices < 0 or days < 1:
        raise LicenceError("devices must be ≥ 0 and days ≥ 1")
    private_key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(private_key, Ed25519PrivateKey):
        raise LicenceError("the private key file is not an Ed25519 key")
    now = timezone.now().replace(microsecond=0)
    payload = {
        "plan": plan,
        "devices": devices,
        "licensee": licensee,
        "issued": now.isoformat(),
        "expires": (now + timedelta(days=days)).isoformat(),
        "id": uuid.uuid4().hex,
    }
    payload_bytes = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    signature = private_key.sign(payload_bytes)
    return f"{KEY_PREFIX}.{_b64encode(payload_bytes)}.{_b64encode(signature)}"


def generate_keypair() -> tuple[bytes, str]:
    """Return (private key PEM, public key base64) for ``licence keygen``."""
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return pem, base64.b64encode(public_raw).decode()


def install_key(key: str, *, user=None) -> Licence:
    contents = verify_key(key)
    clear_entitlement_cache()
    if contents.expires_at <= timezone.now():
        raise LicenceError(f"This licence key expired on {contents.expires_at:%Y-%m-%d}.")
    if Licence.objects.filter(key=key.strip()).exists():
        raise LicenceError("This licence key is already installed.")
    licence = Licence.objects.create(
        key=key.strip(),
        plan=contents.plan.code,
        device_limit=contents.device_limit,
        licensee=contents.licensee,
        expires_at=contents.expires_at,
        installed_by=user if user is not None and user.is_authenticated else None,
    )
    # Cleared again once the row exists and once it is committed: a request between the first
    # clear and the commit may have cached the old answer.
    clear_entitlement_cache()
    transaction.on_commit(clear_entitlement_cache)
    return licence


# -- the trial -------------------------------------------------------------------------------------
# A fresh install runs a Pro trial for LICENCE_TRIAL_DAYS. Its start must not move later, or
# deleting the trial row (the admin could) or editing it would start a fresh trial. The start is
# the earliest of three records, each of which can only make the trial end sooner:
# - the trial row's ``key``: the start, signed with this instance's SECRET_KEY;
# - the same signed start in a file in VAR_DIR (LICENCE_TRIAL_FILE), outside the database;
# - when this database was first migrated (``django_migrations``), shared by every host.
# A record whose signature fails (edited, or signed by another host's secret) is ignored, and
# the row's ``expires_at`` column can shorten the trial but never lengthen it.

TRIAL_SALT = "core.licensing.trial"


def ensure_trial() -> Licence:
    """The trial's row, created the first time anyone asks on a fresh install."""
    trial, _ = _trial()
    return trial


def _trial() -> tuple[Licence, datetime]:
    """The trial's row and when the trial really ends."""
    trial = Licence.objects.filter(is_trial=True).first()
    start = trial_started_at(trial)
    _remember_trial_start(start)
    if trial is None:
        trial = _create_trial_row(start)
    return trial, min(trial.expires_at, start + timedelta(days=settings.LICENCE_TRIAL_DAYS))


def trial_started_at(trial: Licence | None) -> datetime:
    """The earliest start any trustworthy record gives (see above); now on a fresh install."""
    signed = [_start_from(trial.key if trial else ""), _start_from(_read_trial_file())]
    starts = [start for start in [*signed, _database_created_at()] if start is not None]
    return min(starts, default=timezone.now())


def _create_trial_row(start: datetime) -> Licence:
    pro = PLANS["pro"]
    try:
        with transaction.atomic():
            return Licence.objects.create(
                is_trial=True,
                key=_signed_start(start),
                plan=pro.code,
                device_limit=pro.device_limit,
                licensee="trial",
                expires_at=start + timedelta(days=settings.LICENCE_TRIAL_DAYS),
                installed_at=start,
            )
    except IntegrityError:  # another process created it first
        return Licence.objects.get(is_trial=True)


def _signed_start(start: datetime) -> str:
    return signing.dumps({"start": start.isoformat()}, salt=TRIAL_SALT)


def _start_from(signed: str) -> datetime | None:
    if not signed:
        return None
    try:
        return datetime.fromisoformat(signing.loads(signed, salt=TRIAL_SALT)["start"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _database_created_at() -> datetime | None:
    first = MigrationRecorder(connection).migration_qs.aggregate(first=Min("applied"))
    return first["first"]


def _read_trial_file() -> str:
    try:
        return Path(settings.LICENCE_TRIAL_FILE).read_text().strip()
    except OSError:
        return ""


def _remember_trial_start(start: datetime) -> None:
    """Keep the earliest start in the file too (written whole: never half a file)."""
    path = Path(settings.LICENCE_TRIAL_FILE)
    kept = _start_from(_read_trial_file())
    if kept is not None and kept <= start:
        return
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(_signed_start(start) + "\n")
        partial.replace(path)
    except OSError as exc:  # a read-only VAR_DIR: the row and the database still hold it
        log.warning("could not write the trial record %s: %s", path, exc)


def clear_entitlement_cache() -> None:
    """Forget the cached entitlement in this process (a licence was installed; tests)."""
    global _entitlement_cache
    _entitlement_cache = None


def current_entitlement(now: datetime | None = None) -> Entitlement:
    """The best valid licence right now: an installed key, else the trial, else Free.

    Without ``now``, the answer may be up to ENTITLEMENT_TTL seconds old (see above); asking
    about an explicit moment always computes afresh."""
    global _entitlement_cache
    if now is not None:
        return _compute_entitlement(now)
    cached = _entitlement_cache
    if cached is not None and time.monotonic() < cached[0]:
        return cached[1]
    # One thread computes at a time, so a burst of requests after expiry costs one computation.
    with _entitlement_lock:
        cached = _entitlement_cache
        if cached is not None and time.monotonic() < cached[0]:
            return cached[1]
        entitlement = _compute_entitlement(timezone.now())
        _entitlement_cache = (time.monotonic() + ENTITLEMENT_TTL, entitlement)
        return entitlement


def _compute_entitlement(now: datetime) -> Entitlement:
    best: Entitlement | None = None
    for licence in Licence.objects.filter(is_trial=False, expires_at__gt=now):
        try:
            contents = verify_key(licence.key)
        except LicenceError:
            continue  # a row edited by hand, or a key from an issuer no longer trusted
        if contents.expires_at <= now:
            continue
        candidate = Entitlement(
            plan=contents.plan,
            device_limit=contents.device_limit,
            expires_at=contents.expires_at,
            licensee=contents.licensee,
            is_trial=False,
            message=f"{contents.plan.name} licence for {contents.licensee or 'this farm'}",
        )
        if best is None or candidate.device_limit > best.device_limit:
            best = candidate
    if best is not None:
        return best
    _, trial_ends = _trial()
    if trial_ends > now:
        days_left = max((trial_ends - now).days, 0)
        return Entitlement(
            plan=PLANS["pro"],
            device_limit=PLANS["pro"].device_limit,
            expires_at=trial_ends,
            licensee="",
            is_trial=True,
            message=f"Pro trial, {days_left} days left",
        )
    free = PLANS["free"]
    return Entitlement(
        plan=free,
        device_limit=free.device_limit,
        expires_at=None,
        licensee="",
        is_trial=False,
        message="Free plan: devices, accounts and screenshots work; install a licence to automate",
    )
