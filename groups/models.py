from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.Model):
    """A professional sector (settore). Editable in the admin; seeded with an Italian list."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self) -> str:
        return self.name

    @property
    def localized_name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "it").startswith("en") and self.name_en:
            return self.name_en
        return self.name
