"""profiles/backends.py: the user of each request read by a query compiled once must be the
user the ORM loads, and logging in through the form names these backends in the session."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.urls import reverse

from profiles.backends import ModelBackend, user_by_id
from profiles.models import User

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("within_one_minute"),  # kept pages: tests/conftest.py
]


def test_the_compiled_user_is_the_users_row(alice, bob):
    for member in (alice, bob):
        loaded, expected = user_by_id(member.pk), User.objects.get(pk=member.pk)
        for field in User._meta.concrete_fields:
            assert getattr(loaded, field.attname) == getattr(expected, field.attname), field
        assert loaded.get_session_auth_hash() == expected.get_session_auth_hash()
    assert user_by_id(-1) is None
    assert user_by_id("1") is None  # only an int, as the session's pk field gives it


def test_an_inactive_member_is_not_loaded(bob):
    User.objects.filter(pk=bob.pk).update(is_active=False)
    assert ModelBackend().get_user(bob.pk) is None


def test_a_login_names_the_compiled_backend_and_reads_the_user_in_one_query(
    client, bob, password, django_assert_num_queries
):
    client.post(reverse("account_login"), {"login": bob.email, "password": password})
    assert client.session[BACKEND_SESSION_KEY].startswith("profiles.backends.")
    client.get("/rete/")  # shows the "signed in" message
    client.get("/rete/")  # kept for bob from here on
    with django_assert_num_queries(2):  # the user, the badges
        response = client.get("/rete/")
    assert response.status_code == 200 and response.context is None
    assert "Roberto Bianchi" in response.content.decode()
