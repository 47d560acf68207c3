"""Rendered thread posts and thread-list rows, cached in Redis: a post's HTML is the same for
every reader who sees it the same way, so the thread page renders each post once and reads it
back after. A row of a thread list (group page, thread list, search) is the same for every
reader: prefetch_rows() keys it by what it shows. Event rows, inbox rows and a conversation's
messages go through prefetch_keyed(), with a signature of what they show.

The key is a hash of everything the post's fragment shows: the post and its comments as loaded
for this request (body, score, acceptance, deletion, edit time, authors' names), the viewer's
*shape* (member or not, author, vote, asker, may edit, moderator, blocked authors, own
comments), the language, the script prefix, and its "3 minutes ago" lines as they read now (their
text, not the minute: a post from last month reads "1 month ago" all day, and its fragment is
read back across minutes). So a cached fragment is never stale: any change makes a new key, and
old keys expire.

Access is checked by the view before any of this runs (get_post_for_reader), and the key
starts from posts the reader was allowed to load: a non-member never reaches a cache read of a
closed group's post. The CSRF token is rendered as a placeholder and put back per request.
The cache fails open (config/cache.py): with Redis down every post is rendered, nothing breaks.
"""

import hashlib

from django.core.cache import cache
from django.urls import get_script_prefix
from django.utils.translation import get_language

from profiles.templatetags.when import ago

FRAGMENT_SECONDS = 120  # a fragment not read back for two minutes goes
CSRF_PLACEHOLDER = "gildacsrf0placeholder0for0cached0fragments0000000000000000000000000"


def _author_signature(author) -> tuple:
    """What a post or comment shows of its author: the name and the verified badges."""
    if author is None:
        return (None,)
    return (author.name, author.verified_domain, author.vat_checked_at is not None)


def _comment_signature(comment) -> tuple:
    return (
        comment.pk,
        comment.author_id,
        _author_signature(comment.author),
        comment.created_at,
        ago(comment.created_at),
        comment.body_html,
        comment.hidden_at,
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
        post.hidden_at,
        post.edited_at,
        post.created_at,
        post.author_id,
        _author_signature(author),
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
        ago(post.created_at),
    )
    digest = hashlib.blake2b(repr(signature).encode(), digest_size=20).hexdigest()
    return f"thread-post:{digest}"


def row_key(thread, *, show_group: bool) -> str:
    """The cache key of a thread-list row (groups/threads.html#thread-row): the same for every
    reader, so it holds only what the row shows, with its "active 3 minutes ago" as it reads now."""
    signature = (
        thread.pk,
        thread.title,
        thread.score,
        thread.answer_count,
        bool(getattr(thread, "has_accepted", False)),
        thread.last_activity_at,
        thread.author_id,
        _author_signature(thread.author),
        thread.group.name if show_group else None,
        thread.group.slug,
        get_language(),
        get_script_prefix(),
        ago(thread.last_activity_at),
    )
    digest = hashlib.blake2b(repr(signature).encode(), digest_size=20).hexdigest()
    return f"thread-row:{digest}"


def prefetch_keyed(items, prefix: str, signature) -> None:
    """For any rows (events, and those of other layers): sets `fragment_key` (a hash of
    signature(item), the language and the script prefix) and `cached_fragment` on each item,
    with one cache round trip. The signature must hold everything the fragment shows and
    every way the viewer sees it."""
    keys = {}
    for item in items:
        parts = (*signature(item), get_language(), get_script_prefix())
        digest = hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()
        item.fragment_key = f"{prefix}:{digest}"
        keys[item.fragment_key] = item
    attach_cached(keys)


def attach_cached(keyed: dict) -> None:
    """Sets `cached_fragment` on each item of {key: item}, with one cache round trip."""
    for item in keyed.values():
        item.cached_fragment = None
    if keyed:
        for key, html in cache.get_many(list(keyed)).items():
            keyed[key].cached_fragment = html


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
    attach_cached(keys)


def prefetch_event_rows(events, *, show_group: bool = False) -> None:
    """The event rows' fragments (groups/_event_row.html), as prefetch_rows() does for
    threads: the same for every reader but the distance, which is in the key (to the
    kilometre, as shown)."""

    def signature(event) -> tuple:
        distance = getattr(event, "distance_km", None)
        return (
            event.pk,
            event.title,
            event.starts_at,
            event.time_zone,
            event.format,
            event.city,
            event.going_count,
            event.capacity,
            event.status,
            None if distance is None else round(distance),
            event.group.name if show_group else None,
            event.group.slug,
        )

    prefetch_keyed(events, "event-row", signature)


def prefetch_rows(threads, *, show_group: bool = False) -> None:
    """The thread-list rows' fragments: each thread the view loaded (so may show) gets its
    `fragment_key` and `cached_fragment`, with one cache round trip."""
    keys = {}
    for thread in threads:
        thread.fragment_key = row_key(thread, show_group=show_group)
        keys[thread.fragment_key] = thread
    attach_cached(keys)
