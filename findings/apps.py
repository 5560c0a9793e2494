from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "findings"

    def ready(self) -> None:
        from findings.port import StoredFindings
        from findings.services import finding_tallies_on_scan_closed
        from scans.lifecycle.hooks import findings_port_register, scan_closed

        findings_port_register(StoredFindings())
        scan_closed.connect(finding_tallies_on_scan_closed, dispatch_uid="findings-tallies")

        from django.contrib.auth.signals import user_logged_out

        from findings.reveal import reveals_forget_on_sign_out

        # Names and ARNs revealed in a session go when its user signs out, not only at the TTL.
        user_logged_out.connect(reveals_forget_on_sign_out, dispatch_uid="findings.reveals")
