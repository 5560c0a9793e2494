from django.apps import AppConfig


class SecureScopeConfig(AppConfig):
    name = "securescope"
    verbose_name = "SecureScope"

    def ready(self) -> None:
        from securescope import checks  # noqa: F401  (registers the system checks)
