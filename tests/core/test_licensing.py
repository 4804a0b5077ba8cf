"""Licence keys are verified offline from their Ed25519 signature; plans gate automation."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.core.management import call_command
from django.utils import timezone

from core import licensing
from core.licensing import LicenceError, current_entitlement, install_key, issue_key
from core.models import Licence


@pytest.fixture
def issuer(settings):
    """A throwaway vendor key pair trusted by this install."""
    pem, public = licensing.generate_keypair()
    settings.LICENCE_PUBLIC_KEYS = [public]
    return pem


@pytest.mark.django_db
def test_a_fresh_install_runs_a_14_day_pro_trial():
    ent = current_entitlement()
    assert (ent.plan.name, ent.device_limit, ent.api_enabled, ent.is_trial) == (
        "Pro",
        20,
        True,
        True,
    )
    assert ent.expires_at - timezone.now() > timedelta(days=13, hours=23)


@pytest.mark.django_db
def test_after_the_trial_the_install_falls_back_to_free():
    licensing.ensure_trial()
    Licence.objects.filter(is_trial=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    ent = current_entitlement()
    assert (ent.plan.name, ent.device_limit, ent.api_enabled) == ("Free", 0, False)
    assert not ent.automation_enabled


@pytest.mark.django_db
def test_the_trial_cannot_be_restarted_by_asking_again():
    first = licensing.ensure_trial()
    assert licensing.ensure_trial().pk == first.pk
    assert Licence.objects.filter(is_trial=True).count() == 1


# --- the trial cannot be restarted -----------------------------------------------------------


def entitlement_in(days: int):
    """The plan as it will be ``days`` from now (the clock moved on; nothing else changed)."""
    later = timezone.now() + timedelta(days=days)
    licensing.clear_entitlement_cache()
    with mock.patch("django.utils.timezone.now", return_value=later):
        return current_entitlement()


@pytest.fixture
def trial(db):
    trial = licensing.ensure_trial()
    assert entitlement_in(13).is_trial and entitlement_in(15).plan.name == "Free"
    return trial


def test_deleting_the_trial_row_does_not_restart_the_trial(trial):
    Licence.objects.filter(is_trial=True).delete()
    assert entitlement_in(15).plan.name == "Free"
    assert entitlement_in(13).is_trial  # and it did not end either


def test_editing_the_trial_row_does_not_lengthen_it(trial):
    forged = signing.dumps({"start": (timezone.now() + timedelta(days=30)).isoformat()},
                           key="another secret", salt=licensing.TRIAL_SALT)  # fmt: skip
    later = timezone.now() + timedelta(days=365)
    Licence.objects.filter(is_trial=True).update(expires_at=later, key=forged)
    assert entitlement_in(15).plan.name == "Free"


def test_without_its_row_and_its_file_the_trial_still_ends_on_time(trial, settings):
    Licence.objects.filter(is_trial=True).delete()
    settings.LICENCE_TRIAL_FILE.unlink()
    assert entitlement_in(15).plan.name == "Free"


def test_the_trial_start_is_signed_and_kept_outside_the_database_too(trial, settings):
    kept = settings.LICENCE_TRIAL_FILE.read_text().strip()
    assert licensing._start_from(kept) == licensing._start_from(trial.key) is not None
    assert oct(settings.LICENCE_TRIAL_FILE.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(signing.BadSignature):
        signing.loads(kept, key="another secret", salt=licensing.TRIAL_SALT)


def test_the_admin_cannot_delete_the_trial(trial, client_as, owner):
    admin = client_as(owner)
    assert admin.post(f"/admin/core/licence/{trial.pk}/delete/", {"post": "yes"}).status_code == 403
    admin.post(
        "/admin/core/licence/",
        {"action": "delete_selected", "_selected_action": [trial.pk], "post": "yes"},
    )
    assert Licence.objects.filter(is_trial=True).exists()


@pytest.mark.django_db
def test_an_installed_key_sets_plan_limit_and_expiry(issuer):
    key = issue_key(issuer, plan="team", devices=50, days=30, licensee="Fazenda SP")
    install_key(key)
    ent = current_entitlement()
    assert (ent.plan.name, ent.device_limit, ent.licensee) == ("Team", 50, "Fazenda SP")
    assert timedelta(days=29) < ent.expires_at - timezone.now() <= timedelta(days=30)


@pytest.mark.django_db
def test_an_expired_licence_falls_back(issuer):
    install_key(issue_key(issuer, plan="business", devices=100, days=1))
    later = timezone.now() + timedelta(days=30)  # past the key and the trial
    assert current_entitlement(now=later).plan.name == "Free"


@pytest.mark.django_db
def test_a_tampered_key_is_refused(issuer):
    key = issue_key(issuer, plan="starter", devices=5, days=30)
    prefix, payload, signature = key.split(".")
    forged_payload = licensing._b64encode(
        licensing._b64decode(payload).replace(b'"starter"', b'"business"')
    )
    with pytest.raises(LicenceError, match="not signed by a trusted issuer"):
        install_key(f"{prefix}.{forged_payload}.{signature}")


@pytest.mark.django_db
def test_a_key_from_a_foreign_issuer_is_refused(issuer):
    foreign_pem, _ = licensing.generate_keypair()
    with pytest.raises(LicenceError, match="not signed by a trusted issuer"):
        install_key(issue_key(foreign_pem, plan="pro", devices=20, days=30))


@pytest.mark.django_db
def test_editing_the_licence_row_grants_nothing(issuer):
    licence = install_key(issue_key(issuer, plan="starter", devices=5, days=30))
    Licence.objects.filter(pk=licence.pk).update(plan="business", device_limit=100)
    assert current_entitlement().device_limit == 5


@pytest.mark.django_db
def test_garbage_is_not_a_key(issuer):
    with pytest.raises(LicenceError, match="not a licence key"):
        install_key("hello")


@pytest.mark.django_db
def test_without_trusted_issuers_keys_cannot_be_installed(settings):
    pem, _ = licensing.generate_keypair()
    settings.LICENCE_PUBLIC_KEYS = []
    with pytest.raises(LicenceError, match="LICENCE_PUBLIC_KEYS"):
        install_key(issue_key(pem, plan="pro", devices=20, days=30))


@pytest.mark.django_db
def test_licence_command_keygen_issue_install_show(tmp_path, settings, capsys):
    private = tmp_path / "vendor.pem"
    call_command("licence", "keygen", "--out", str(private))
    public = capsys.readouterr().out.strip()
    settings.LICENCE_PUBLIC_KEYS = [public]
    call_command("licence", "issue", "--plan", "pro", "--days", "10", "--key", str(private))
    key = capsys.readouterr().out.strip()
    call_command("licence", "install", key)
    out = capsys.readouterr().out
    assert "plan: Pro" in out and "device limit: 20" in out
