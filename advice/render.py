"""Advice as Markdown (stored and exported) and as sanitized HTML (shown)."""

import re

import nh3
from markdown_it import MarkdownIt

from advice.prompts import SECTION_TITLES, curated_sections
from rules.schema import Rule

# Raw HTML in Markdown is not passed through; nh3 then keeps only the tags Markdown produces.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})
ALLOWED_TAGS = {"h3", "p", "pre", "code", "ul", "ol", "li", "strong", "em", "blockquote", "br"}
_CODE_SPAN = re.compile(r"(`[^`]*`)")
_MARKUP = re.compile(r"([\\*_\[\]])")


def _fenced(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}sh\n{text}\n{fence}"


def sections_markdown(sections: dict[str, str]) -> str:
    parts = []
    for name, title in SECTION_TITLES.items():
        body = _fenced(sections[name]) if name == "remediation_cli" else sections[name]
        parts.append(f"### {title}\n\n{body}")
    return "\n\n".join(parts) + "\n"


def _literal(text: str) -> str:
    """Catalog prose as Markdown: its `backticks` stay code, everything else reads as written
    (Principal "*" and Action "s3:*" are not emphasis)."""
    parts = _CODE_SPAN.split(text)
    return "".join(part if part.startswith("`") else _MARKUP.sub(r"\\\1", part) for part in parts)


def curated_markdown(rule: Rule) -> str:
    """The catalog's own advice, in the sections and layout a model's advice has."""
    sections = curated_sections(rule)
    return sections_markdown(
        {
            name: text if name == "remediation_cli" else _literal(text)
            for name, text in sections.items()
        }
    )


def markdown_html(markdown: str) -> str:
    """Safe HTML for a template: no raw HTML, no links, no attributes survive."""
    return nh3.clean(_markdown.render(markdown), tags=ALLOWED_TAGS, attributes={}, link_rel=None)
