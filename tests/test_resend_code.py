"""The confirm-email page offers a new code (for a code lost to an SMTP outage), rate limited."""

import re

from django.core import mail
from django.core.cache import cache

from tests.test_accounts import signup

CODE = re.compile(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b")


def test_a_new_code_can_be_requested_and_works_but_not_in_a_burst(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "nuova@example.com")
    page = client.get("/accounts/confirm-email/")
    assert 'name="action" value="resend"' in page.content.decode()

    # Right after the first mail: refused by the confirm_email limit (1 per 3 minutes).
    with django_capture_on_commit_callbacks(execute=True):
        burst = client.post("/accounts/confirm-email/", {"action": "resend"})
    assert len(mail.outbox) == 1
    assert burst.status_code == 429
    assert "Troppi tentativi" in burst.content.decode()

    cache.clear()  # three minutes later, as far as the limit can tell
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/confirm-email/", {"action": "resend"})
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    first, second = (CODE.search(m.body).group(1) for m in mail.outbox)
    assert first != second

    response = client.post("/accounts/confirm-email/", {"code": second})
    assert response.status_code == 302
    assert client.get("/").context["user"].is_authenticated
