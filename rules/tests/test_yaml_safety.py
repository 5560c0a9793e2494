"""A rule file carrying YAML tags that would run code is refused, and nothing runs."""

from pathlib import Path

import pytest

from rules.loading import load_catalog
from rules.tests.conftest import replace_in

PAYLOADS = [
    # Each would create the marker file if the loader constructed Python objects.
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path ['{marker}']]",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/name:os.system",
]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("where", ["file", "field"])
def test_python_tags_are_rejected_without_running(
    catalog_copy: Path,
    tmp_path: Path,
    payload: str,
    where: str,
):
    marker = tmp_path / "pwned"
    tagged = payload.format(marker=marker)
    if where == "file":
        (catalog_copy / "evil.yaml").write_text(f"rules: {tagged}\n")
    else:
        replace_in(catalog_copy / "ec2_network.yaml", "severity: high\n", f"severity: {tagged}\n")

    catalog = load_catalog(catalog_copy)

    assert not marker.exists()
    source = "evil.yaml" if where == "file" else "ec2_network.yaml"
    expected = f"{source}: not valid YAML"
    assert any(error.startswith(expected) for error in catalog.errors), catalog.errors
    # Only the tagged file is left out; the rest of the catalog still loads.
    assert "EKS_CONTROL_PLANE_LOGGING" in {rule.id for rule in catalog.rules}


def test_a_deeply_nested_file_is_left_out_and_the_rest_loads(catalog_copy: Path):
    depth = 100_000
    (catalog_copy / "nested.yaml").write_text("rules: " + "[" * depth + "]" * depth + "\n")

    catalog = load_catalog(catalog_copy)

    assert any(error.startswith("nested.yaml: ") for error in catalog.errors), catalog.errors
    assert "EKS_CONTROL_PLANE_LOGGING" in {rule.id for rule in catalog.rules}
