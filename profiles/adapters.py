from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.requests import RequestSite

from profiles.models import OutgoingEmail


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Queue allauth's mail in the outbox instead of sending it inside the request."""
        request = allauth_context.request
        site = RequestSite(request)
        site.name = "Gilda"
        ctx = {"request": request, "email": email, "current_site": site, **context}
        OutgoingEmail.queue(self.render_mail(template_prefix, email, ctx))
