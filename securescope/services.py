"""Installation-level writes: the first admin account."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from securescope.selectors import superuser_exists


@transaction.atomic
def admin_ensure(*, username: str, password: str) -> AbstractBaseUser | None:
    """Create the first superuser; return None, changing nothing, when one exists already."""
    if superuser_exists():
        return None
    return get_user_model().objects.create_superuser(username=username, password=password)
