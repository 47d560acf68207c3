"""Rendered thread posts, cached in Redis: a post's HTML is the same for every reader who sees
it the same way, so the thread page renders each post once and reads it back after.

The key is a hash of everything the post's fragment shows: the post and its comments as loaded
for this request (body, score, acceptance, deletion, edit time, authors' names), the viewer's
*shape* (member or not, author, vote, asker, may edit, moderator, blocked authors, own
comments), the language, the script prefix, and the current minute (the "3 minutes ago" lines).
So a cached fragment is never stale: any change makes a new key, and old keys expire.

Access is checked by the view before any of this runs (get_post_for_reader), and the key
starts from posts the reader was allowed to load: a non-member never reaches a cache read of a
closed group's post. The CSRF token is rendered as a placeholder and put back per request.
The cache fails open (config/cache.py): with Redis down every post is rendered, nothing breaks.
"""

import hashlib
import time

from django.core.cache import cache
from django.urls import get_script_prefix
from django.utils.translation import get_language

FRAGMENT_SECONDS = 120  # two minute-buckets: a fragment outlives its minute only briefly
CSRF_PLACEHOLDER = "gildacsrf0placeholder0for0cached0fragments0000000000000000000000000"


def _comment_signature(comment) -> tuple:
    author = comment.author
    return (
        comment.pk,
        comment.author_id,
        author.name if author else None,
        comment.created_at,
        comment.body_html,
    )


def fragment_key(post, *, group, viewer_pk, member: bool, asker: bool, moderator: bool) -> str:
    """The cache key of `post`'s rendered fragment for this viewer (see the module doc)."""
    author = post.author
    comments = post.comment_list
    signature = (
        # What the post shows.
        post.pk,
        post.kind,
        post.body_html,
        post.score,
        post.is_accepted,
        post.deleted_at,
        post.edited_at,
        post.created_at,
        post.author_id,
        author.name if author else None,
        tuple(_comment_signature(comment) for comment in comments),
        # How this viewer sees it.
        member,
        viewer_pk is not None and post.author_id == viewer_pk,
        post.my_vote,
        asker,
        post.editable,
        moderator,
        getattr(post, "by_blocked", False),
        tuple(c.pk for c in comments if viewer_pk is not None and c.author_id == viewer_pk),
        tuple(c.pk for c in comments if getattr(c, "by_blocked", False)),
        # Where and when.
        group.slug,
        get_language(),
        get_script_prefix(),
        int(time.time() // 60),
    )
    digest = hashlib.blake2b(repr(signature).encode(), digest_size=20).hexdigest()
    return f"thread-post:{digest}"


def prefetch_fragments(posts, **viewer) -> None:
    """Sets `fragment_key` and `cached_fragment` on each post, with one cache round trip.
    A post whose comment form carries errors (a failed comment) is always rendered."""
    keys = {}
    for post in posts:
        post.cached_fragment = None
        post.fragment_key = None
        if post.comment_form.is_bound:
            continue
        post.fragment_key = fragment_key(post, **viewer)
        keys[post.fragment_key] = post
    if not keys:
        return
    for key, html in cache.get_many(list(keys)).items():
        keys[key].cached_fragment = html
