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

        from django.db.models.signals import post_delete, post_migrate

        from findings.export_snapshots import snapshots_delete, snapshots_delete_all
        from scans.models import Scan

        # Every deploy runs migrate: snapshots rendered by the code it replaces go with it.
        post_migrate.connect(
            lambda **_: snapshots_delete_all(), dispatch_uid="findings.snapshots-code", weak=False
        )
        post_delete.connect(
            lambda instance, **_: snapshots_delete(scan_ids=[instance.id]),
            sender=Scan,
            dispatch_uid="findings.snapshots-scan",
            weak=False,
        )
