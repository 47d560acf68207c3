"""Whole pages for visitors (not logged in), kept a short while in the (fail-open) cache.

A visitor's page is the same for every visitor who asks for the same address, on the same host,
in the same language: @cache_for_visitors keeps it for VISITOR_PAGE_SECONDS and serves it
again without running the view. What it shows may lag by that long (a new answer, a new
member); what *withdraws* something from visitors takes effect at once, because every kept
page carries the generation it was built under and is served only while that generation is
the current one. The generation is everyone's (EVERYONE): a group saved (its visibility) or
deleted, an event saved or deleted, a post or comment hidden or deleted, a member suspended or
an account erased (the receivers are connected in ConnectionsConfig.ready).

Only a visitor with no session and no messages is served from it, for a full GET (not htmx).
The per-request parts are put back on the way out: the CSRF token (the visitor's own, so their
login form works) and the CSP nonce (the one in this response's header). A page whose view set
a cookie, or that is not a plain 200, is never kept. With Redis down every page is rendered.

A member's own pages (their home, network, own profile, notifications, inbox, conversations)
are kept the same way for that member alone by @kept_for_member / keep_for_member(), under
everyone's generation and the member's own (forget_members), the navigation badges and the
minute: see kept_for_member. Those that show nothing the member posts (their network, the
directory, another's profile) are kept under the member's standing and circle generations,
which their posts, votes and comments leave as they were (forget_activity); their network
under the circle's alone (their connections and requests: forget_circle), the directory under
the standing one alone. Those that show
the badges only in their navigation (the same three) are kept whatever the badges, the
navigation a hole filled per request.

The pages members share (groups, threads, search, events…) are kept once per *kind of reader*
by @shared_for_members: see its doc. What is the member's own in them (the navigation, a
"you are a member" pill) is a hole, {% own %}, filled per request.
"""

import contextlib
import functools
import hashlib
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import _unmask_cipher_token, get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

EVERYONE = "home-gen"  # the name predates this module: the home's blocks read it too
CSRF_PLACEHOLDER = "gildapagecsrf00000000000000000000000000000000000000000000000000000"
NONCE_PLACEHOLDER = "gildapagenonce000000000000"
# Where base.html shows the messages waiting for the request ({% messages_here %}), in a page
# rendered to be kept: filled per request, so a page with a message is served from the cache.
MESSAGES_PLACEHOLDER = SafeString("<!--gilda:messages-->")
# A masked CSRF token, as Django renders it: 64 letters and digits.
MASKED_TOKEN = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")


def new_generation(keys: list[str]) -> None:
    """A new random token under each key, without expiry, written at once and again after the
    transaction commits (so that nothing built from the old rows meanwhile outlives it)."""

    def write() -> None:
        cache.set_many(dict.fromkeys(keys, uuid.uuid4().hex), None)

    if not keys:
        return
    write()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(write)


def forget_everyone() -> None:
    new_generation([EVERYONE])


def page_generation(name: str) -> str:
    """The generation of the shared pages of one thing: "thread:12", "group:copywriter"…"""
    return f"gen:{name}"


# The things whose pages the request renewed (forget_pages), while gathering_renewed_pages()
# gathers them: a member's write is recorded against each (note_writer).
_RENEWED: ContextVar[set[str] | None] = ContextVar("renewed_pages", default=None)
# The fragments rendered while a page is rendered to be kept, by their lifetime: keep_fragment.
_FRAGMENTS_TO_KEEP: ContextVar[dict[int, dict[str, str]] | None] = ContextVar(
    "fragments_to_keep", default=None
)


def forget_pages(*names: str) -> None:
    """A new generation for the shared pages of each thing named (page_generation): their
    copies are rendered again at once."""
    new_generation([page_generation(name) for name in names])
    renewed = _RENEWED.get()
    if renewed is not None:
        renewed.update(names)


@contextlib.contextmanager
def gathering_renewed_pages() -> Iterator[set[str]]:
    """The set of the things whose pages what runs inside renews (forget_pages)."""
    token = _RENEWED.set(set())
    try:
        yield _RENEWED.get()
    finally:
        _RENEWED.reset(token)


def _member_key(user_id: int) -> str:
    return f"home-gen:{user_id}"  # the name predates this module, like EVERYONE's


def _standing_key(user_id: int) -> str:
    return f"standing-gen:{user_id}"


def _circle_key(user_id: int) -> str:
    return f"circle-gen:{user_id}"


def generation_keys(user_id: int, *, standing: bool | str = False) -> list[str]:
    """What a member's own pages depend on: everyone's generation and their own. With
    standing, their *standing* and *circle* generations instead: what they are (seats,
    blocks, profile, account; their connections and requests: the circle) without what they
    post (forget_activity), for pages that show none of their posts, votes, comments or
    notifications. With standing="circle", the circle's alone, for a page that shows nothing
    else of theirs (their network: a group joined leaves it as it was); with standing="alone",
    the standing one alone, for a page that shows none of their circle (the directory: a
    request sent leaves it as it was)."""
    if standing == "circle":
        return [EVERYONE, _circle_key(user_id)]
    if standing == "alone":
        return [EVERYONE, _standing_key(user_id)]
    if standing:
        return [EVERYONE, _standing_key(user_id), _circle_key(user_id)]
    return [EVERYONE, _member_key(user_id)]


def forget_members(*user_ids: int) -> None:
    """A new generation for each member, and a new standing one: all their own pages are read
    again, but for those that show only their circle (their network: forget_circle)."""
    ids = [user_id for user_id in user_ids if user_id]
    new_generation([*map(_member_key, ids), *map(_standing_key, ids)])


def forget_circle(*user_ids: int) -> None:
    """A new generation for each member whose connections or connection requests changed,
    and a new circle one: their pages are read again, but for what shows neither (the
    home's questions, events, groups and moderation, kept under the standing generation
    alone: connections.home_cache.CIRCLE_BLOCKS)."""
    ids = [user_id for user_id in user_ids if user_id]
    new_generation([*map(_member_key, ids), *map(_circle_key, ids)])


def forget_activity(*user_ids: int) -> None:
    """A new generation for each member whose posts, votes, comments, watches, notifications or
    conversations changed: their pages that show them are read again, those kept under their
    standing generation are not (a vote leaves their network and directory as they were)."""
    new_generation([_member_key(user_id) for user_id in user_ids if user_id])


def _served_from_cache(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and not request.htmx
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.user.is_authenticated
    )


def page_key(request: HttpRequest, *parts) -> str:
    """The address (scheme, host, path and query) and language, with any further parts."""
    address = (request.scheme, request.get_host(), request.get_full_path(), get_language())
    digest = hashlib.blake2b(repr((*address, *parts)).encode(), digest_size=20).hexdigest()
    return f"page:{digest}"


def _keepable(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def _with_placeholders(request: HttpRequest, content: bytes) -> bytes:
    """The rendered page with this request's CSRF tokens (each one masked anew) and nonce
    replaced by placeholders."""
    secret = request.META.get("CSRF_COOKIE")
    if secret:

        def unmasked(match: re.Match) -> bytes:
            token = match.group().decode()
            if _unmask_cipher_token(token) == secret:
                return CSRF_PLACEHOLDER.encode()
            return match.group()

        content = MASKED_TOKEN.sub(unmasked, content)
    nonce = get_nonce(request)
    if nonce:
        content = content.replace(str(nonce).encode(), NONCE_PLACEHOLDER.encode())
    return content


def messages_html(request: HttpRequest) -> str:
    """{% messages_here %}'s output: the messages waiting for the request (reading them marks
    them shown), or, while a page is rendered to be kept, their place."""
    if getattr(request, "_keeping", False):
        return MESSAGES_PLACEHOLDER
    waiting = messages.get_messages(request)
    if not waiting:
        return ""
    return render_to_string("messages.html", {"messages": waiting}, request=request)


@contextlib.contextmanager
def _rendering_to_keep(request: HttpRequest, **flags: bool) -> Iterator[None]:
    """While a page is rendered to be kept: the request's messages are left as a placeholder
    (_keeping), and, as `flags` say, the member's own parts as holes (_own_holes: a member's
    page) or what only a reader of another kind has skipped too (_shared_render: a shared
    copy). Each flag is put back as it was after."""
    flags = {"keeping": True, **flags}
    before = {name: getattr(request, f"_{name}", False) for name in flags}
    for name, value in flags.items():
        setattr(request, f"_{name}", value)
    fragments = _FRAGMENTS_TO_KEEP.set({})
    try:
        yield
        for seconds, rendered in _FRAGMENTS_TO_KEEP.get().items():
            cache.set_many(rendered, seconds)
    finally:
        _FRAGMENTS_TO_KEEP.reset(fragments)
        for name, value in before.items():
            setattr(request, f"_{name}", value)


def keep_fragment(key: str, html: str, seconds: int) -> None:
    """Keeps a rendered fragment (a post, a card: groups.fragments) under its key: at once,
    or, while a page is rendered to be kept, with the page's others in one cache round trip
    when it is done (a page of sixty cards read cold cost sixty)."""
    rendered = _FRAGMENTS_TO_KEEP.get()
    if rendered is None:
        cache.set(key, html, seconds)
    else:
        rendered.setdefault(seconds, {})[key] = html


def _with_request_parts(request: HttpRequest, content: bytes) -> bytes:
    if MESSAGES_PLACEHOLDER.encode() in content:
        content = content.replace(MESSAGES_PLACEHOLDER.encode(), messages_html(request).encode())
    if CSRF_PLACEHOLDER.encode() in content:
        content = content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    if NONCE_PLACEHOLDER.encode() in content:
        content = content.replace(NONCE_PLACEHOLDER.encode(), str(get_nonce(request)).encode())
    return content


def kept_page(
    request: HttpRequest,
    key: str,
    generations: list[str],
    seconds: int,
    render: Callable,
    *,
    own_holes: bool = False,
) -> HttpResponse:
    """The response kept under `key` while every one of `generations` is what it was when the
    page was kept (one cache round trip), with this request's CSRF token and nonce put back;
    otherwise render(), kept for `seconds` if it is a plain 200 that set no cookie. With
    own_holes, the page is kept with holes where the member's own parts go ({% own %}: the
    navigation and its badges), filled per request, the kept parts read in the same round
    trip."""
    parts = [own_key(request) for own_key in _OWN_KEYS.values()] if own_holes else []
    found = cache.get_many([*generations, key, *parts])
    kept_parts = {part: found[part] for part in parts if part in found}
    current = tuple(found.get(generation, "0") for generation in generations)
    kept = found.get(key)
    if kept is not None and kept[0] == current:
        _, headers, content = kept
        if own_holes:
            content = _fill_own_parts(request, content, kept_parts)
        response = HttpResponse(_with_request_parts(request, content))
        for name, value in headers:
            response[name] = value
        return response
    with _rendering_to_keep(request, own_holes=own_holes):
        response = render()
    if _keepable(request, response):
        content = _with_placeholders(request, response.content)
        cache.set(key, (current, list(response.headers.items()), content), seconds)
    if not response.streaming:
        content = response.content
        if own_holes:
            content = _fill_own_parts(request, content, kept_parts)
        response.content = _with_request_parts(request, content)
    return response


def cache_for_visitors(view):
    """Serves the view's page to visitors from the cache (see the module doc); members and
    anything but a visitor's full GET always get the view."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.VISITOR_PAGE_SECONDS or not _served_from_cache(request):
            return view(request, *args, **kwargs)
        return kept_page(
            request,
            page_key(request, "visitor"),
            [EVERYONE],
            settings.VISITOR_PAGE_SECONDS,
            lambda: view(request, *args, **kwargs),
        )

    return wrapped


def kept_for_member(
    view=None, *, only_if=None, also=None, standing: bool | str = False, badges=True
):
    """A member's own page (their home, network, own profile, notifications…) kept whole for
    them: under everyone's and their generation, settings.MEMBER_PAGE_VARY(request) (the
    navigation badges) and the minute, for MEMBER_PAGE_SECONDS at most. Their generation is
    new at once when they do anything through the site (connections.home_cache's middleware)
    and when others change what is theirs; what others do otherwise may lag by that minute.
    A page that also shows another member's own things (their profile) names them:
    also(request, **kwargs) returns their pks, and their generations count too. Messages to
    show are filled into the kept page ({% messages_here %}). An htmx request and anything
    but a GET run the view, and so does any request only_if(request, **kwargs) refuses. A
    page that shows none of the member's posts, votes, comments or notifications (but for the
    badges in its key) is kept under their standing generation instead (generation_keys):
    standing=True, or standing(request, **kwargs) for a view that serves both kinds (or
    standing="circle" or "alone": see generation_keys). A page that shows the badges only in its
    navigation passes badges=False: it is kept whatever they are, with its navigation a hole
    filled per request ({% own "nav" %}), so a new notification does not render it again.
    """
    if view is None:
        return functools.partial(
            kept_for_member, only_if=only_if, also=also, standing=standing, badges=badges
        )

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if only_if is not None and not only_if(request, **kwargs):
            return view(request, *args, **kwargs)
        others = also(request, **kwargs) if also is not None else ()
        calm = standing(request, **kwargs) if callable(standing) else standing
        return keep_for_member(
            request,
            lambda: view(request, *args, **kwargs),
            also=[_member_key(pk) for pk in others if pk != request.user.pk],
            standing=calm,
            badges=badges,
        )

    return wrapped


def keep_for_member(
    request: HttpRequest,
    render: Callable,
    *parts,
    also=(),
    standing: bool | str = False,
    badges=True,
) -> HttpResponse:
    """kept_for_member's work, for a view that checks access first: the response kept for
    this member (with `parts` in its key, and under the generations `also` names besides
    theirs), else render()."""
    user = request.user
    if (
        not settings.MEMBER_PAGE_SECONDS
        or request.method != "GET"
        or request.htmx
        or not user.is_authenticated
    ):
        return render()
    vary = import_string(settings.MEMBER_PAGE_VARY)(request) if badges else "own-holes"
    key = page_key(request, "member-page", user.pk, vary, int(time.time() // 60), *parts)
    generations = [*generation_keys(user.pk, standing=standing), *also]
    return kept_page(
        request, key, generations, settings.MEMBER_PAGE_SECONDS, render, own_holes=not badges
    )


# Pages members share ------------------------------------------------------------------------

# name -> fn(request, arg) -> HTML: the member's own parts of shared pages ({% own name arg %}).
_OWN_PARTS: dict[str, Callable[[HttpRequest, str], str]] = {}
# name -> fn(request) -> the cache key a part without argument is kept under for the member.
_OWN_KEYS: dict[str, Callable[[HttpRequest], str]] = {}
OWN_PART_SECONDS = 300
OWN_MARK = re.compile(rb"<!--own:([a-z-]+):([A-Za-z0-9_-]*)-->")
OWN_ARG = re.compile(r"[A-Za-z0-9_-]*")
STATE_SECONDS = 600


def own_part(name: str, *, kept_under: Callable[[HttpRequest], str] | None = None):
    """Registers fn(request, arg) -> HTML as the part `name` of a shared page that is each
    member's own: {% own name arg %} renders it, or leaves a hole for it in a shared copy.
    With kept_under, the part (without argument) is kept under the key kept_under(request)
    returns, which must hold everything the part shows; a shared page reads it in the same
    round trip as the copy."""

    if not re.fullmatch(r"[a-z-]+", name):
        raise ValueError(f"an own part's name is lowercase letters and -: {name!r}")

    def register(fn):
        _OWN_PARTS[name] = fn
        if kept_under is not None:
            _OWN_KEYS[name] = kept_under
        return fn

    return register


def rendering_shared_copy(request: HttpRequest) -> bool:
    """Whether the view renders a copy members of one kind share (shared_for_members): the
    reader's own parts are holes, and what only a reader of another kind has (their votes,
    a block, a watch) needs no query."""
    return getattr(request, "_shared_render", False)


def own_html(request: HttpRequest, name: str, arg="") -> SafeString:
    """{% own %}'s output: the part itself, or while a shared copy or a member's page with
    holes (kept_page) renders, its hole."""
    arg = str(arg)
    if not OWN_ARG.fullmatch(arg):
        raise ValueError(f"{{% own %}} takes an argument of letters, digits, - and _: {arg!r}")
    if rendering_shared_copy(request) or getattr(request, "_own_holes", False):
        return format_html("<!--own:{}:{}-->", name, arg)
    # The parts build their HTML with format_html, escape or a template (safe strings); any
    # other string is escaped.
    return conditional_escape(_OWN_PARTS[name](request, arg))


def _fill_own_parts(request: HttpRequest, content: bytes, kept: dict[str, str]) -> bytes:
    """The holes filled for this member; `kept` holds the parts read from the cache (by key),
    and the kept parts rendered here are kept for next time. Kept parts hold the CSRF
    placeholder: the caller puts the request's token back (_with_request_parts)."""
    keys = {name: key(request) for name, key in _OWN_KEYS.items()}
    rendered = {}

    def part(match: re.Match) -> bytes:
        name, arg = match[1].decode(), match[2].decode()
        key = keys.get(name) if not arg else None
        if key is not None and key in kept:
            return kept[key]
        html = str(_OWN_PARTS[name](request, arg)).encode()
        if key is not None:  # kept with placeholders: the member's other browsers
            rendered[key] = kept[key] = _with_placeholders(request, html)
        return html

    content = OWN_MARK.sub(part, content)
    if rendered:
        cache.set_many(rendered, OWN_PART_SECONDS)
    return content


def _wrote_key(user_id: int, thing: str = "") -> str:
    return f"wrote:{user_id}:{thing}" if thing else f"wrote:{user_id}"


def note_writer(
    user_id: int, *, posting: bool = False, circle: bool = False, renewed: Iterable[str] = ()
) -> None:
    """The member wrote something (any POST…): a new generation of their own pages (only of
    those that show their activity, when `posting`: a post, vote, comment or watch; only of
    those that show their circle, when `circle`: a connection request, its answer, a
    connection removed, a suggestion dismissed: forget_circle), and the
    time, after which a shared copy must have begun to be theirs (they read their own writes
    at once: shared_for_members): for any list across groups, and for the pages of the
    things the write renewed (forget_pages; the middleware gathers them). The middleware
    calls it before the view and again after its transaction committed."""
    if posting:
        forget_activity(user_id)
    elif circle:
        forget_circle(user_id)
    else:
        forget_members(user_id)
    if settings.SHARED_PAGE_SECONDS:
        now = time.time()
        times = {_wrote_key(user_id): now} | {_wrote_key(user_id, name): now for name in renewed}
        # As long as any copy may be served without current generations: a list's lifetime,
        # which the settle time may not exceed (settings).
        cache.set_many(times, settings.SHARED_PAGE_SECONDS + 2)


# A copy is the member's only if its rendering began this long after their last write: the
# margin covers clocks that differ between the machines serving the site.
CLOCK_MARGIN = 1.0


def _still_good(
    kept: tuple, current: tuple, wrote_at: float | None, now: float, things, settle: float
) -> bool:
    """Whether a shared copy may be served (see shared_for_members): everyone's generation
    as it was; for a page of things, their generations as they were, or the copy within its
    settle time and begun after the member's last write to one of them (wrote_at); for a
    list, begun after their last write of any kind."""
    if len(kept) != 4:  # kept by an earlier release
        return False
    generations, began = kept[0], kept[1]
    if generations[0] != current[0]:
        return False
    after_my_write = wrote_at is None or began > wrote_at + CLOCK_MARGIN
    if not things:
        return after_my_write
    if generations == current:
        return True
    return after_my_write and now - began < settle


def member_state(request: HttpRequest, name: str, load: Callable):
    """load(user), kept for the member under everyone's generation and their own: what a
    shared page's reader() needs to know of them (their seats, their threads…), read once per
    request and, while neither generation changes, without a query."""
    states = request.__dict__.setdefault("_member_states", {})
    if name in states:
        return states[name]
    user = request.user
    key = f"state:{name}:{user.pk}"
    generations = generation_keys(user.pk)
    found = cache.get_many([*generations, key])
    current = tuple(found.get(generation, "0") for generation in generations)
    request._member_generations = current
    kept = found.get(key)
    if kept is not None and kept[0] == current:
        states[name] = kept[1]
    else:
        states[name] = load(user)
        cache.set(key, (current, states[name]), STATE_SECONDS)
    return states[name]


def shared_for_members(reader: Callable, pages: Callable | None = None, *, settle: bool = True):
    """A page members share, kept once per kind of reader.

    reader(request, **kwargs) says what kind of reader the member is for this page (from
    member_state(), without a query): a tuple such as ("member",) for a plain member of the
    group, or None where the page is theirs alone (a moderator, the thread's author, a member
    with a block…): that page is kept for them alone, as keep_for_member() does, and under
    the generations of the things pages(**kwargs) names. Members of one kind see the same
    page but for their own parts, {% own %}: the copy keeps holes there and each request
    fills them. The key also holds the address, language and time zone, and the copy lives
    under everyone's generation: a withdrawal (a post hidden or deleted, a group closed, a
    member suspended) takes effect at once.

    A page whose things have generations (pages(**kwargs): a thread, a group, an event) is
    kept for SHARED_PAGE_KEEP_SECONDS, and served while those generations are what they were
    when its rendering began. When one moved on (a new answer, vote, comment or member), the
    copy is still served for what is left of its first SHARED_PAGE_SETTLE_SECONDS: what others
    add reaches readers within those seconds, and a busy thread or group is rendered at most
    once per settle time and kind of reader, not once per write. A page without generations
    (a list across groups) is kept for SHARED_PAGE_SECONDS, and what others change may lag by
    that long. Either way a member sees what they wrote themselves at once: a copy whose
    rendering began before their last write to one of its things (note_writer: a write that
    renewed that thing's pages) is never theirs unless its generations are current, and a
    list across groups begun before any write of theirs never is. A page whose state others
    race for (an event's last seats) passes settle=False: it never settles. Members with
    messages to show get the copy with their messages in it ({% messages_here %}); htmx
    requests and anything but a GET run the view."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if (
                not settings.SHARED_PAGE_SECONDS
                or request.method != "GET"
                or request.htmx
                or not request.user.is_authenticated
            ):
                return view(request, *args, **kwargs)
            kind = reader(request, **kwargs)
            if kind is None:  # the member's alone: kept for them, under the things' generations
                things = pages(**kwargs) if pages else ()
                return keep_for_member(
                    request,
                    lambda: view(request, *args, **kwargs),
                    also=[page_generation(name) for name in things],
                )
            key = page_key(request, "shared", timezone.get_current_timezone_name(), kind)
            things = pages(**kwargs) if pages else ()
            user_id = request.user.pk
            wrote = [_wrote_key(user_id, name) for name in things] or [_wrote_key(user_id)]
            parts = [own_key(request) for own_key in _OWN_KEYS.values()]
            generations = [EVERYONE, *map(page_generation, things)]
            found = cache.get_many([*generations, *wrote, key, *parts])
            wrote_at = max((found[name] for name in wrote if name in found), default=None)
            kept_parts = {part: found[part] for part in parts if part in found}
            current = tuple(found.get(generation, "0") for generation in generations)
            began = time.time()
            kept = found.get(key)
            settle_seconds = settings.SHARED_PAGE_SETTLE_SECONDS if settle else 0
            if kept is not None and _still_good(
                kept, current, wrote_at, began, things, settle_seconds
            ):
                _, _, headers, content = kept
                content = _fill_own_parts(request, content, kept_parts)
                response = HttpResponse(_with_request_parts(request, content))
                for name, value in headers:
                    response[name] = value
                return response
            with _rendering_to_keep(request, shared_render=True):
                response = view(request, *args, **kwargs)
            if _keepable(request, response):
                content = _with_placeholders(request, response.content)
                headers = list(response.headers.items())
                seconds = (
                    settings.SHARED_PAGE_KEEP_SECONDS if things else settings.SHARED_PAGE_SECONDS
                )
                cache.set(key, (current, began, headers, content), seconds)
            if not response.streaming:
                content = _fill_own_parts(request, response.content, kept_parts)
                response.content = _with_request_parts(request, content)
            return response

        return wrapped

    return decorator


def member_generations(request: HttpRequest) -> tuple:
    """Everyone's and the member's generation, as member_state() read them for this request
    (read now if it didn't)."""
    if not hasattr(request, "_member_generations"):
        keys = generation_keys(request.user.pk)
        found = cache.get_many(keys)
        request._member_generations = tuple(found.get(key, "0") for key in keys)
    return request._member_generations
