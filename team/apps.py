from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "team"
    verbose_name = "Team"

    def ready(self) -> None:
        # Sign-ins, failed sign-ins and lockouts go to the audit log.
        from team import signins  # noqa: F401
