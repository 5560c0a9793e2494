"""The framework registry: one place for framework ids, labels, versions and requirements."""

import re
import shutil
from pathlib import Path

import pytest
import yaml

from securescope.frameworks import (
    DATA_DIR,
    UNMAPPED_KEY,
    FrameworkDataError,
    all_frameworks,
    get_framework,
    load_frameworks,
    mapped_sections,
    version_mappings,
)


def test_the_registry_lists_the_catalogs_frameworks_in_page_order():
    assert [framework.id for framework in all_frameworks()] == [
        "cis_aws_foundations",
        "cis_eks",
        "cis_aws_compute",
        "security_hub",
    ]
    assert get_framework(UNMAPPED_KEY) is None, "the reason key is no framework"
    assert get_framework("security_hub").versions == {}


def test_versions_and_requirements_come_from_the_data_files():
    foundations = get_framework("cis_aws_foundations")
    assert list(foundations.versions) == ["3.0.0", "5.0.0"]
    # The same number means different things in two versions.
    assert "MFA" in foundations.requirement("3.0.0", "1.5").title
    assert "hardware MFA" in foundations.requirement("5.0.0", "1.5").title
    root_mfa = foundations.requirement("3.0.0", "1.5")
    assert (root_mfa.level, root_mfa.automated) == (1, True)
    assert get_framework("cis_eks").requirement("1.8.0", "5.4.1").level is None
    assert foundations.requirement("3.0.0", "9.9") is None


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("*_v*.yaml")), ids=lambda path: path.name)
def test_every_data_file_keeps_its_provenance(path: Path):
    document = yaml.safe_load(path.read_text())
    assert document["source"].strip()
    assert path.read_text().startswith("# "), "the header comment says how the file was made"


def test_a_file_whose_name_and_content_disagree_is_refused(tmp_path: Path):
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    (directory / "cis_eks_v1.8.0.yaml").rename(directory / "cis_eks_v1.9.0.yaml")
    with pytest.raises(FrameworkDataError, match=re.escape("cis_eks_v1.9.0.yaml")):
        load_frameworks(directory)


def test_a_data_file_of_a_framework_missing_from_the_index_is_refused(tmp_path: Path):
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    shutil.copy(directory / "cis_eks_v1.8.0.yaml", directory / "cis_gke_v1.0.0.yaml")
    with pytest.raises(FrameworkDataError):
        load_frameworks(directory)


def test_describe_writes_a_mapping_as_the_pages_show_it():
    assert get_framework("cis_aws_foundations").describe(
        {"version": "3.0.0", "sections": ["5.2", "5.3"]}
    ) == ("v3.0.0 5.2, 5.3")
    assert get_framework("security_hub").describe(["EC2.13", "EC2.53"]) == "EC2.13, EC2.53"


TWO_VERSIONS = [
    {"version": "3.0.0", "sections": ["5.2", "5.3"]},
    {"version": "5.0.0", "sections": ["5.3", "5.4"]},
]


def test_a_mapping_to_two_versions_reads_newest_first():
    assert version_mappings(TWO_VERSIONS) == [("5.0.0", ["5.3", "5.4"]), ("3.0.0", ["5.2", "5.3"])]
    assert get_framework("cis_aws_foundations").describe(TWO_VERSIONS) == (
        "v5.0.0 5.3, 5.4; v3.0.0 5.2, 5.3"
    )
    assert mapped_sections(TWO_VERSIONS) == {"5.2", "5.3", "5.4"}


def test_a_stored_single_version_mapping_still_reads():
    # Findings stored before rules mapped several versions hold one mapping, not a list.
    assert version_mappings({"version": "3.0.0", "sections": ["1.4"]}) == [("3.0.0", ["1.4"])]
    assert version_mappings(None) == []
