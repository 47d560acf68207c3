"""The profiles app (identity layer)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = _("Profiles")

    def ready(self) -> None:
        # allauth's Authenticator model has no translatable verbose name: the Italian admin
        # showed "Authenticators". Give it one (translated in config/locale).
        from allauth.mfa.models import Authenticator

        Authenticator._meta.verbose_name = _("authenticator")
        Authenticator._meta.verbose_name_plural = _("authenticators")

        from allauth.account import signals as account_signals

        from profiles.models import refresh_verified_domain

        def email_changed(sender, request=None, user=None, email_address=None, **kwargs):
            # A work address confirmed, changed or removed changes the badge.
            refresh_verified_domain(user or email_address.user)

        for signal in (
            account_signals.email_confirmed,
            account_signals.email_removed,
            account_signals.email_changed,
        ):
            signal.connect(email_changed, weak=False, dispatch_uid=f"badge-{id(signal)}")
