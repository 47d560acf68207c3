"""allauth adapters: email through the outbox, login limits keyed per place, the member's
language kept on the account."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.requests import RequestSite
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from profiles.models import OutgoingEmail, offered_language


class AccountAdapter(DefaultAccountAdapter):
    error_messages = DefaultAccountAdapter.error_messages | {
        "too_many_login_attempts": _(
            "Too many wrong passwords for this account from your network. Wait five minutes, "
            "or use “Forgot your password?”: a reset by email always works, even now."
        ),
    }

    def save_user(self, request, user, form, commit: bool = True):
        """A new member keeps the language they signed up in (the one they chose, else their
        browser's): their emails are written in it, and their logins elsewhere follow it."""
        user.language = offered_language(translation.get_language()) or settings.LANGUAGE_CODE
        return super().save_user(request, user, form, commit)

    def login(self, request, user) -> None:
        """The site speaks the member's saved language from the moment they log in, whatever
        the browser's (the switcher saves their choice on the account): "signed in" included.
        The database keeps it one the site offers (user_language_offered)."""
        super().login(request, user)
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language

    def post_login(self, request, user, **kwargs):
        """…and on the next pages too: the language cookie, as the switcher sets it."""
        response = super().post_login(request, user, **kwargs)
        cookie = settings.LANGUAGE_COOKIE_NAME
        if request.COOKIES.get(cookie) != user.language:
            response.set_cookie(
                cookie,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response

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
