"""The profile page costs the same number of queries with 2 or 30 skills, entries and groups."""

import pytest

from groups.models import Group, Membership, Post
from profiles import gazetteer
from profiles.models import Experience, Skill, SpokenLanguage


def fill(user, other, sector, size: int) -> None:
    profile = user.profile
    profile.headline = "Copywriter"
    profile.sector = sector
    profile.set_location(gazetteer.find("Torino"))
    profile.save()
    skills = Skill.objects.bulk_create(
        Skill(name=f"Skill {i}", slug=f"skill-{i}", is_approved=True) for i in range(size)
    )
    profile.skills.set(skills)
    Experience.objects.bulk_create(
        Experience(profile=profile, role=f"Ruolo {i}", start_year=2000 + i % 25)
        for i in range(size)
    )
    SpokenLanguage.objects.bulk_create(
        SpokenLanguage(profile=profile, code=code)
        for code in ["it", "en", "fr", "de"][: min(size, 4)]
    )
    groups = Group.objects.bulk_create(
        Group(
            name=f"Gruppo {i}",
            slug=f"gruppo-{i}",
            sector=sector,
            visibility="closed" if i % 2 else "open",
        )
        for i in range(size)
    )
    Membership.objects.bulk_create(Membership(group=group, user=user) for group in groups)
    Membership.objects.bulk_create(Membership(group=group, user=other) for group in groups[::3])
    for group in groups:
        question = Post.ask(group, user, title=f"Domanda in {group.name}", body="?")
        if group.memberships.filter(user=other).exists():
            question.accept(question.answer(other, body="!"), by=user)


@pytest.mark.parametrize("size", [2, 30])
def test_profile_page_queries_for_another_member(
    bob_client, alice, bob, sector, size, django_assert_num_queries
):
    fill(alice, bob, sector, size)
    # user, profile (with user and sector), skills, languages, experiences,
    # activity (one aggregate), groups (readable, shared flag), unread badge; connections:
    # where bob stands with alice, mutual connections, alice's connections list
    with django_assert_num_queries(11):
        response = bob_client.get(alice.get_absolute_url())
    assert response.status_code == 200
    assert response.content.count(b'class="chip"') == size


@pytest.mark.parametrize("size", [2, 30])
def test_profile_page_queries_for_the_owner(
    alice_client, alice, bob, sector, size, django_assert_num_queries
):
    fill(alice, bob, sector, size)
    # as above, with alice's own connections list but no panel or mutual connections
    with django_assert_num_queries(9):
        response = alice_client.get(alice.get_absolute_url())
    assert response.status_code == 200
    assert b'data-testid="completeness"' in response.content


@pytest.mark.parametrize("size", [2, 30])
def test_skills_editor_queries(alice_client, alice, bob, sector, size, django_assert_num_queries):
    fill(alice, bob, sector, size)
    # user, profile, skills, languages, experiences: the fragment needs no groups
    with django_assert_num_queries(5):
        response = alice_client.get(
            alice.get_absolute_url() + "?edit=skills", HTTP_HX_REQUEST="true"
        )
    assert response.content.count(b'name="skills"') == size
