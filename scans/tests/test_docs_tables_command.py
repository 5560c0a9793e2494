"""`manage.py docs_tables` rewrites the README's generated tables in place and checks them."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from scans.management.readme import stale_tables


@pytest.fixture
def readme(tmp_path: Path) -> Path:
    path = tmp_path / "README.md"
    shutil.copy(Path(settings.BASE_DIR) / "README.md", path)
    return path


def test_check_passes_on_the_shipped_readme(readme):
    call_command("docs_tables", "--check", readme=readme)


def test_check_fails_on_a_stale_table_and_write_fixes_only_the_tables(readme):
    original = readme.read_text()
    stale = original.replace('        "kms:ListKeys",\n', "").replace(
        "| `AWS::KMS::Key` | the key's ARN |\n", ""
    )
    stale = stale.replace("SecureScope only reads.", "SecureScope reads, and only reads.")
    assert stale != original
    readme.write_text(stale)
    with pytest.raises(CommandError, match="stale: iam-policy, arn-table"):
        call_command("docs_tables", "--check", readme=readme)

    call_command("docs_tables", "--write", readme=readme)

    assert stale_tables(readme.read_text()) == []
    # Prose outside the markers is the author's and stays as it was.
    assert readme.read_text() == original.replace(
        "SecureScope only reads.", "SecureScope reads, and only reads."
    )


def test_a_readme_without_the_markers_is_refused(readme):
    readme.write_text("# A README with no generated table\n")
    with pytest.raises(CommandError, match="no iam-policy section markers"):
        call_command("docs_tables", "--write", readme=readme)
