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
