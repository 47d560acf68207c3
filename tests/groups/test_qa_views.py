"""The Q&A views: success paths, wrong methods, htmx branches and the database afterwards."""

import pytest
from django.urls import reverse

from groups.models import Comment, Post, ThreadWatch, Vote
from profiles.models import Report


def thread_url(question):
    return reverse("groups:thread", args=[question.group.slug, question.pk])


def post_url(name, post, *args):
    return reverse(f"groups:{name}", args=[post.group.slug, post.pk, *args])


def test_ask_page_shows_the_group_rules(bob_client, closed_group):
    response = bob_client.get(reverse("groups:ask", args=[closed_group.slug]))

    assert response.status_code == 200
    assert "Niente autopromozione" in response.content.decode()
    assert b'name="title"' in response.content


def test_asking_publishes_and_redirects_to_the_thread(bob_client, closed_group, bob):
    response = bob_client.post(
        reverse("groups:ask", args=[closed_group.slug]),
        {"title": "  Tu o lei   nelle newsletter?  ", "body": "Dubbio di **tono**."},
    )

    question = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == thread_url(question)
    assert question.title == "Tu o lei nelle newsletter?"
    assert question.author == bob


def test_preview_renders_without_saving(bob_client, closed_group):
    data = {"title": "Domanda di prova?", "body": "Testo *corsivo*", "preview": "1"}
    url = reverse("groups:ask", args=[closed_group.slug])

    plain = bob_client.post(url, data)
    fragment = bob_client.post(url, data, headers={"HX-Request": "true"})

    assert plain.status_code == 200 and b"<em>corsivo</em>" in plain.content
    assert b"<html" in plain.content
    assert fragment.status_code == 200 and b"<em>corsivo</em>" in fragment.content
    assert b"<html" not in fragment.content and b'id="preview"' in fragment.content
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "", "body": "Testo"}, "title", "obbligatorio"),
        ({"title": "   ", "body": "Testo"}, "title", "obbligatorio"),
        ({"title": "Titolo valido?", "body": "x" * 1_000_000}, "body", "20000"),
        ({"title": "Titolo\x00valido?", "body": "Testo"}, "title", "null"),
        ({"title": "Titolo valido?", "body": "Te\x00sto"}, "body", "null"),
        ({"title": "Titolo valido?", "body": "> " * 500 + "fondo"}, "body", "annidato"),
        ({"title": "Titolo valido?", "body": "- " * 300 + "fondo"}, "body", "annidato"),
        ({"title": "Titolo valido?", "body": "[" * 5000 + "x" + "]" * 5000}, None, None),
        ({"title": "Sì?", "body": "Testo"}, "title", "5"),
    ],
    ids=["empty", "blank", "1mb", "nul-title", "nul-body", "quotes", "lists", "brackets", "short"],
)
def test_bad_input_gets_a_clear_error_never_a_500(bob_client, closed_group, data, field, message):
    response = bob_client.post(reverse("groups:ask", args=[closed_group.slug]), data)

    if field is None:  # odd but harmless: published, rendered as text
        assert response.status_code == 302
        return
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field]).lower()
    assert f'data-testid="error-{field}"'.encode() in response.content
    assert not Post.objects.exists()


def test_a_newcomer_may_not_post_three_links(bob_client, question):
    body = "Guarda https://a.example.com, https://b.example.com e https://c.example.com"

    response = bob_client.post(post_url("answer", question), {"body": body})

    assert response.status_code == 400
    assert "link" in " ".join(response.context["answer_form"].errors["body"])
    assert body.encode() in response.content  # nothing typed is lost
    assert not question.answers.exists()


def test_the_thread_page_orders_accepted_first_then_score_then_age(
    bob_client, question, alice, moderator, bob, make_user, closed_group
):
    old = question.answer(alice, body="Prima risposta")
    top = question.answer(moderator, body="Risposta migliore")
    accepted = question.answer(alice, body="Risposta accettata")
    top.vote(bob, 1)
    question.accept(accepted, by=bob)

    response = bob_client.get(thread_url(question))

    assert response.status_code == 200
    assert [a.pk for a in response.context["page"]] == [accepted.pk, top.pk, old.pk]
    content = response.content.decode()
    assert content.index("Risposta accettata") < content.index("Risposta migliore")
    assert f'data-testid="accept-{top.pk}"' in content
    assert f'data-testid="unaccept-{accepted.pk}"' in content


def test_answering_redirects_to_the_answer(alice_client, question):
    response = alice_client.post(post_url("answer", question), {"body": "Ecco la mia risposta"})

    answer = question.answers.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#post-{answer.pk}")


def test_answer_preview_fragment(alice_client, question):
    response = alice_client.post(
        post_url("answer", question),
        {"body": "**grassetto**", "preview": "1"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert b"<strong>grassetto</strong>" in response.content
    assert b"<html" not in response.content
    assert not question.answers.exists()


@pytest.mark.parametrize("method", ["get", "put"])
def test_write_views_refuse_other_methods(alice_client, answer, method):
    names = ["answer", "vote", "accept", "post_delete", "comment", "watch"]
    # The report page is a form: GET shows it.
    for name in names + (["report"] if method == "put" else []):
        target = answer.question if name in ("answer", "watch") else answer
        response = getattr(alice_client, method)(post_url(name, target))
        assert response.status_code == 405, name


def test_upvote_with_htmx_returns_the_vote_box(bob_client, answer, bob):
    response = bob_client.post(post_url("vote", answer), {"value": "1"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert f'id="vote-{answer.pk}"'.encode() in response.content
    assert f'data-testid="score-{answer.pk}">1<'.encode() in response.content
    assert b'aria-pressed="true"' in response.content
    assert Vote.objects.get(post=answer, user=bob).value == 1


def test_clicking_the_pressed_vote_again_withdraws_it(bob_client, answer):
    answer.vote(answer.question.author, 1)

    response = bob_client.post(post_url("vote", answer), {"value": "0"})

    answer.refresh_from_db()
    assert response.status_code == 302
    assert answer.score == 0 and not answer.votes.exists()


def test_an_invalid_vote_is_refused(bob_client, answer):
    response = bob_client.post(post_url("vote", answer), {"value": "7"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert not answer.votes.exists()


def test_voting_on_your_own_post_is_forbidden(alice_client, answer):
    response = alice_client.post(post_url("vote", answer), {"value": "1"})

    assert response.status_code == 403
    assert not answer.votes.exists()


def test_accepting_redirects_and_notifies(bob_client, answer, alice):
    response = bob_client.post(post_url("accept", answer))

    answer.refresh_from_db()
    assert response.status_code == 302
    assert answer.is_accepted
    assert alice.notifications.filter(kind="group-answer-accepted").count() == 1


def test_accept_by_htmx_redirects_the_client(bob_client, answer):
    response = bob_client.post(post_url("accept", answer), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"].endswith(f"#post-{answer.pk}")


def test_comment_with_htmx_returns_the_comments(moderator_client, answer):
    response = moderator_client.post(
        post_url("comment", answer), {"body": "Una precisazione"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert f'id="comments-{answer.pk}"'.encode() in response.content
    assert b"Una precisazione" in response.content
    assert Comment.objects.get().post == answer


def test_an_empty_comment_keeps_the_page_and_shows_the_error(moderator_client, answer):
    response = moderator_client.post(post_url("comment", answer), {"body": "  "})

    assert response.status_code == 400
    assert b'data-testid="error-comment"' in response.content
    assert not Comment.objects.exists()


def test_a_too_long_comment_is_refused(moderator_client, answer):
    response = moderator_client.post(
        post_url("comment", answer), {"body": "x" * 601}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert b"600" in response.content
    assert not Comment.objects.exists()


def test_edit_and_history(alice_client, answer):
    response = alice_client.post(post_url("post_edit", answer), {"body": "Versione nuova"})

    assert response.status_code == 302
    history = alice_client.get(post_url("post_history", answer))
    assert history.status_code == 200
    content = history.content.decode()
    assert "Versione nuova" in content and "Dipende dalle verifiche" in content


def test_moderator_deletes_an_answer_and_the_thread_keeps_its_place(
    moderator_client, bob_client, answer
):
    response = moderator_client.post(post_url("post_delete", answer))

    assert response.status_code == 302
    page = bob_client.get(thread_url(answer.question)).content.decode()
    assert 'data-testid="deleted"' in page
    assert "Dipende dalle verifiche" not in page


def test_report_and_moderator_queue(bob_client, alice_client, staff_client, answer, closed_group):
    response = bob_client.post(post_url("report", answer), {"reason": "promotion"})

    assert response.status_code == 302
    report = Report.objects.get()
    queue_url = reverse("groups:reports", args=[closed_group.slug])
    # Alice wrote the answer: reports about her go to the other reviewers, never to her.
    assert b"Dipende dalle verifiche" not in alice_client.get(queue_url).content
    assert b"Dipende dalle verifiche" in staff_client.get(queue_url).content
    staff_client.post(
        reverse("groups:review_decide", args=["post", answer.pk]), {"decision": "keep"}
    )
    report.refresh_from_db()
    assert report.resolved_at is not None


def test_watch_toggle_with_htmx(moderator_client, question, moderator):
    response = moderator_client.post(
        post_url("watch", question), {"watch": "1"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert b'id="watch"' in response.content and b"<html" not in response.content
    assert ThreadWatch.objects.filter(question=question, user=moderator).exists()
    moderator_client.post(post_url("watch", question), {"watch": "0"})
    assert not ThreadWatch.objects.filter(question=question, user=moderator).exists()


def test_thread_list_sorts_and_fragment(bob_client, question, closed_group, alice):
    Post.ask(closed_group, alice, title="Revisioni infinite: come le limitate?", body="…")
    question.answer(alice, body="Risposta")
    url = reverse("groups:threads", args=[closed_group.slug])

    unanswered = bob_client.get(url, {"ordine": "unanswered"}, headers={"HX-Request": "true"})

    assert unanswered.status_code == 200
    assert b"<html" not in unanswered.content
    assert unanswered.content.count(b'data-testid="thread-row"') == 1
    assert b"Revisioni infinite" in unanswered.content
    assert b'hx-swap-oob="true"' in unanswered.content
    full = bob_client.get(url)
    assert full.content.count(b'data-testid="thread-row"') == 2


def test_group_page_shows_nudge_and_active_members(bob_client, question, closed_group, alice):
    response = bob_client.get(closed_group.get_absolute_url())

    content = response.content.decode()
    assert "1 domanda aspetta una risposta" in content
    assert "Quanto chiedere per un naming?" in content
    assert "Roberto Bianchi" in content.split('data-testid="active-members"')[1]


def test_answer_links_lead_to_their_thread(bob_client, answer):
    response = bob_client.get(post_url("thread", answer))

    assert response.status_code == 302
    assert response["Location"].endswith(f"#post-{answer.pk}")


def test_the_thread_page_speaks_english_too(bob_client, answer, bob):
    bob.language = "en"
    bob.save(update_fields=["language"])
    bob_client.cookies["django_language"] = "en"

    response = bob_client.get(thread_url(answer.question), headers={"Accept-Language": "en"})

    content = response.content.decode()
    assert "Accept this answer" in content and "1 answer" in content
    assert "Accetta questa risposta" not in content


def test_logged_out_visitor_on_a_closed_thread_link_gets_the_group_card_and_nothing_of_the_thread(
    client, question
):
    from django.urls import reverse

    group = question.group
    real = client.get(reverse("groups:thread", args=[group.slug, question.pk]))
    missing = client.get(reverse("groups:thread", args=[group.slug, question.pk + 999]))

    assert real.status_code == missing.status_code == 403
    page = real.content.decode()
    assert "Copywriter Italia" in page
    assert 'data-testid="closed-thread-notice"' in page
    assert "Quanto chiedere" not in page and "naming" not in page
    # The same page whether the thread exists or not: its existence does not leak either.
    import re

    def normalised(response, pk):
        text = response.content.decode().replace(f"/domande/{pk}/", "/domande/PK/")
        return re.sub(r'(nonce="|value="|X-CSRFToken": ")[^"]*"', "", text)

    assert normalised(real, question.pk) == normalised(missing, question.pk + 999)
