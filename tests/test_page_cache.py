"""Whole pages for visitors, kept in the cache (config/page_cache.py): read back without the
view, each visitor with their own working CSRF token and the nonce of their own CSP header,
per language and host, never to a member, and withdrawn at once when content is withdrawn or a
group closes. With Redis down every page is rendered."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from config.page_cache import _rendering_to_keep, keep_fragment
from groups.models import Group, Post

pytestmark = pytest.mark.usefixtures("within_one_minute")  # kept pages: tests/conftest.py

BODY = "Parto dal portfolio e da tre clienti di prova."


@pytest.fixture
def thread(open_group, alice, bob):
    open_group.add_member(bob)
    question = Post.ask(open_group, alice, title="Come iniziare?", body="Da dove parto?")
    question.answer(bob, body=BODY)
    return question


def url_of(question) -> str:
    return reverse("groups:thread", args=[question.group.slug, question.pk])


def nonce_in_header(response) -> str:
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)


def test_a_second_visitor_gets_the_page_without_the_view(thread, django_assert_num_queries):
    first = Client().get(url_of(thread))
    with django_assert_num_queries(0):
        second = Client().get(url_of(thread))

    assert first.status_code == second.status_code == 200
    assert BODY in second.content.decode()
    assert second.context is None  # no template was rendered
    assert "Cookie" in second["Vary"]  # a shared HTTP cache must not hand it to a member


def test_each_visitor_gets_their_own_csrf_token_and_it_works(thread):
    Client().get(url_of(thread))
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(url_of(thread)).content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    tokens |= set(re.findall(r'"X-CSRFToken": "([^"]+)"', page))

    assert len(tokens) == 1
    token = tokens.pop()
    assert "placeholder" not in token
    switched = visitor.post(
        reverse("set_language"), {"language": "en", "csrfmiddlewaretoken": token}
    )
    assert switched.status_code == 302  # not 403: the token matches this visitor's cookie


def test_the_nonce_in_the_page_is_the_one_in_its_header(thread):
    Client().get(url_of(thread))
    responses = [Client().get(url_of(thread)) for _ in range(2)]

    nonces = []
    for response in responses:
        in_page = set(re.findall(r'nonce="([^"]+)"', response.content.decode()))
        assert in_page == {nonce_in_header(response)}
        nonces.append(nonce_in_header(response))
    assert nonces[0] != nonces[1]


def test_pages_are_kept_per_language(thread):
    Client(headers={"accept-language": "it"}).get(reverse("groups:list"))
    english = Client(headers={"accept-language": "en"}).get(reverse("groups:list"))

    assert english["Content-Language"] == "en"
    assert 'lang="en"' in english.content.decode()


def test_a_member_never_gets_a_visitors_page(thread, bob_client):
    Client().get(url_of(thread))
    page = bob_client.get(url_of(thread))

    assert page.context is not None  # rendered for bob
    assert "Roberto Bianchi" in page.content.decode()


def test_htmx_and_visitors_with_a_session_get_the_view(thread):
    Client().get(url_of(thread))

    htmx = Client().get(url_of(thread), headers={"hx-request": "true"})
    with_session = Client()
    with_session.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32  # expired, say
    with_cookie = with_session.get(url_of(thread))

    assert htmx.context is not None
    assert with_cookie.context is not None


def test_deleting_an_answer_withdraws_it_from_visitors_at_once(thread):
    Client().get(url_of(thread))
    answer = thread.answers.get()
    answer.soft_delete(by=thread.author)

    assert BODY not in Client().get(url_of(thread)).content.decode()


def test_closing_a_group_withdraws_its_pages_at_once(thread, open_group, alice):
    Client().get(url_of(thread))
    Client().get(open_group.get_absolute_url())
    open_group.change_visibility(Group.Visibility.CLOSED, by=alice)

    assert BODY not in Client().get(url_of(thread)).content.decode()
    assert Client().get(open_group.get_absolute_url()).context is not None


def test_a_new_answer_reaches_visitors_when_the_copy_expires(thread, bob, settings):
    Client().get(url_of(thread))
    thread.answer(bob, body="E poi un sito semplice.")
    kept = Client().get(url_of(thread)).content.decode()
    settings.VISITOR_PAGE_SECONDS = 0  # as once the copy has expired
    fresh = Client().get(url_of(thread)).content.decode()

    assert "E poi un sito semplice." not in kept  # not a withdrawal: the copy lives on
    assert "E poi un sito semplice." in fresh


def test_error_pages_are_not_kept(open_group):
    missing = reverse("groups:thread", args=[open_group.slug, 999_999])
    Client().get(missing)

    assert Client().get(missing).status_code == 404


def test_with_redis_down_every_page_is_rendered(thread, unreachable_redis):
    responses = [Client().get(url_of(thread)) for _ in range(2)]

    assert unreachable_redis()
    assert [r.status_code for r in responses] == [200, 200]
    assert all(r.context is not None and BODY in r.content.decode() for r in responses)


def test_the_fragments_of_a_page_rendered_to_be_kept_are_kept_together_at_its_end(rf):
    names = ["fragment:a", "fragment:b"]
    with _rendering_to_keep(rf.get("/")):
        keep_fragment("fragment:a", "<p>a</p>", 60)
        keep_fragment("fragment:b", "<p>b</p>", 120)
        assert cache.get_many(names) == {}  # not one round trip each
    assert cache.get_many(names) == {"fragment:a": "<p>a</p>", "fragment:b": "<p>b</p>"}

    keep_fragment("fragment:c", "<p>c</p>", 60)  # no page being kept: at once
    assert cache.get("fragment:c") == "<p>c</p>"
