"""Destructive actions ask first (issue 19, item 17): removing or banning a member and deleting
a question, with hx-confirm as the connection's block and remove already do; and the member
list has no destructive default."""

import re

from django.urls import reverse

from groups.models import Post

HTMX = {"HTTP_HX_REQUEST": "true"}


def member_form(html: str, user_id: int) -> str:
    match = re.search(
        rf'<form [^>]*data-testid="member-actions-{user_id}"[^>]*>.*?</form>', html, re.S
    )
    assert match, "no action form for that member"
    return match.group(0)


def test_the_member_actions_ask_for_confirmation_naming_the_member(alice_client, closed_group, bob):
    html = alice_client.get(reverse("groups:members", args=[closed_group.slug])).content.decode()

    form = member_form(html, bob.pk)
    confirm = re.search(r'hx-confirm="([^"]*)"', form)
    assert confirm and "Roberto Bianchi" in confirm.group(1)
    assert 'hx-post="/gruppi/copywriter-italia/membri/' in form


def test_the_member_action_list_has_no_destructive_default(alice_client, closed_group, bob):
    html = alice_client.get(reverse("groups:members", args=[closed_group.slug])).content.decode()

    form = member_form(html, bob.pk)
    first = re.search(r"<option[^>]*>", form).group(0)
    assert 'value=""' in first and "selected" in first


def test_submitting_the_default_removes_nobody(alice_client, closed_group, bob):
    url = reverse("groups:member_action", args=[closed_group.slug, bob.pk])

    response = alice_client.post(url, {"action": "", "reason": ""})

    assert response.status_code == 302
    assert closed_group.memberships.filter(user=bob).exists()


def test_a_confirmed_htmx_removal_redirects_the_page(alice_client, closed_group, bob):
    url = reverse("groups:member_action", args=[closed_group.slug, bob.pk])

    response = alice_client.post(url, {"action": "remove"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("groups:members", args=[closed_group.slug])
    assert not closed_group.memberships.filter(user=bob).exists()


def test_deleting_a_question_asks_for_confirmation(bob_client, closed_group, bob):
    question = Post.ask(closed_group, bob, title="Da eliminare?", body="Forse.")
    html = bob_client.get(
        reverse("groups:thread", args=[closed_group.slug, question.pk])
    ).content.decode()

    form = re.search(r'<form [^>]*action="[^"]*/elimina/"[^>]*>', html).group(0)
    assert "hx-confirm=" in form
    assert "Eliminare questa domanda?" in form


def test_a_confirmed_htmx_deletion_redirects_to_the_thread_list(bob_client, closed_group, bob):
    question = Post.ask(closed_group, bob, title="Da eliminare?", body="Forse.")
    url = reverse("groups:post_delete", args=[closed_group.slug, question.pk])

    response = bob_client.post(url, **HTMX)

    assert response["HX-Redirect"] == reverse("groups:threads", args=[closed_group.slug])
    question.refresh_from_db()
    assert question.is_deleted
