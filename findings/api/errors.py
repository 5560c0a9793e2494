"""Error responses of the API: per-field validation errors that never echo a submitted value."""

from django.forms.utils import ErrorDict


class FieldErrors(Exception):
    """A 400 with each field's messages, as a Django form words them."""

    def __init__(self, errors: ErrorDict | dict[str, list[str]]) -> None:
        super().__init__("invalid input")
        self.errors = {
            field: [str(message) for message in messages] for field, messages in errors.items()
        }
