"""Dismissing a suggestion: /rete/persone/<id>/nascondi/."""

from connections.models import Dismissal, Suggestion


def make_suggestion(user, candidate, rank=1):
    return Suggestion.objects.create(user=user, candidate=candidate, rank=rank, mutual_count=1)


def test_dismiss_deletes_the_row_and_remembers(dave_client, dave, erin):
    make_suggestion(dave, erin)

    response = dave_client.post(f"/rete/persone/{erin.pk}/nascondi/")

    assert response.status_code == 302
    assert not Suggestion.objects.filter(user=dave, candidate=erin).exists()
    assert Dismissal.objects.filter(user=dave, candidate=erin).exists()


def test_dismiss_with_htmx_returns_nothing_to_swap_in(dave_client, dave, erin):
    make_suggestion(dave, erin)

    response = dave_client.post(
        f"/rete/persone/{erin.pk}/nascondi/", headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response.content == b""


def test_a_dismissed_candidate_stays_hidden_even_if_the_engine_writes_it_again(
    dave_client, dave, erin
):
    make_suggestion(dave, erin)
    dave_client.post(f"/rete/persone/{erin.pk}/nascondi/")
    make_suggestion(dave, erin)  # a stale engine run

    assert dave_client.get("/rete/").context["suggestions"]() == []


def test_dismissing_twice_is_harmless(dave_client, dave, erin):
    dave_client.post(f"/rete/persone/{erin.pk}/nascondi/")
    dave_client.post(f"/rete/persone/{erin.pk}/nascondi/")

    assert Dismissal.objects.filter(user=dave, candidate=erin).count() == 1


def test_dismissing_only_touches_your_own_suggestions(dave_client, dave, erin, bob):
    make_suggestion(bob, erin)

    dave_client.post(f"/rete/persone/{erin.pk}/nascondi/")

    assert Suggestion.objects.filter(user=bob, candidate=erin).exists()


def test_dismissing_yourself_does_nothing(dave_client, dave):
    dave_client.post(f"/rete/persone/{dave.pk}/nascondi/")

    assert not Dismissal.objects.exists()
