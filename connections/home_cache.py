"""The home's blocks, kept a short while per member in the (fail-open) cache.

Each block (questions you could answer, activity on your threads, moderation, requests, people
you may know, upcoming events, the profile nudge, your groups) is read once per member,
language, *generation* and navigation badges, then kept for BLOCK_SECONDS. The key holds:

- the member's own generation, new at once when they act: anything they do through the site
  (any POST, by the forget_after_writes middleware), and what their models' receivers see
  (joining, leaving or being removed from a group, a block either way, answering, replying to
  an event, editing the profile: skills, offers, place, languages, experiences);
- everyone's generation (config.page_cache.EVERYONE, which visitors' pages share): a group
  saved (its visibility) or deleted, an event saved, cancelled or deleted, a post or a comment
  hidden or deleted (groups.models.qa_records.content_withdrawn), a member suspended, an
  account erased (its name leaves the blocks). Not a post's row deleted: a receiver there would
  make every cascade load each post (a group's are covered by the group's deletion);
- the badges the page shows anyway (unread notifications, requests to answer, unread
  conversations): a new request or notification reads the blocks again.

The blocks that show nothing the member posts (moderation, requests, people, events, the
profile nudge, groups) are keyed by the member's *standing* generation instead, which their
posts, answers, comments, votes and watches leave as it was (config.page_cache.forget_activity,
and POSTING_VIEWS below); of those, moderation, requests and groups (its reports to review)
stay keyed by the badges. Requests and people follow the member's *circle* generation
instead: a connection request sent, answered or withdrawn, a connection made or removed, a
suggestion dismissed, a block renew it and the member's own (config.page_cache.forget_circle,
CIRCLE_VIEWS), leaving the standing one, and so the other standing blocks, as they were; a
group joined or a profile edit renews the standing one and leaves these two as they were.

So the home never shows what the member may no longer read, and always what they just did.
What others do otherwise may lag by the block's time (a new join request in a group they
moderate: up to 30 s). A generation is a random token under a key without expiry, written at
once and again after the transaction commits (so no block rebuilt from the old rows meanwhile
outlives the change). The receivers are connected in ConnectionsConfig.ready. With Redis down
every block is read from PostgreSQL, as before.
"""

import logging
import pickle
import time
from collections.abc import Callable

from django.core.cache import cache
from django.urls import Resolver404, resolve
from django.utils.translation import get_language

from config.page_cache import (
    forget_activity,
    forget_circle,
    forget_everyone,
    forget_members,
    gathering_renewed_pages,
    generation_keys,
    note_writer,
)

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
BLOCK_SECONDS = {
    "questions": 120,
    "activity": 30,
    "events": 120,
    "profile": 600,
    "requests": 30,
    "people": 120,
    "moderation": 30,
    "groups": 120,
}


# The blocks that show nothing the member posts, votes or comments on are kept under their
# standing generation (config.page_cache.generation_keys): an answer or a vote leaves them be.
# Those that count nothing a notification announces (a request, a report) are kept without
# the badges.
STANDING_BLOCKS = {"moderation", "requests", "people", "events", "profile", "groups"}
# Of those, the blocks that show the member's circle (connections, connection requests,
# suggestions) are kept under their circle generation instead (config.page_cache.forget_circle):
# a request sent or accepted leaves the others as they were, and a group joined or a profile
# edit leaves these (the suggestions they change are the worker's to refresh, within the
# block's time; a block either way renews the circle too).
CIRCLE_BLOCKS = {"requests", "people"}
BADGE_BLOCKS = {"activity", "moderation", "requests", "groups"}
# Blocks whose costly data is kept under the standing generation while their HTML follows the
# member's own: what the member posts changes them in a way the view applies to the kept data
# when it renders them again (questions they have answered since leave "questions you could
# answer": connections.views.home.FRESHEN).
STANDING_DATA = {"questions"}


# The shape of the blocks' kept data: a new number when a block's objects change shape (round
# 13: a question pick holds a row, not a Post), so that a deploy never renders objects an
# earlier release pickled with other attributes (they unpickle without error, then fail).
DATA_VERSION = 2


def _suffixes(user, names, badges: str) -> tuple[dict[str, str], dict[str, str]]:
    """Each block's key suffixes, for its HTML and for its data: member, language, everyone's
    generation and the one the block follows (the member's own, standing or circle one), and
    the badges where the block shows them; one cache round trip."""
    everyone, own = generation_keys(user.pk)
    standing, circle = generation_keys(user.pk, standing=True)[1:]
    generations = cache.get_many([everyone, own, standing, circle])

    def suffix(name: str, member: str) -> str:
        return ":".join(
            (
                str(user.pk),
                get_language() or "",
                generations.get(everyone, "0"),
                generations.get(member, "0"),
                badges if name in BADGE_BLOCKS else "",
            )
        )

    def follows(name: str) -> str:
        if name in CIRCLE_BLOCKS:
            return circle
        return standing if name in STANDING_BLOCKS else own

    html = {name: suffix(name, follows(name)) for name in names}
    data = {name: suffix(name, standing) if name in STANDING_DATA else html[name] for name in names}
    return html, data


def load_blocks(user, loaders: dict[str, Callable], suffixes: dict[str, str]) -> dict:
    """{name: loader(user)} for `loaders`, from the cache where it has them under their
    suffixes (load_html's), one more round trip to keep misses."""
    keys = {name: f"home:{name}:v{DATA_VERSION}:{suffixes[name]}" for name in loaders}
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
    # One round trip per lifetime, not one per block.
    for seconds in {BLOCK_SECONDS[name] for name in missed}:
        kept = {
            keys[name]: value for name, value in missed.items() if BLOCK_SECONDS[name] == seconds
        }
        cache.set_many(kept, seconds)
    return blocks


def load_html(user, loaders: dict[str, Callable], badges: str, render: Callable) -> dict:
    """{name: render(name, block)}: each block's HTML, kept under the block's key and the
    current minute (the blocks' "3 minutes ago"), rendered from load_blocks() when missing.
    Unpickling the blocks' model instances and rendering them cost most of a kept home."""
    suffixes, data_suffixes = _suffixes(user, loaders, badges)
    minute = int(time.time() // 60)
    keys = {name: f"home-html:{name}:{suffixes[name]}:{minute}" for name in loaders}
    found = cache.get_many(list(keys.values()))
    html = {name: found[key] for name, key in keys.items() if key in found}
    missing = {name: load for name, load in loaders.items() if name not in html}
    if missing:
        blocks = load_blocks(user, missing, data_suffixes)
        for name in missing:
            html[name] = render(name, blocks[name])
        cache.set_many({keys[name]: html[name] for name in missing}, 60)
    return html


# Writes that change only what the member posted (a question, an answer, a comment, a vote,
# a watch): their standing pages (network, directory, others' profiles, the standing blocks)
# stay as they were.
POSTING_VIEWS = frozenset(
    {"groups:ask", "groups:answer", "groups:comment", "groups:vote", "groups:watch"}
)
# Writes that change only the member's circle (their connections and connection requests, a
# suggestion dismissed): the pages and blocks that show none of it stay as they were
# (config.page_cache.forget_circle).
CIRCLE_VIEWS = frozenset(
    {
        "connections:connect",
        "connections:request_action",
        "connections:remove",
        "connections:dismiss",
    }
)


def _view_name(request) -> str:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return ""


def forget_after_writes(get_response):
    """Middleware: whatever a member does through the site (any POST, PUT, PATCH or DELETE:
    accepting a request, dismissing a suggestion, joining…) starts a new generation of their
    blocks, before the view runs and again after it, so that their next home shows it (for a
    post, vote, comment or watch, of the blocks and pages that show those: POSTING_VIEWS).
    What others do reaches their blocks within BLOCK_SECONDS, or with their next badge
    change."""

    def middleware(request):
        writer = None
        if request.method not in SAFE_METHODS and request.user.is_authenticated:
            writer = request.user.pk
            view_name = _view_name(request)
            kind = {"posting": view_name in POSTING_VIEWS, "circle": view_name in CIRCLE_VIEWS}
            note_writer(writer, **kind)
        with gathering_renewed_pages() as renewed:
            response = get_response(request)
        if writer is not None:
            note_writer(writer, **kind, renewed=renewed)
        return response

    return middleware


# Receivers (connected by label in ConnectionsConfig.ready) --------------------------------


def membership_changed(sender, instance, raw: bool = False, **kwargs):
    """A seat taken, changed or left (a join request, its decision, a ban: their pages)."""
    if not raw:
        forget_members(instance.user_id)


def moderation_logged(sender, instance, raw: bool = False, created: bool = False, **kwargs):
    """A moderation decision about a member (appointed, demoted, made owner, removed…): their
    seat changed, some of it by update() with no signal of its own."""
    if not raw and created and instance.target_id:
        forget_members(instance.target_id)


def block_changed(sender, instance, raw: bool = False, **kwargs):
    """A block either way: both members' pages, their circle's too (a connection ends, the
    blocker's network lists the block)."""
    if not raw:
        forget_members(instance.blocker_id, instance.blocked_id)
        forget_circle(instance.blocker_id, instance.blocked_id)


def member_acted(sender, instance, raw: bool = False, **kwargs):
    """A reply to an event or a profile edit: the member's own blocks change."""
    if not raw:
        forget_members(getattr(instance, "author_id", None) or getattr(instance, "user_id", None))


def member_posted(sender, instance, raw: bool = False, **kwargs):
    """A vote, a comment or a watch: the member's pages that show what they post change, not
    their standing ones."""
    if not raw:
        forget_activity(getattr(instance, "author_id", None) or getattr(instance, "user_id", None))


def profile_part_changed(sender, instance, raw: bool = False, **kwargs):
    if not raw:
        forget_members(instance.profile.user_id)


def post_created(sender, instance, raw: bool = False, created: bool = False, **kwargs):
    """A new answer takes its question out of the author's "questions you could answer"."""
    if not raw and created:
        forget_activity(instance.author_id)


def skills_changed(sender, instance, action: str, reverse: bool, **kwargs):
    if action.startswith("post_") and not reverse:
        forget_members(instance.user_id)


def pair_changed(sender, instance, raw: bool = False, **kwargs):
    """A connection made or removed, a connection request sent: both members' circle."""
    if not raw:
        forget_circle(
            getattr(instance, "user_low_id", None) or instance.sender_id,
            getattr(instance, "user_high_id", None) or instance.recipient_id,
        )


def account_saved(sender, instance, raw: bool = False, **kwargs):
    """The member's name, staff flag or first steps, which their home shows (a login too)."""
    if not raw:
        forget_members(instance.pk)


def attendance_marked(sender, event, user_ids, **kwargs):
    """Members marked present at a meetup (or not): their event page changes (people met)."""
    forget_members(*user_ids)


def everyone_changed(sender, instance=None, raw: bool = False, **kwargs):
    if not raw:
        forget_everyone()
