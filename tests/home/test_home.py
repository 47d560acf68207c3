"""The personal home: blocks, visibility, htmx fragments and lazy placeholders."""

from django.urls import reverse

from connections.models import ConnectionRequest
from groups.models import Post
from profiles.models import Skill

HOME = "/"


def ask(group, author, title, body="Qualche consiglio?"):
    return Post.ask(group, author, title=title, body=body)


def test_visitors_get_the_marketing_page(client, db):
    response = client.get(HOME)
    assert response.status_code == 200
    assert b"Join Gilda" in response.content or b"Unisciti a Gilda" in response.content
    assert b'data-testid="home-questions"' not in response.content


def test_post_to_home_is_405(bob_client):
    assert bob_client.post(HOME).status_code == 405


def test_member_sees_a_question_matching_a_skill_with_the_reason(
    bob_client, closed_group, alice, seo
):
    match = ask(closed_group, alice, "Come migliorare la SEO locale di un negozio?")
    other = ask(closed_group, alice, "Tariffe per un naming")
    other.answer(closed_group.moderators()[0].user, body="Da 1.500 euro.")
    response = bob_client.get(HOME)
    text = response.content.decode()
    assert response.status_code == 200
    assert match.title in text
    assert "SEO locale" in text  # the reason names the skill
    # Answered and unmatched: not worth the member's time.
    assert other.title not in text


def test_unanswered_questions_show_without_a_match(bob_client, closed_group, alice, seo):
    question = ask(closed_group, alice, "Chi usa un gestionale per le fatture?")
    text = bob_client.get(HOME).content.decode()
    assert question.title in text


def test_questions_already_answered_by_me_or_mine_are_not_offered(
    bob_client, closed_group, alice, bob, seo
):
    mine = ask(closed_group, bob, "La mia domanda sulla SEO locale")
    answered = ask(closed_group, alice, "Altra domanda sulla SEO locale")
    answered.answer(bob, body="Ecco come.")
    text = bob_client.get(HOME).content.decode()
    assert mine.title not in text
    assert answered.title not in text


def test_closed_group_questions_never_reach_outsiders_even_after_removal(
    logged_in, closed_group, alice, dave, bob, seo
):
    question = ask(closed_group, alice, "Domanda interna sulla SEO locale")
    dave.profile.skills.add(seo)
    assert question.title not in logged_in(dave).get(HOME).content.decode()
    assert question.title in logged_in(bob).get(HOME).content.decode()
    closed_group.leave(bob)
    assert question.title not in logged_in(bob).get(HOME).content.decode()


def test_activity_shows_answers_and_comments_on_my_threads(
    bob_client, closed_group, alice, bob, moderator
):
    question = ask(closed_group, bob, "Quale CMS per un blog?")
    answer = question.answer(alice, body="WordPress, senza dubbio.")
    answer.comment(moderator, body="Oppure Ghost.")
    text = bob_client.get(HOME).content.decode()
    assert "Alice Romano" in text and "Monica Moderatrice" in text
    assert text.count('data-testid="home-event"') == 2


def test_activity_on_a_followed_thread_of_a_group_i_left_disappears(
    logged_in, closed_group, alice, bob, moderator
):
    question = ask(closed_group, alice, "Un thread seguito")
    question.watch(bob)
    question.answer(moderator, body="Una risposta interna.")
    client = logged_in(bob)
    assert "Monica Moderatrice" in client.get(HOME).content.decode()
    closed_group.leave(bob)
    text = client.get(HOME).content.decode()
    assert "Monica Moderatrice" not in text
    assert "Un thread seguito" not in text


def test_staff_get_activity_on_their_threads_in_groups_they_are_not_in(
    logged_in, closed_group, alice, dave, moderator
):
    question = ask(closed_group, alice, "Un thread seguito dallo staff")
    question.watch(dave)
    question.answer(moderator, body="Una risposta interna.")
    assert "Monica Moderatrice" not in logged_in(dave).get(HOME).content.decode()
    dave.is_staff = True
    dave.save()

    text = logged_in(dave).get(HOME).content.decode()

    assert "Monica Moderatrice" in text
    assert text.count('data-testid="home-event"') == 1


def test_moderators_see_pending_requests_and_open_reports_per_group(
    logged_in, closed_group, alice, bob, moderator
):
    question = ask(closed_group, bob, "Una domanda segnalata")
    question.report(alice, reason="spam")
    text = logged_in(moderator).get(HOME).content.decode()
    assert 'data-testid="home-moderation"' in text
    assert "1 join request" in text or "1 richiesta di adesione" in text
    assert reverse("groups:reports", args=[closed_group.slug]) in text
    # A plain member has no moderation block.
    assert 'data-testid="home-moderation"' not in logged_in(bob).get(HOME).content.decode()


def test_connection_requests_wait_on_the_home(bob_client, dave, bob):
    ConnectionRequest.send(dave, bob, "Ciao!")
    text = bob_client.get(HOME).content.decode()
    assert 'data-testid="home-requests"' in text
    assert "Davide Ricci" in text


def test_a_thin_profile_gets_a_nudge_and_a_full_one_does_not(bob_client, bob, sector):
    assert 'data-testid="home-profile"' in bob_client.get(HOME).content.decode()
    profile = bob.profile
    for section, done, _hint in profile.COMPLETENESS_CHECKS:
        assert section  # the nudge lists hints while anything is missing
    profile.headline, profile.sector, profile.needs, profile.offers = "Copy", sector, "x", "y"
    profile.bio, profile.open_to, profile.website = "Bio", "mentoring", "https://example.com"
    profile.city = "Milano"
    profile.save()
    for i in range(3):
        profile.skills.add(Skill.objects.create(name=f"Abilità {i}", is_approved=True))
    profile.experiences.create(role="Copywriter", organisation="Studio", start_year=2020)
    profile.languages.create(code="it")
    assert 'data-testid="home-profile"' not in bob_client.get(HOME).content.decode()


def test_each_block_is_an_htmx_fragment(bob_client, closed_group, alice, seo):
    ask(closed_group, alice, "Domanda sulla SEO locale")
    for block in ("questions", "activity", "moderation", "requests", "people", "profile", "groups"):
        response = bob_client.get(HOME, {"blocco": block}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert b"<html" not in response.content
    response = bob_client.get(HOME, {"blocco": "questions"}, headers={"HX-Request": "true"})
    assert b"Domanda sulla SEO locale" in response.content


def test_with_scripts_the_blocks_load_lazily(bob_client, closed_group, alice, seo):
    ask(closed_group, alice, "Domanda sulla SEO locale")
    bob_client.cookies["gilda_js"] = "1"
    text = bob_client.get(HOME).content.decode()
    assert 'data-testid="home-questions-placeholder"' in text
    # The page's own badges (no notification, no request, no conversation) go along.
    assert 'hx-get="/?blocco=questions&amp;badges=0.0.0"' in text
    assert "Domanda sulla SEO locale" not in text
    block = bob_client.get(
        HOME, {"blocco": "questions", "badges": "0.0.0"}, headers={"HX-Request": "true"}
    )
    assert "Domanda sulla SEO locale" in block.content.decode()


def test_an_unknown_block_gives_the_whole_page(bob_client):
    response = bob_client.get(HOME, {"blocco": "nope"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" in response.content


def test_a_blocked_members_questions_and_activity_stay_off_the_home(
    bob_client, bob, alice, closed_group, seo
):
    from profiles.models import Block

    question = ask(closed_group, alice, "Domanda di Alice sulla SEO locale")
    mine = ask(closed_group, bob, "La domanda di Bob")
    mine.answer(alice, body="Risposta di Alice")
    Block.objects.create(blocker=bob, blocked=alice)
    text = bob_client.get(HOME).content.decode()
    assert question.title not in text
    assert "Alice Romano" not in text.split("<main")[1]
