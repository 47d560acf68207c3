"""Fixtures of the home's tests."""

import pytest

from profiles.models import Skill


@pytest.fixture
def seo(bob):
    """bob's skill "SEO locale": questions naming it are offered on his home."""
    skill = Skill.objects.create(name="SEO locale", is_approved=True)
    bob.profile.skills.add(skill)
    return skill
