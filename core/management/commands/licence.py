"""``manage.py licence install KEY | show | keygen --out FILE | issue --plan P --devices N …``"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import audit, licensing


class Command(BaseCommand):
    help = "Install, show, or (vendor tooling) create licence keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        install = sub.add_parser("install", help="install a licence key")
        install.add_argument("key")
        sub.add_parser("show", help="show the licence in force")
        keygen = sub.add_parser("keygen", help="create an issuer key pair; prints the public key")
        keygen.add_argument("--out", required=True, help="file to write the private key to")
        issue = sub.add_parser("issue", help="sign a new licence key")
        issue.add_argument("--plan", required=True, choices=sorted(licensing.PLANS))
        issue.add_argument("--devices", type=int, help="device limit (default: the plan's)")
        issue.add_argument("--days", type=int, default=365)
        issue.add_argument("--licensee", default="")
        issue.add_argument("--key", required=True, help="private key file from `licence keygen`")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except licensing.LicenceError as exc:
            raise CommandError(str(exc)) from exc

    def _install(self, key, **_):
        licence = licensing.install_key(key)
        audit.record(
            "licence.install", actor="manage.py", obj=licence, detail={"plan": licence.plan}
        )
        self.stdout.write(self.style.SUCCESS(f"Installed: {licence}"))
        self._show()

    def _show(self, **_):
        ent = licensing.current_entitlement()
        expires = f"{ent.expires_at:%Y-%m-%d %H:%M %Z}" if ent.expires_at else "never"
        self.stdout.write(
            f"plan: {ent.plan.name}\ndevice limit: {ent.device_limit}\n"
            f"API: {'yes' if ent.api_enabled else 'no'}\nexpires: {expires}\n{ent.message}"
        )

    def _keygen(self, out, **_):
        path = Path(out)
        if path.exists():
            raise CommandError(f"{path} exists; refusing to overwrite a private key")
        pem, public = licensing.generate_keypair()
        path.write_bytes(pem)
        path.chmod(0o600)
        self.stdout.write(public)

    def _issue(self, plan, devices, days, licensee, key, **_):
        try:
            pem = Path(key).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {key}: {exc.strerror}") from exc
        limit = licensing.PLANS[plan].device_limit if devices is None else devices
        self.stdout.write(
            licensing.issue_key(pem, plan=plan, devices=limit, days=days, licensee=licensee)
        )
