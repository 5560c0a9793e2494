from django.contrib import admin

from findings.models import Finding


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["rule_id", "status", "severity", "region", "resource_type", "scan"]
    list_filter = ["status", "severity", "service"]
    search_fields = ["rule_id", "title"]
    list_select_related = ["scan"]
    readonly_fields = [f.name for f in Finding._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False
