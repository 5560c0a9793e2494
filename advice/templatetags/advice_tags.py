from django import template
from django.utils.safestring import SafeString, mark_safe

from advice.render import markdown_html

register = template.Library()


@register.filter
def advice_html(markdown: str) -> SafeString:
    """Rendered advice: Markdown without raw HTML, then an allow-list sanitizer (nh3)."""
    return mark_safe(markdown_html(markdown))  # noqa: S308 - sanitized by nh3 just above
