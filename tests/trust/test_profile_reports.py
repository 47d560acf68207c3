"""Profile reports go to staff; the reported member never learns who reported them."""

from django.urls import reverse

from profiles.models import Notification, Report


def test_a_profile_report_goes_to_staff_only(
    bob_client,
    dave,
    staff,
    staff_client,
    moderator_client,
    dave_client,
    django_capture_on_commit_callbacks,
):
    url = reverse("report_member", args=[dave.pk])
    assert bob_client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(url, {"reason": "fake", "note": "Foto presa da internet"})

    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.target_type, report.target_id, report.scope) == ("profiles.user", dave.pk, "")
    assert Notification.objects.filter(recipient=staff, kind="report").count() == 1
    assert not Notification.objects.filter(recipient=dave).exists()
    queue = staff_client.get(reverse("groups:review")).content.decode()
    assert "Foto presa da internet" in queue and 'data-testid="suspend"' in queue
    assert "Roberto" not in queue  # the reporter, bob, is never named
    assert b"Foto presa" not in moderator_client.get(reverse("groups:review")).content
    # Nobody reports themselves.
    assert dave_client.get(url).status_code == 403


def test_staff_suspend_a_reported_profile_inline(bob, dave, staff_client):
    from groups.models.reports import report_member

    report_member(bob, dave, reason="fake")

    response = staff_client.post(
        reverse("groups:review_decide", args=["profilo", dave.pk]),
        {"decision": "suspend"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200 and b"<html" not in response.content
    dave.refresh_from_db()
    assert dave.is_suspended
    assert Report.objects.get().decision == "suspended"


def test_members_cannot_decide_on_profile_reports(bob, dave, moderator_client):
    from groups.models.reports import report_member

    report_member(bob, dave, reason="fake")
    response = moderator_client.post(
        reverse("groups:review_decide", args=["profilo", dave.pk]), {"decision": "keep"}
    )
    assert response.status_code == 404
    assert Report.objects.open().count() == 1
