"""URLs of a thread's posts without a full reverse() each: the thread page has ~10 per post.

Each URL pattern is reversed once per group, script prefix and name with a placeholder id,
then the post's id is put in its place.
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()
_PLACEHOLDER = 987654321987


@lru_cache(maxsize=4096)
def _pattern(name: str, slug: str, prefix: str) -> tuple[str, str]:
    head, _sep, tail = reverse(f"groups:{name}", args=[slug, _PLACEHOLDER]).partition(
        str(_PLACEHOLDER)
    )
    return head, tail


def post_url(name: str, slug: str, pk: int) -> str:
    head, tail = _pattern(name, slug, get_script_prefix())
    return f"{head}{pk}{tail}"


class PostUrls:
    """`{{ urls.vote }}` in a template: the post's URL for that view of the groups app."""

    def __init__(self, slug: str, pk: int):
        self.slug, self.pk = slug, pk

    def __getitem__(self, name: str) -> str:
        return post_url(name, self.slug, self.pk)


@register.filter
def urls_in(post, group) -> PostUrls:
    return PostUrls(group.slug, post.pk)


@register.filter
def comment_delete_url(comment, group) -> str:
    return post_url("comment_delete", group.slug, comment.pk)


@register.filter
def comment_report_url(comment, group) -> str:
    return post_url("report_comment", group.slug, comment.pk)
