from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from profiles import gazetteer
from profiles.models import Skill


def test_admin_lists_and_edits_profiles_and_skills(staff_client, alice):
    alice.profile.set_location(gazetteer.find("Bari"))
    alice.profile.save()
    alice.profile.skills.add(Skill.objects.create(name="SEO", is_approved=True))
    for url in [
        reverse("admin:profiles_profile_changelist"),
        reverse("admin:profiles_profile_change", args=[alice.profile.pk]),
        reverse("admin:profiles_skill_changelist"),
        reverse("admin:profiles_skill_changelist") + "?q=seo",
    ]:
        response = staff_client.get(url)
        assert response.status_code == 200, url
    assert "Bari" in staff_client.get(reverse("admin:profiles_profile_changelist")).content.decode()


def test_members_cannot_reach_the_admin(bob_client):
    response = bob_client.get(reverse("admin:profiles_skill_changelist"))
    assert response.status_code == 302


def test_merge_asks_which_skill_to_keep_then_merges_without_duplicates(
    staff_client, alice, bob, carol
):
    keep = Skill.objects.create(name="Copywriting", is_approved=True)
    dup1 = Skill.objects.create(name="Copy-writing")
    dup2 = Skill.objects.create(name="Copywriter")
    alice.profile.skills.add(keep, dup1, dup2)
    bob.profile.skills.add(dup1)
    carol.profile.skills.add(dup2, keep)
    url = reverse("admin:profiles_skill_changelist")
    selected = [keep.pk, dup1.pk, dup2.pk]

    confirm = staff_client.post(url, {"action": "merge_selected", ACTION_CHECKBOX_NAME: selected})
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert 'name="keep"' in html and "Copy-writing" in html
    assert Skill.objects.count() == 3

    done = staff_client.post(
        url,
        {"action": "merge_selected", ACTION_CHECKBOX_NAME: selected, "keep": keep.pk, "apply": "1"},
        follow=True,
    )
    assert done.status_code == 200
    assert list(Skill.objects.all()) == [keep]
    for user in (alice, bob, carol):
        assert list(user.profile.skills.all()) == [keep]
    assert Skill.profiles.through.objects.count() == 3


def test_merging_one_skill_only_warns(staff_client):
    skill = Skill.objects.create(name="SEO")
    response = staff_client.post(
        reverse("admin:profiles_skill_changelist"),
        {"action": "merge_selected", ACTION_CHECKBOX_NAME: [skill.pk]},
        follow=True,
    )
    assert "almeno due" in response.content.decode()
    assert Skill.objects.count() == 1


def test_approve_action(staff_client, alice):
    proposed = Skill.propose("Naming", by=alice)
    staff_client.post(
        reverse("admin:profiles_skill_changelist"),
        {"action": "approve", ACTION_CHECKBOX_NAME: [proposed.pk]},
    )
    proposed.refresh_from_db()
    assert proposed.is_approved
