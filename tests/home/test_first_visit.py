"""The first visit: who you are, groups, people; skippable at every step, resumable from
the home, ending on the home."""

from groups.models import Membership, Post

FIRST = "/benvenuto/"


def newcomer(make_user):
    return make_user("martina.ferri@example.com")


def test_step_one_saves_name_headline_sector_and_city(make_user, logged_in, sector):
    user = newcomer(make_user)
    client = logged_in(user)
    assert client.get(FIRST).status_code == 200
    response = client.post(
        FIRST + "?passo=1",
        {"display_name": " Martina  Ferri ", "headline": "Copywriter", "sector": sector.pk,
         "city": "Bologna"},
    )  # fmt: skip
    assert response["Location"] == FIRST + "?passo=2"
    user.refresh_from_db()
    assert user.display_name == "Martina Ferri"
    assert (user.profile.city, user.profile.region) == ("Bologna", "Emilia-Romagna")
    assert user.profile.sector == sector


def test_an_unknown_city_is_refused_with_a_message_and_keeps_what_was_typed(
    make_user, logged_in, sector
):
    user = newcomer(make_user)
    response = logged_in(user).post(
        FIRST + "?passo=1",
        {"display_name": "Martina", "headline": "Copywriter tenace", "sector": sector.pk,
         "city": "Xyzzyville"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Xyzzyville" in response.content.decode()
    assert "Copywriter tenace" in response.content.decode()
    user.refresh_from_db()
    assert user.display_name == "" and user.profile.headline == ""


def test_step_two_offers_sector_and_nearby_groups_and_joins_in_one_click(
    make_user, logged_in, sector, open_group, closed_group, settle, bob
):
    user = newcomer(make_user)
    profile = user.profile
    profile.sector = sector
    profile.save()
    client = logged_in(user)
    text = client.get(FIRST, {"passo": 2}).content.decode()
    assert open_group.name in text and closed_group.name in text
    response = client.post(FIRST + "?passo=2", {"action": "join", "group": open_group.pk})
    assert response["Location"] == FIRST + "?passo=2"
    assert Membership.objects.filter(group=open_group, user=user).exists()
    # A closed group: its own page, where the rules are accepted.
    response = client.post(FIRST + "?passo=2", {"action": "join", "group": closed_group.pk})
    assert response["Location"] == f"/gruppi/{closed_group.slug}/unisciti/"
    assert not Membership.objects.filter(group=closed_group, user=user).exists()
    # Bad ids: 404, never a 500.
    for bad in ("abc", "99999999999999999999", ""):
        assert client.post(FIRST + "?passo=2", {"action": "join", "group": bad}).status_code == 404


def test_step_three_offers_people_of_the_same_sector_and_city_or_active_in_my_groups(
    make_user, logged_in, sector, open_group, settle, bob, dave, alice
):
    user = newcomer(make_user)
    settle(user, "Bologna", sector=sector)
    settle(bob, "Bologna", sector=sector)
    open_group.join(user)
    Post.ask(open_group, alice, title="Una domanda", body="?")
    text = logged_in(user).get(FIRST, {"passo": 3}).content.decode()
    assert "Roberto Bianchi" in text  # same sector and city
    assert "Alice Romano" in text  # active in a group just joined
    assert "Davide Ricci" not in text


def test_skipping_or_finishing_ends_on_the_home_and_the_home_offers_to_resume(make_user, logged_in):
    user = newcomer(make_user)
    client = logged_in(user)
    assert 'data-testid="home-first-visit"' in client.get("/").content.decode()
    response = client.post(FIRST, {"action": "skip"})
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.onboarded_at is not None
    assert 'data-testid="home-first-visit"' not in client.get("/").content.decode()
    # Still reachable afterwards, and finishing again changes nothing.
    before = user.onboarded_at
    assert client.get(FIRST, {"passo": 3}).status_code == 200
    assert client.post(FIRST, {"action": "finish"})["Location"] == "/"
    user.refresh_from_db()
    assert user.onboarded_at == before


def test_first_visit_needs_a_login_and_refuses_other_methods(client, make_user, logged_in):
    assert "/accounts/login/" in client.get(FIRST)["Location"]
    assert logged_in(newcomer(make_user)).put(FIRST).status_code == 405


def test_step_one_takes_skills_known_or_proposed(make_user, logged_in, sector):
    from profiles.models import Skill

    known = Skill.objects.create(name="SEO locale", slug="seo-locale", is_approved=True)
    user = newcomer(make_user)
    logged_in(user).post(
        FIRST + "?passo=1",
        {"display_name": "Martina", "skill_names": "seo LOCALE, Naming, , Naming"},
    )
    names = sorted(user.profile.skills.values_list("name", flat=True))
    assert names == ["Naming", "SEO locale"]
    assert user.profile.skills.filter(pk=known.pk).exists()
