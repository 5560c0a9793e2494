"""The committed samples are what the code produces for the demo account."""

import pytest

from findings.exports import EXPORTERS
from findings.samples import SAMPLES_DIR, sample_exports, sample_file_name, stale_samples

pytestmark = [pytest.mark.moto, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_samples_are_current(tmp_path):
    exports = sample_exports()
    assert sorted(exports) == sorted(sample_file_name(name) for name in EXPORTERS)
    stale = stale_samples(exports)
    assert not stale, f"stale samples {stale}: run `manage.py samples --write` and commit them"
    # The check itself notices a changed file.
    for name, text in exports.items():
        (tmp_path / name).write_text(text, encoding="utf-8", newline="")
    (tmp_path / "demo.md").write_text("edited", encoding="utf-8")
    assert stale_samples(exports, tmp_path) == ["demo.md"]
    assert SAMPLES_DIR.is_dir()
