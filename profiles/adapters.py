"""allauth adapters: email through the outbox, login limits keyed per place."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.requests import RequestSite
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from profiles.models import OutgoingEmail


class AccountAdapter(DefaultAccountAdapter):
    error_messages = DefaultAccountAdapter.error_messages | {
        "too_many_login_attempts": _(
            "Too many wrong passwords for this account from your network. Wait five minutes, "
            "or use “Forgot your password?”: a reset by email always works, even now."
        ),
    }

    def get_signup_redirect_url(self, request) -> str:
        """Verified at last: the first visit (skippable, and resumable from the home)."""
        return reverse("first_visit")

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Queue allauth's mail in the outbox instead of sending it inside the request."""
        request = allauth_context.request
        site = RequestSite(request)
        site.name = "Gilda"
        ctx = {"request": request, "email": email, "current_site": site, **context}
        OutgoingEmail.queue(self.render_mail(template_prefix, email, ctx))

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth keys the per-account failure limit on the email alone, so anyone anywhere
        # could lock an owner out with five wrong passwords. Keyed on address and email, the
        # limit still stops guessing from one place and never blocks the owner elsewhere.
        # A successful password reset clears it (allauth calls this with the same request).
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{self.get_client_ip(request)}:{account}"
