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


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def markdown_neutralised(markdown: str) -> str:
    """Advice Markdown for a file others open in a Markdown viewer: raw HTML (a tag, a comment,
    an autolink) shows as text, as it does on pages; code blocks and spans are left as they are.
    """
    lines, fence = [], ""
    for line in markdown.split("\n"):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1).startswith(fence):
                fence = ""
        elif opening:
            fence = opening.group(1)
        else:
            parts = _CODE_SPAN.split(line)
            line = "".join(
                part if part.startswith("`") else part.replace("<", "&lt;") for part in parts
            )
        lines.append(line)
    return "\n".join(lines)
