from django.core.management import call_command

from profiles.models import User


def test_seed_demo_is_reproducible_and_safe_to_rerun(db):
    call_command("seed_demo", seed=7, members=10)
    first = sorted(User.objects.values_list("email", "display_name"))

    call_command("seed_demo", seed=7, members=10)

    assert sorted(User.objects.values_list("email", "display_name")) == first
    assert len(first) == 16  # admin, five personas, ten extra members


def test_demo_personas_can_log_in(client, db):
    call_command("seed_demo", members=0)

    response = client.post(
        "/accounts/login/", {"login": "alice@gilda.demo", "password": "gilda-demo-2026"}
    )

    assert response.status_code == 302
    assert client.get("/").context["user"].email == "alice@gilda.demo"


def test_demo_admin_is_staff(db):
    call_command("seed_demo", members=0)

    admin = User.objects.get(email="admin@gilda.demo")
    assert admin.is_staff and admin.is_superuser
