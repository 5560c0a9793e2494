from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "findings.api"
    # Its own app label, so its tables and migrations stand apart from the findings store.
    label = "api"
    verbose_name = "API"
