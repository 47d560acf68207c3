"""Verified professionals: the work-email badge (never for free-mail domains), the Partita IVA
badge (format and check digit only), and groups auto-approving verified domains."""

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.urls import reverse

from groups.models import Group, JoinRequest, ModerationLog, Post
from profiles.models import FreeMailDomain, Notification, User, normalise_vat, work_domain_of


@pytest.fixture(autouse=True)
def personas_sign_up_with_free_mail(db):
    # The personas' own addresses are at example.com: treat it as free mail here, so that
    # every badge in these tests comes from the address the test confirms.
    FreeMailDomain.objects.create(domain="example.com")


def confirm(user, email):
    """What allauth does when the member types the right code for a new address."""
    address = EmailAddress.objects.create(user=user, email=email, verified=True)
    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)
    user.refresh_from_db()
    return address


# Partita IVA ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, expected",
    [
        ("01114601006", "01114601006"),  # Poste Italiane
        ("00905811006", "00905811006"),  # Eni
        ("00811720580", "00811720580"),  # Enel
        ("00488410010", "00488410010"),  # TIM
        ("IT 01114601006", "01114601006"),  # with the country prefix and spaces
        ("011 146 010 06", "01114601006"),
    ],
)
def test_valid_partite_iva(number, expected):
    assert normalise_vat(number) == expected


@pytest.mark.parametrize(
    "number",
    [
        "01114601007",  # Poste Italiane with the last digit changed: check digit fails
        "00905811005",  # Eni, check digit off by one
        "99999999999",
        "00000000000",  # all zeros: not a valid office code
        "1114601006",  # ten digits
        "0111460100a",
        "",
    ],
)
def test_invalid_partite_iva(number):
    with pytest.raises(ValueError):
        normalise_vat(number)


def test_the_vat_form_keeps_the_number_private_and_shows_an_honest_badge(
    bob_client, bob, dave_client
):
    response = bob_client.post(reverse("verify_vat"), {"vat_number": "IT01114601006"})
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.vat_number == "01114601006" and bob.has_vat_badge

    page = dave_client.get(bob.get_absolute_url()).content.decode()
    assert 'data-testid="badge-vat"' in page
    assert "01114601006" not in page
    assert "formato" in page or "format" in page  # says what was checked


def test_an_invalid_vat_number_earns_nothing(bob_client, bob):
    response = bob_client.post(reverse("verify_vat"), {"vat_number": "01114601007"}, follow=True)
    bob.refresh_from_db()
    assert not bob.has_vat_badge and bob.vat_number == ""
    assert response.status_code == 200
    assert bob_client.get(reverse("verify_vat")).status_code == 405


# Work email -----------------------------------------------------------------------------------


def test_a_confirmed_work_email_earns_the_domain_badge(bob, dave_client):
    confirm(bob, "roberto@studio-rossi.it")

    assert bob.verified_domain == "studio-rossi.it"
    page = dave_client.get(bob.get_absolute_url()).content.decode()
    assert "@studio-rossi.it" in page and 'data-testid="badge-domain"' in page


@pytest.mark.parametrize(
    "email", ["roberto@gmail.com", "roberto@libero.it", "r@virgilio.it", "r@hotmail.it"]
)
def test_a_free_mail_domain_never_earns_a_badge(bob, email):
    confirm(bob, email)
    assert bob.verified_domain == ""
    assert work_domain_of(email) == ""


def test_an_unconfirmed_work_email_earns_nothing(bob):
    EmailAddress.objects.create(user=bob, email="roberto@studio-rossi.it", verified=False)
    email_confirmed.send(
        sender=EmailAddress,
        request=None,
        email_address=EmailAddress.objects.get(user=bob, primary=True),
    )
    bob.refresh_from_db()
    assert bob.verified_domain == ""


def test_staff_mark_a_domain_as_free_mail_and_its_badges_go(bob):
    confirm(bob, "roberto@fastwebnet.it")
    assert bob.verified_domain == "fastwebnet.it"

    FreeMailDomain.objects.create(domain="@FastwebNet.it")

    bob.refresh_from_db()
    assert bob.verified_domain == ""
    assert work_domain_of("x@fastwebnet.it") == ""


def test_removing_the_work_address_removes_the_badge(bob):
    from allauth.account.signals import email_removed

    address = confirm(bob, "roberto@studio-rossi.it")
    address.delete()
    email_removed.send(sender=EmailAddress, request=None, user=bob, email_address=address)
    bob.refresh_from_db()
    assert bob.verified_domain == ""


def test_badges_show_on_posts_the_directory_and_the_applicant_card(
    closed_group, bob, carol, alice_client, dave_client
):
    confirm(bob, "roberto@studio-rossi.it")
    confirm(carol, "carolina@agenzia-esposito.it")
    question = Post.ask(closed_group, bob, title="Tariffe naming?", body="Quanto?")
    User.objects.filter(pk=bob.pk).update(vat_checked_at="2026-01-01T00:00Z")
    bob.profile.headline = "Copywriter"
    bob.profile.save()

    thread = alice_client.get(question.get_absolute_url()).content.decode()
    directory = dave_client.get(reverse("directory")).content.decode()
    queue = alice_client.get(reverse("groups:queue", args=[closed_group.slug])).content.decode()

    assert "@studio-rossi.it" in thread and 'data-testid="badge-vat"' in thread
    assert "@studio-rossi.it" in directory
    assert "@agenzia-esposito.it" in queue


# Auto-approval by verified domain --------------------------------------------------------


def test_a_group_auto_approves_members_verified_at_a_listed_domain(
    alice, closed_group, make_user, django_capture_on_commit_callbacks
):
    closed_group.auto_approve_domains = "studio-rossi.it\n@ordine-avvocati.it"
    closed_group.save()
    lawyer = make_user("anna@example.com", "Anna Legale")
    confirm(lawyer, "anna@ordine-avvocati.it")
    stranger = make_user("sara@example.com", "Sara Estranea")
    confirm(stranger, "sara@altro-studio.it")

    with django_capture_on_commit_callbacks(execute=True):
        approved = closed_group.request_to_join(lawyer, answer="Avvocata")
        pending = closed_group.request_to_join(stranger, answer="Copywriter")

    approved.refresh_from_db()
    assert approved.status == JoinRequest.Status.APPROVED
    assert closed_group.memberships.filter(user=lawyer).exists()
    log = ModerationLog.objects.get(action="approve", target=lawyer)
    assert log.automatic and log.actor is None and log.reason == "@ordine-avvocati.it"
    told = Notification.objects.get(recipient=lawyer, kind="group-request-approved")
    assert "ordine-avvocati.it" in told.text
    assert pending.status == JoinRequest.Status.PENDING
    assert not closed_group.memberships.filter(user=stranger).exists()
    closed_group.refresh_from_db()
    assert closed_group.pending_count == 2  # carol's and sara's


def test_the_group_form_refuses_free_mail_domains(alice_client, closed_group):
    url = reverse("groups:edit", args=[closed_group.slug])
    data = {
        "name": closed_group.name,
        "sector": closed_group.sector_id,
        "visibility": "closed",
        "language": "it",
        "description": "",
        "rules": "",
        "membership_question": "",
        "auto_approve_domains": "studio-rossi.it\ngmail.com",
    }

    response = alice_client.post(url, data)

    assert response.status_code == 400
    assert 'data-testid="error-auto_approve_domains"' in response.content.decode()
    closed_group.refresh_from_db()
    assert closed_group.auto_approve_domains == ""
    data["auto_approve_domains"] = "Studio-Rossi.it, @ordine-avvocati.it"
    assert alice_client.post(url, data).status_code == 302
    closed_group.refresh_from_db()
    assert closed_group.auto_approved_domains() == {"studio-rossi.it", "ordine-avvocati.it"}
    assert isinstance(closed_group, Group)
