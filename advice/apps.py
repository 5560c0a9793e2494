from django.apps import AppConfig


class AdviceConfig(AppConfig):
    name = "advice"

    def ready(self) -> None:
        from advice.services import advice_plan_on_scan_closed
        from scans.lifecycle.hooks import scan_closed

        scan_closed.connect(advice_plan_on_scan_closed, dispatch_uid="advice-plan")
