from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    """Organisations (the tenants), their members with roles, and teams."""

    name = "backcast.organizations"
    label = "organizations"
    verbose_name = "Organisations"
