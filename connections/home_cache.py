"""The home's costly blocks, kept a short while per member in the (fail-open) cache.

Questions you could answer, activity on your threads and upcoming events are the home's
costly queries (23, 22 and 4 ms on the large data set), and the profile nudge four more: each
is read once per member, language and *generation*, then kept for BLOCK_SECONDS. What they
show may lag by that long when others act (a new answer on your thread: the notification badge
is live meanwhile). What changes who may read what, or what the member did, starts a new
generation at once, so the home never shows what the member may no longer read:

- the member's own generation: joining, leaving or being removed from a group, blocking or
  being blocked, answering, replying to an event, editing the profile (skills, offers, place,
  languages, experiences);
- everyone's generation: a group saved (its visibility), an event saved, cancelled or
  deleted, a post or a comment hidden or deleted (groups.models.qa_records.content_withdrawn),
  an account erased (its name leaves the blocks). Not a post's row deleted: a receiver there
  would make every cascade load each post (a group's are covered by the group's deletion).

A generation is a random token under a key without expiry, written at once and again after the
transaction commits (so no block rebuilt from the old rows meanwhile outlives the change). The
receivers are connected in ConnectionsConfig.ready. With Redis down every block is read from
PostgreSQL, as before.
"""

import logging
import pickle
from collections.abc import Callable

from django.core.cache import cache
from django.utils.translation import get_language

from config.page_cache import EVERYONE, forget_everyone, new_generation

logger = logging.getLogger(__name__)

BLOCK_SECONDS = {"questions": 120, "activity": 30, "events": 120, "profile": 600}


def _member_key(user_id: int) -> str:
    return f"home-gen:{user_id}"


def forget_members(*user_ids: int) -> None:
    new_generation([_member_key(user_id) for user_id in user_ids if user_id])


def load_blocks(user, loaders: dict[str, Callable]) -> dict:
    """{name: loader(user)} for the cached blocks among `loaders`, from the cache where it has
    them: two cache round trips (the generations, then the blocks), one more to keep misses."""
    member = _member_key(user.pk)
    generations = cache.get_many([EVERYONE, member])
    suffix = ":".join(
        (
            str(user.pk),
            get_language() or "",
            generations.get(EVERYONE, "0"),
            generations.get(member, "0"),
        )
    )
    keys = {name: f"home:{name}:{suffix}" for name in loaders}
    try:
        found = cache.get_many(list(keys.values()))
    except (pickle.UnpicklingError, AttributeError, ImportError, TypeError) as error:
        # Blocks pickled by an earlier release whose classes have changed since (a deploy
        # within BLOCK_SECONDS): read again, never an error page.
        logger.warning("home blocks unreadable, read again: %r", error)
        found = {}
    blocks, missed = {}, {}
    for name, load in loaders.items():
        key = keys[name]
        if key in found:
            blocks[name] = found[key]
        else:
            blocks[name] = missed[name] = load(user)
    for name, value in missed.items():
        cache.set(keys[name], value, BLOCK_SECONDS[name])
    return blocks


# Receivers (connected by label in ConnectionsConfig.ready) --------------------------------


def membership_changed(sender, instance, raw: bool = False, created: bool = True, **kwargs):
    if not raw and created:  # post_delete passes no "created": a removal counts
        forget_members(instance.user_id)


def block_changed(sender, instance, raw: bool = False, **kwargs):
    if not raw:
        forget_members(instance.blocker_id, instance.blocked_id)


def member_acted(sender, instance, raw: bool = False, **kwargs):
    """A reply to an event or a profile edit: the member's own blocks change."""
    if not raw:
        forget_members(getattr(instance, "author_id", None) or getattr(instance, "user_id", None))


def profile_part_changed(sender, instance, raw: bool = False, **kwargs):
    if not raw:
        forget_members(instance.profile.user_id)


def post_created(sender, instance, raw: bool = False, created: bool = False, **kwargs):
    """A new answer takes its question out of the author's "questions you could answer"."""
    if not raw and created:
        forget_members(instance.author_id)


def skills_changed(sender, instance, action: str, reverse: bool, **kwargs):
    if action.startswith("post_") and not reverse:
        forget_members(instance.user_id)


def everyone_changed(sender, instance=None, raw: bool = False, **kwargs):
    if not raw:
        forget_everyone()
