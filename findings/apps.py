from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "findings"

    def ready(self) -> None:
        from findings.port import StoredFindings
        from findings.services import finding_tallies_on_scan_closed
        from scans.lifecycle.hooks import findings_port_register, scan_closed

        findings_port_register(StoredFindings())
        scan_closed.connect(finding_tallies_on_scan_closed, dispatch_uid="findings-tallies")
