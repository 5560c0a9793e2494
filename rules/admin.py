from collections.abc import Callable

from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse

from rules.loading import load_catalog
from rules.models import RuleSetting
from rules.services import rule_setting_update, rule_settings_sync
from securescope.frameworks import Framework, all_frameworks


def _framework_column(framework: Framework) -> Callable[[RuleSetting], str]:
    """A changelist column with the rule's mapping to `framework`."""

    @admin.display(description=framework.label)
    def column(setting: RuleSetting) -> str:
        return framework.describe(setting.compliance.get(framework.id))

    column.__name__ = framework.id
    return column


@admin.register(RuleSetting)
class RuleSettingAdmin(admin.ModelAdmin):
    list_display = [
        "rule_id",
        "title",
        "service",
        "severity",
        "enabled",
        "severity_override",
        *(_framework_column(framework) for framework in all_frameworks()),
        "updated_by",
        "updated_at",
    ]
    list_editable = ["enabled", "severity_override"]
    list_filter = ["service", "enabled", "catalog_severity", "in_catalog"]
    search_fields = ["rule_id", "title"]
    list_select_related = ["updated_by"]
    fields = [
        "rule_id",
        "title",
        "service",
        "resource_type",
        "catalog_severity",
        "compliance",
        "in_catalog",
        "enabled",
        "severity_override",
        "updated_by",
        "updated_at",
    ]
    readonly_fields = [
        "rule_id",
        "title",
        "service",
        "resource_type",
        "catalog_severity",
        "compliance",
        "in_catalog",
        "updated_by",
        "updated_at",
    ]
    actions = ["enable_rules", "disable_rules"]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> TemplateResponse:
        # New or edited YAML rules show up here without a restart.
        rule_settings_sync(catalog=load_catalog())
        return super().changelist_view(request, extra_context)

    def save_model(self, request, setting: RuleSetting, form, change: bool) -> None:
        rule_setting_update(
            setting=setting,
            user=request.user,
            enabled=setting.enabled,
            severity_override=setting.severity_override,
        )

    @admin.action(description="Enable the selected rules")
    def enable_rules(self, request: HttpRequest, queryset) -> None:
        for setting in queryset:
            rule_setting_update(setting=setting, user=request.user, enabled=True)
        messages.success(request, f"{queryset.count()} rules enabled.")

    @admin.action(description="Disable the selected rules")
    def disable_rules(self, request: HttpRequest, queryset) -> None:
        for setting in queryset:
            rule_setting_update(setting=setting, user=request.user, enabled=False)
        messages.success(request, f"{queryset.count()} rules disabled.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
