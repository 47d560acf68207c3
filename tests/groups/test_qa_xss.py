"""The XSS corpus through every place the Q&A shows member text: titles, question and answer
bodies, comments, previews, the thread list, the group page, search and the edit history.

Each page is audited as a whole: no script but ours, no event handler, no hx-* or data-hx-*
attribute a member could have written, no dangerous URL scheme, no embedded document."""

from django.urls import reverse

from groups.models import Comment, Post
from tests.xss_payloads import audit


def test_the_corpus_is_large_enough(xss_payloads):
    assert len(xss_payloads) >= 60


def test_the_audit_catches_what_it_should():
    class Fake:
        status_code = 200
        content = b'<p onclick="x"></p><a href="javascript:alert(1)"></a><div hx-on:click=x></div>'

    assert len(audit(Fake())) == 3


def test_payload_never_renders_live_markup(
    xss_payload, unsafe_parts, closed_group, bob, bob_client, alice_client, moderator_client
):
    payload = xss_payload
    slug = closed_group.slug
    title = f"Domanda {payload}"[:200]
    ask_url = reverse("groups:ask", args=[slug])
    preview = bob_client.post(
        ask_url, {"title": title, "body": payload, "preview": "1"}, headers={"HX-Request": "true"}
    )
    assert audit(preview) == []
    response = bob_client.post(ask_url, {"title": title, "body": payload})
    assert response.status_code == 302
    question = Post.objects.get(author=bob)
    alice_client.post(reverse("groups:answer", args=[slug, question.pk]), {"body": payload})
    answer = question.answers.get()
    moderator_client.post(reverse("groups:comment", args=[slug, answer.pk]), {"body": payload})
    assert Comment.objects.get().body == payload  # stored as source
    bob_client.post(
        reverse("groups:post_edit", args=[slug, question.pk]),
        {"title": "Titolo sistemato?", "body": payload + " (modificato)"},
    )

    pages = [
        bob_client.get(reverse("groups:thread", args=[slug, question.pk])),
        bob_client.get(reverse("groups:threads", args=[slug])),
        bob_client.get(closed_group.get_absolute_url()),
        bob_client.get(reverse("groups:search"), {"q": "Domanda"}),
        bob_client.get(reverse("groups:post_history", args=[slug, question.pk])),
        alice_client.post(
            reverse("groups:answer", args=[slug, question.pk]),
            {"body": payload, "preview": "1"},
            headers={"HX-Request": "true"},
        ),
        moderator_client.post(
            reverse("groups:comment", args=[slug, answer.pk]),
            {"body": payload},
            headers={"HX-Request": "true"},
        ),
    ]
    for page in pages:
        assert audit(page) == []
    stored = [p.body_html for p in Post.objects.all()] + [
        c.body_html for c in Comment.objects.all()
    ]
    for html in stored:
        assert unsafe_parts(html) == [], html
