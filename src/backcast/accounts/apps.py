from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People who log in, and their API tokens."""

    name = "backcast.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from backcast.accounts import checks  # noqa: F401 - registers the deploy check
