from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "findings"

    def ready(self) -> None:
        from findings.port import StoredFindings
        from scans.lifecycle.hooks import findings_port_register

        findings_port_register(StoredFindings())
