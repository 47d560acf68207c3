"""{% own name arg %}: a member's own part of a page members share, and {% messages_here %}:
the messages waiting for the request, filled in per request on a kept page
(config/page_cache.py)."""

from django import template

from config.page_cache import messages_html, own_html

register = template.Library()


@register.simple_tag(takes_context=True)
def own(context, name: str, arg="") -> str:
    return own_html(context["request"], name, arg)


@register.simple_tag(takes_context=True)
def messages_here(context) -> str:
    request = context.get("request")  # an error page may render without one
    return messages_html(request) if request is not None else ""
