"""A CSV cell that a spreadsheet would run as a formula is quoted; everything else is as given."""

import csv
import io

import pytest

from securescope.csv_safety import csv_writer, formula_safe


@pytest.mark.parametrize(
    "cell",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")'],
)
def test_a_cell_that_starts_like_a_formula_is_quoted(cell):
    assert formula_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["EC2_SG_SSH_OPEN", "a = b", "", '{"open": [22]}', -1, 3.5, None])
def test_other_cells_are_left_alone(cell):
    assert formula_safe(cell) == cell


def test_the_writer_quotes_every_cell_of_a_row():
    buffer = io.StringIO()
    csv_writer(buffer).writerow(["=cmd|' /C calc'!A0", "plain", 5])
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [
        ["'=cmd|' /C calc'!A0", "plain", "5"]
    ]
