from django.db import migrations, models

# The section titles and order advice.render.sections_markdown wrote model advice with when this
# migration was written; copied, so that later edits to the renderer do not change history.
TITLES = {
    "rationale": "Why it matters",
    "remediation_cli": "Fix it with the AWS CLI",
    "remediation_console": "Fix it in the console",
    "blast_radius": "Blast radius",
    "regression_testing": "Regression testing",
}


def sections_of(markdown: str) -> dict[str, str]:
    """The sections of Markdown that sections_markdown wrote; {} if it does not read as such."""
    headings = [f"### {title}\n\n" for title in TITLES.values()]
    starts = []
    position = 0
    for heading in headings:
        start = markdown.find(heading, position)
        if start < 0:
            return {}
        starts.append(start)
        position = start + len(heading)
    ends = [start - 2 for start in starts[1:]] + [len(markdown.rstrip("\n"))]
    sections = {
        name: markdown[start + len(heading) : end]
        for name, heading, start, end in zip(TITLES, headings, starts, ends, strict=True)
    }
    fence, _, command = sections["remediation_cli"].partition("sh\n")
    if not fence or fence.strip("`") or not command.endswith("\n" + fence):
        return {}
    sections["remediation_cli"] = command[: -len(fence) - 1]
    return sections


def fill_sections(apps, schema_editor):
    Advice = apps.get_model("advice", "Advice")
    for advice in Advice.objects.filter(source="model").only("id", "markdown").iterator():
        advice.sections = sections_of(advice.markdown)
        advice.save(update_fields=["sections"])


class Migration(migrations.Migration):
    dependencies = [
        ("advice", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="advice",
            name="sections",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(fill_sections, migrations.RunPython.noop),
    ]
