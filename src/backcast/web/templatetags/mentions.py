"""``{{ comment.body|mentions }}``: the body escaped, line breaks kept, each @handle marked."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from backcast.notifications.mentions import split

register = template.Library()


@register.filter(name="mentions")
def mentions(body: str) -> SafeString:
    """Escape every piece first, then wrap mentions in ``<mark class="mention">``; never raw HTML."""
    html = "".join(
        f'<mark class="mention">{escape(text)}</mark>' if mention else str(escape(text))
        for text, mention in split(str(body))
    )
    return mark_safe(html.replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308 - every piece escaped above
