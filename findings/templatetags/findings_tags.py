import json

from django import template

register = template.Library()


@register.filter
def as_json(value: object) -> str:
    """Evidence as compact, key-sorted JSON: the same text the exports carry."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
