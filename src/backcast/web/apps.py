from django.apps import AppConfig


class WebConfig(AppConfig):
    """The HTML interface: its templates, template tags and static files are found through this app."""

    name = "backcast.web"
    label = "web"
    verbose_name = "Web pages"
