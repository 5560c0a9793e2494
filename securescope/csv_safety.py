"""CSV that a spreadsheet opens as data: a cell that starts like a formula is quoted with `'`.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` (and,
after a tab or carriage return, the same) as a formula, which can fetch URLs or run commands.
Every CSV SecureScope writes goes through `csv_writer`.
"""

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(cell: Any) -> Any:
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


class FormulaSafeWriter:
    def __init__(self, buffer: TextIO) -> None:
        self._writer = csv.writer(buffer, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([formula_safe(cell) for cell in row])


def csv_writer(buffer: TextIO) -> FormulaSafeWriter:
    return FormulaSafeWriter(buffer)
