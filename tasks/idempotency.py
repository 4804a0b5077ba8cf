"""``Idempotency-Key``: a retried create request gets the first answer instead of duplicates."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tasks.models import IdempotencyKey

KEEP_FOR = timedelta(hours=24)
HEADER = "Idempotency-Key"


def fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(scope: str, key: str, payload: Any, run: Callable[[], dict]) -> dict:
    """``run()``'s answer, stored under (scope, key) in the transaction that runs it; the
    stored answer when the same key comes again within 24 h. The same key with a different
    payload is refused (ValidationError), as is a key that is empty or too long."""
    if not key.strip() or len(key) > 255:
        raise ValidationError({HEADER: ["must be 1 to 255 characters"]})
    digest = fingerprint(payload)
    try:
        with transaction.atomic():
            IdempotencyKey.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
            saved = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if saved is not None:
                return _replay(saved, digest)
            answer = run()
            IdempotencyKey.objects.create(scope=scope, key=key, fingerprint=digest, response=answer)
            return answer
    except IntegrityError:
        # A twin request committed the same key first; ours rolled back whole. Answer as it did.
        saved = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        if saved is None:
            raise
        return _replay(saved, digest)


def _replay(saved: IdempotencyKey, digest: str) -> dict:
    if saved.fingerprint != digest:
        raise ValidationError(
            {HEADER: ["this key was already used for a different request in the last 24 h"]}
        )
    return saved.response
