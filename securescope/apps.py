from django.apps import AppConfig


class SecureScopeConfig(AppConfig):
    name = "securescope"
    verbose_name = "SecureScope"
