"""Create the first owner on a fresh install (``make run`` calls this before serving)."""

import os
import secrets

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core import audit
from core.roles import Role, set_role


class Command(BaseCommand):
    help = "Create an owner account if there is none (ADMIN_USERNAME/ADMIN_PASSWORD or generated)."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True, is_active=True).exists():
            return
        username = User.normalize_username(os.environ.get("ADMIN_USERNAME", "").strip() or "admin")
        password = os.environ.get("ADMIN_PASSWORD", "")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        _validate(User, username, password)
        user, _ = User.objects.get_or_create(username=username)
        user.is_active = True
        user.set_password(password)
        user.save()
        set_role(user, Role.OWNER)
        audit.record("user.create", actor="make run", obj=user, detail={"role": "owner"})
        if generated:
            self.stdout.write(
                self.style.WARNING(
                    f"\nFirst owner created. Sign in at /login/ as\n"
                    f"    username: {username}\n    password: {password}\n"
                    f"This password is shown once; change it after signing in.\n"
                )
            )
        else:
            self.stdout.write(
                f"First owner {username!r} created from ADMIN_USERNAME/ADMIN_PASSWORD."
            )


def _validate(User, username: str, password: str) -> None:
    """The same rules as the team page: a valid username, a password AUTH_PASSWORD_VALIDATORS
    accept (``ADMIN_PASSWORD=a`` is refused before anything is created)."""
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise CommandError(f"ADMIN_USERNAME {username!r}: {' '.join(exc.messages)}") from None
    try:
        password_validation.validate_password(password, User(username=username))
    except ValidationError as exc:
        raise CommandError("ADMIN_PASSWORD is too weak: " + " ".join(exc.messages)) from None
