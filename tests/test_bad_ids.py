"""No id from outside reaches the database out of range: every URL pattern, walked with a huge,
a negative and a non-numeric id, as every role, GET and POST, answers without a 5xx. Forms that
carry ids (reports, skills, bulk approval, the admin's merge) get the same three values."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from config.ids import IdConverter, parse_id
from groups.models import Post

BAD_IDS = ["99999999999999999999", "-1", "abc"]
PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
# Routes that would end the walk's session or flood it; none of them takes an id.
SKIPPED_NAMES = {"account_logout"}


def routes(resolver=None, prefix: str = ""):
    """Every path() route as a string with its <converter:name> parts, and its name."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = getattr(entry.pattern, "_route", None)
        if route is None:
            continue  # a regex pattern (the admin's app index, media): no id converter
        if isinstance(entry, URLResolver):
            yield from routes(entry, prefix + str(route))
        elif isinstance(entry, URLPattern) and entry.name not in SKIPPED_NAMES:
            yield prefix + str(route), entry.name


def fill(route: str, slug: str, value: str) -> str:
    def one(match):
        return slug if match["converter"] == "slug" else value

    return "/" + PARAM.sub(one, route)


def has_id(route: str) -> bool:
    return any(m["converter"] != "slug" for m in PARAM.finditer(route))


def form_data(value: str) -> dict:
    # Every id-carrying form field of the project, plus what gets a form past its first check.
    return {
        "report": value,
        "skills": value,
        "add_skill": value,
        "requests": value,
        "keep": value,
        "user": value,
        "group": value,
        "sector": value,
        "section": "skills",
        "action": "remove",
        "decision": "approve",
        "value": "1",
        "reason": "spam",
        "body": "Una risposta abbastanza lunga.",
        "title": "Una domanda valida?",
    }


@pytest.fixture
def thread(closed_group, bob, dave):
    question = Post.ask(closed_group, bob, title="Come si scrive una scheda?", body="Aiuto.")
    closed_group.add_member(dave)
    question.report(dave, reason="spam")
    return question


ROLES = ["anonymous", "bob", "moderator", "staff"]


def walk(client, own_id: str, slug: str, *, admin: bool) -> tuple[int, list[str]]:
    failures, walked = [], 0
    for method in ("get", "post"):
        for route, name in routes():
            if route.startswith("admin/") != admin:
                continue
            if admin and not (has_id(route) or route.endswith("/add/")):
                continue  # the admin's lists take no id from outside but the filters
            values = BAD_IDS if not admin else BAD_IDS[:1] if method == "post" else BAD_IDS[::2]
            if not admin and has_id(route):
                values = [*values, own_id]
            for value in values:
                url = fill(route, slug, value if has_id(route) else own_id)
                response = getattr(client, method)(url, form_data(value))
                walked += 1
                if response.status_code >= 500:
                    failures.append(f"{method.upper()} {url} ids={value} ({name})")
    return walked, failures


def client_as(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user, backend="profiles.backends.ModelBackend")
    return client


@pytest.mark.parametrize("role", ROLES)
def test_every_url_and_id_field_answers_bad_ids_without_a_server_error(
    role, request, closed_group, thread, bob
):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    walked, failures = walk(client_as(user), str((user or bob).pk), closed_group.slug, admin=False)
    assert walked > 300
    assert failures == []


def test_every_admin_url_and_relation_field_answers_bad_ids_without_a_server_error(
    staff, closed_group, thread
):
    walked, failures = walk(client_as(staff), str(staff.pk), closed_group.slug, admin=True)
    assert walked > 300
    assert failures == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        ("42", 42),
        ("999999999999999999", 999999999999999999),
        ("9223372036854775807", None),  # 19 digits: longer than the converter takes
        ("99999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("abc", None),
        ("", None),
        (None, None),
        ("1e3", None),
        ("١٢", None),  # Arabic-Indic digits: int() would take them
    ],
)
def test_parse_id_takes_only_positive_ids_that_fit_a_bigint(raw, expected):
    assert parse_id(raw) == expected


def test_the_id_converter_refuses_what_parse_id_refuses():
    converter = IdConverter()
    assert converter.to_python("17") == 17
    assert not re.fullmatch(converter.regex, "99999999999999999999")
    assert not re.fullmatch(converter.regex, "-1")
    with pytest.raises(ValueError):
        converter.to_python("0")


def test_no_url_pattern_uses_the_unbounded_int_converter():
    unbounded = [route for route, _name in routes() if "<int:" in route]
    assert unbounded == []
