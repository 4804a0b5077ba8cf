"""Farm settings (core.farm_settings): defaults from the environment, an owner's changes in
the database, audited, and read through a short per-process cache."""

from __future__ import annotations

import pytest

from core import farm_settings
from core.models import AuditEntry, Setting

pytestmark = pytest.mark.django_db
KEY = "phone_keyboard_install"


def test_an_unchanged_setting_takes_its_default_from_the_environment(settings):
    assert farm_settings.get(KEY) is True
    settings.PHONE_KEYBOARD_INSTALL = False
    farm_settings.clear_cache()
    assert farm_settings.get(KEY) is False


def test_a_change_is_stored_and_audited_and_a_non_change_is_not(owner):
    assert farm_settings.change(KEY, False, user=owner) is True
    assert farm_settings.get(KEY) is False
    assert Setting.objects.get(key=KEY).updated_by == owner
    entry = AuditEntry.objects.get(action="setting.change")
    assert (entry.user, entry.object_id, entry.detail) == (owner, KEY, {"old": True, "new": False})
    assert farm_settings.change(KEY, False, user=owner) is False
    assert AuditEntry.objects.filter(action="setting.change").count() == 1


def test_values_are_checked_and_keys_known():
    with pytest.raises(TypeError):
        farm_settings.change(KEY, "no", actor="test")
    with pytest.raises(KeyError, match="no farm setting"):
        farm_settings.get("nope")


def test_reads_are_cached_for_a_few_seconds_per_process():
    assert farm_settings.get(KEY) is True
    Setting.objects.create(key=KEY, value=False)  # changed by another process
    assert farm_settings.get(KEY) is True
    farm_settings.clear_cache()  # what CACHE_SECONDS later amounts to
    assert farm_settings.get(KEY) is False
