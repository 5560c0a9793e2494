"""Operators' view of the rule catalog: `manage.py rules list|validate|reload`."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rules.loading import clear_catalog_cache, load_catalog
from rules.models import RuleSetting
from rules.schema import Catalog
from rules.services import rule_settings_sync
from securescope.frameworks import UNMAPPED_KEY, all_frameworks


def _mapping(rule_compliance: dict) -> str:
    parts = [
        f"{framework.short_label} {framework.describe(rule_compliance[framework.id])}"
        for framework in all_frameworks()
        if rule_compliance.get(framework.id)
    ]
    if UNMAPPED_KEY in rule_compliance:
        parts.append(UNMAPPED_KEY)
    return "; ".join(parts)


class Command(BaseCommand):
    help = "List, validate or reload the YAML rule catalog."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "validate", "reload"])

    def handle(self, *args, action: str, **options) -> None:
        if action == "reload":
            clear_catalog_cache()
        catalog = load_catalog()
        {"list": self._list, "validate": self._validate, "reload": self._reload}[action](catalog)

    def _list(self, catalog: Catalog) -> None:
        settings = {s.rule_id: s for s in RuleSetting.objects.all()}
        for rule in sorted(catalog.rules, key=lambda r: (r.service, r.id)):
            setting = settings.get(rule.id)
            state = "off" if setting and not setting.enabled else "on"
            severity = setting.severity if setting else rule.severity
            self.stdout.write(
                f"{rule.id:<36} {rule.service:<12} {severity:<8} {state:<3} "
                f"{_mapping(rule.compliance)}"
            )
        self.stdout.write(f"{len(catalog.rules)} rules, {len(catalog.errors)} errors")
        self._report_errors(catalog)

    def _validate(self, catalog: Catalog) -> None:
        self._report_errors(catalog)
        if catalog.errors:
            raise CommandError(f"{len(catalog.errors)} invalid rules (left out of scans)")
        self.stdout.write(f"{len(catalog.rules)} rules valid")

    def _reload(self, catalog: Catalog) -> None:
        counts = rule_settings_sync(catalog=catalog)
        self.stdout.write(
            f"{len(catalog.rules)} rules loaded: {counts['created']} new, "
            f"{counts['updated']} changed, {counts['removed']} no longer in the catalog"
        )
        self._report_errors(catalog)

    def _report_errors(self, catalog: Catalog) -> None:
        for error in catalog.errors:
            self.stderr.write(f"error: {error}")
