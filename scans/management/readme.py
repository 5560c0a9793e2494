"""Every table of the README that code writes: the collection layer's (IAM policy, ARN forms)
and the rules layer's (benchmark coverage, candidates not implemented), joined here at the top,
where both layers may be imported."""

from rules import readme_tables as rule_tables
from scans.collection import readme_tables as collection_tables

TABLES = {**collection_tables.TABLES, **rule_tables.TABLES}


def rewritten(text: str) -> str:
    """`text` (the README) with every generated table brought up to date."""
    return collection_tables.rewritten(text, TABLES)


def stale_tables(text: str) -> list[str]:
    """The names of the generated tables whose text in the README differs from the code's."""
    return collection_tables.stale_tables(text, TABLES)
