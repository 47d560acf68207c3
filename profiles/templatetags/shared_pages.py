"""{% own name arg %}: a member's own part of a page members share (config/page_cache.py)."""

from django import template

from config.page_cache import own_html

register = template.Library()


@register.simple_tag(takes_context=True)
def own(context, name: str, arg="") -> str:
    return own_html(context["request"], name, arg)
