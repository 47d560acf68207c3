"""Template filters for times: `ago` ("adesso" under a minute)."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def ago(value: datetime | None) -> str:
    """“just now” under a minute (never “0 minutes ago”), else “3 hours ago”."""
    if value is None:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return _("just now")
    return _("%(when)s ago") % {"when": timesince(value)}
