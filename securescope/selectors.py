from django.contrib.auth import get_user_model


def superuser_exists() -> bool:
    return get_user_model().objects.filter(is_superuser=True).exists()
