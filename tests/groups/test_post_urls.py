"""The thread page builds its per-post URLs from one reverse() per pattern (issue 12):
they must equal reverse() exactly, under any script prefix."""

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from groups.templatetags.post_urls import comment_delete_url, urls_in

NAMES = ["vote", "comment", "post_history", "accept", "post_edit", "post_delete", "report"]


@pytest.mark.parametrize("prefix", ["/", "/gilda/"])
def test_post_urls_equal_reverse(question, closed_group, prefix):
    set_script_prefix(prefix)
    try:
        urls = urls_in(question, closed_group)
        for name in NAMES:
            assert urls[name] == reverse(f"groups:{name}", args=[closed_group.slug, question.pk])
        assert comment_delete_url(question, closed_group) == reverse(
            "groups:comment_delete", args=[closed_group.slug, question.pk]
        )
        assert urls["vote"].startswith(prefix)
    finally:
        clear_script_prefix()
        set_script_prefix("/")


def test_thread_page_links_each_post_to_its_own_actions(bob_client, answer, question):
    response = bob_client.get(reverse("groups:thread", args=[question.group.slug, question.pk]))

    content = response.content.decode()
    slug = question.group.slug
    for post in (question, answer):
        assert reverse("groups:comment", args=[slug, post.pk]) in content
    # Bob asked: he votes on Alice's answer, never on his own question.
    assert reverse("groups:vote", args=[slug, answer.pk]) in content
    assert reverse("groups:vote", args=[slug, question.pk]) not in content
