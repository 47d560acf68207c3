"""Italian pages carry no English (issue 19, item 23).

Every msgid of three words or more from the catalogues that can reach a page (Django's core,
forms and contrib apps, allauth, and the project's own) is searched for in the visible text of
the key pages and forms, rendered in Italian, with their errors. An English sentence found there
means a string missing from the Italian catalogues: add it to config/locale/it (LOCALE_PATHS
wins over the dependencies' catalogues)."""

import html
import re
from functools import cache
from pathlib import Path

import allauth
import django
import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PO_FILES = [
    *Path(django.__file__).parent.glob("conf/locale/en/LC_MESSAGES/django.po"),
    *Path(django.__file__).parent.glob("contrib/*/locale/en/LC_MESSAGES/django.po"),
    *Path(allauth.__file__).parent.glob("locale/en/LC_MESSAGES/django.po"),
    *ROOT.glob("*/locale/en/LC_MESSAGES/django.po"),
]
# Words that read the same in both languages (product names, loanwords).
SAME_IN_BOTH = set()
SECTIONS = ["about", "location", "skills", "experience", "avatar", "privacy", "needs"]


def msgids(po: Path) -> list[str]:
    found = []
    for block in re.split(r"\n\s*\n", po.read_text(encoding="utf-8")):
        for key in ("msgid", "msgid_plural"):
            match = re.search(rf'^{key} ((?:".*"\n?)+)', block, re.MULTILINE)
            if match:
                found.append("".join(re.findall(r'"(.*)"', match.group(1))))
    return found


@cache
def english_sentences() -> frozenset[str]:
    sentences = set()
    for po in PO_FILES:
        for msgid in msgids(po):
            text = (
                msgid.encode().decode("unicode_escape", errors="ignore") if "\\" in msgid else msgid
            )
            # The literal runs between placeholders and tags, each of three words or more.
            for run in re.split(r"%\(\w+\)[sdr]|%[sdr]|\{[^}]*\}|<[^>]+>|\n", text):
                run = run.strip(" .:,;!?“”\"'()-")
                if len(re.findall(r"[A-Za-z]{2,}", run)) >= 3 and run not in SAME_IN_BOTH:
                    sentences.add(run)
    return frozenset(sentences)


def visible_text(response) -> str:
    page = response.content.decode()
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    attributes = re.findall(r'(?:placeholder|aria-label|title|alt)="([^"]*)"', page)
    options = re.findall(r"(?s)<option[^>]*>(.*?)</option>", page)
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(" ".join([text, *attributes, *options]))


def english_in(response) -> list[str]:
    text = re.sub(r"\s+", " ", visible_text(response))
    return sorted(s for s in english_sentences() if s in text)


def test_the_catalogues_give_thousands_of_sentences_to_look_for():
    sentences = english_sentences()

    assert len(sentences) > 500
    assert "Select an option" in sentences
    assert "This password is too short" in " ".join(sentences)


@pytest.fixture
def question(closed_group, bob):
    from groups.models import Post

    return Post.ask(closed_group, bob, title="Quanto chiedere?", body="Tariffe per un naming.")


@pytest.fixture
def meetup(closed_group, alice, bob):
    from datetime import timedelta

    from django.utils import timezone

    from groups.models import Event
    from profiles import gazetteer

    milano = gazetteer.find("Milano")
    starts = timezone.now() + timedelta(days=3)
    event = Event.objects.create(
        group=closed_group, organiser=alice, title="Aperitivo", geoname_id=milano.geoname_id,
        city=milano.name, latitude=milano.latitude, longitude=milano.longitude,
        starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=1, quorum=1,
        quorum_deadline=starts - timedelta(days=1),
    )  # fmt: skip
    event.rsvp(alice, "going")
    event.rsvp(bob, "going")  # the waitlist
    return event


def pages(closed_group, question, bob, staff, meetup):
    group = closed_group.slug
    return [
        ("bob", "get", reverse("events"), None),
        ("bob", "get", reverse("events") + "?citta=Atlantide&dal=ieri", None),
        ("bob", "get", reverse("calendar"), None),
        ("bob", "get", reverse("groups:events", args=[group]), None),
        ("bob", "get", meetup.get_absolute_url(), None),
        ("staff", "get", reverse("groups:event_create", args=[group]), None),
        ("staff", "post", reverse("groups:event_create", args=[group]), {"title": "x"}),
        ("staff", "get", reverse("groups:event_attendance", args=[group, meetup.pk]), None),
        ("staff", "get", reverse("groups:event_cancel", args=[group, meetup.pk]), None),
        ("anonymous", "get", "/", None),
        ("anonymous", "get", reverse("groups:list"), None),
        ("anonymous", "get", "/accounts/signup/", None),
        (
            "anonymous",
            "post",
            "/accounts/signup/",
            {"email": "x", "password1": "abc", "password2": "abd"},
        ),
        (
            "anonymous",
            "post",
            "/accounts/signup/",
            {"email": "nuova@example.com", "password1": "12345678", "password2": "12345678"},
        ),
        ("anonymous", "get", "/accounts/login/", None),
        (
            "anonymous",
            "post",
            "/accounts/login/",
            {"login": "bob@example.com", "password": "sbagliata"},
        ),
        ("anonymous", "get", "/accounts/password/reset/", None),
        ("anonymous", "post", "/accounts/password/reset/", {"email": "non-una-email"}),
        ("bob", "get", bob.get_absolute_url(), None),
        *[("bob", "get", f"{bob.get_absolute_url()}?edit={e}", None) for e in SECTIONS],
        ("bob", "get", reverse("directory"), None),
        ("bob", "get", reverse("directory") + "?citta=Atlantide&raggio=abc", None),
        ("bob", "get", reverse("groups:create"), None),
        ("bob", "post", reverse("groups:create"), {"name": ""}),
        ("bob", "get", reverse("groups:threads", args=[group]), None),
        ("bob", "get", reverse("groups:ask", args=[group]), None),
        ("bob", "post", reverse("groups:ask", args=[group]), {"title": "", "body": ""}),
        ("bob", "get", reverse("groups:thread", args=[group, question.pk]), None),
        ("bob", "get", reverse("connections:network"), None),
        ("bob", "get", "/notifiche/", None),
        ("staff", "get", "/admin/", None),
        ("staff", "get", "/admin/mfa/authenticator/", None),
    ]


@pytest.mark.django_db
def test_key_pages_and_forms_in_italian_carry_no_english_sentence(
    client, bob_client, staff_client, closed_group, question, bob, staff, meetup
):
    clients = {"anonymous": client, "bob": bob_client, "staff": staff_client}
    found = {}
    for role, method, url, data in pages(closed_group, question, bob, staff, meetup):
        response = getattr(clients[role], method)(url, data or {})
        assert response.status_code < 500, (role, url)
        if response.status_code in (301, 302):
            continue
        assert response.headers.get("Content-Language", "it") == "it"
        if english := english_in(response):
            found[f"{role} {method.upper()} {url}"] = english

    assert found == {}
