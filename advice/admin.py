from django.contrib import admin

from advice.models import Advice


@admin.register(Advice)
class AdviceAdmin(admin.ModelAdmin):
    """Cached advice is read-only; deleting a row makes the next scan ask the model again."""

    list_display = ("rule_id", "source", "model_id", "generated_at", "completion_tokens")
    list_filter = ("source", "model_id")
    search_fields = ("rule_id",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
