from django import template
from django.utils.safestring import SafeString, mark_safe

from advice.render import curated_markdown, markdown_html
from rules.schema import Rule

register = template.Library()


@register.filter
def advice_html(markdown: str) -> SafeString:
    """Rendered advice: Markdown without raw HTML, then an allow-list sanitizer (nh3)."""
    return mark_safe(markdown_html(markdown))  # noqa: S308 - sanitized by nh3 just above


@register.filter
def curated_advice_html(rule: Rule) -> SafeString:
    """The catalog's curated advice for a rule, rendered like a model's."""
    return advice_html(curated_markdown(rule))
