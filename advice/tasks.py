"""django-q2 entry points of the `advice` cluster (and the embedded thread pool's)."""

from advice.services import advice_item_run


def run_advice_item(item_id: int) -> None:
    advice_item_run(item_id=item_id)
