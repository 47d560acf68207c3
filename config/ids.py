"""Ids from outside (a URL, a form) go through here, so none reaches the database out of range.

The database keys are signed 64-bit integers: a 20-digit id must be a 404 or a form error,
never an OverflowError.
"""

import re

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.urls import register_converter

MAX_ID = 2**63 - 1
ID_PATTERN = r"[0-9]{1,18}"
_ID = re.compile(rf"\A{ID_PATTERN}\Z")


def parse_id(value) -> int | None:
    """A positive database id, or None for anything else (text, negatives, overflow)."""
    text = str(value if value is not None else "").strip()
    if not _ID.match(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class IdConverter:
    """<id:pk> in a URL pattern: 1–18 digits, so it always fits a bigint; else no match (404)."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class _BoundedIds:
    """Refuse an out-of-range id before the queryset sees it."""

    def _bounded(self, value):
        if value in self.empty_values:
            return value
        # A model instance (an initial value) passes as is.
        if hasattr(value, "_meta"):
            return value
        if parse_id(value) is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return value


class IdChoiceField(_BoundedIds, forms.ModelChoiceField):
    def to_python(self, value):
        return super().to_python(self._bounded(value))


class IdMultipleChoiceField(_BoundedIds, forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for item in value:
            self._bounded(item)
        return super()._check_values(value)


class _BoundedSelected:
    """An autocomplete widget redrawing a refused form looks up only the ids that can exist."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if parse_id(v) is not None], attr)


class BoundedAutocompleteSelect(_BoundedSelected, AutocompleteSelect):
    pass


class BoundedAutocompleteSelectMultiple(_BoundedSelected, AutocompleteSelectMultiple):
    pass


class BoundedIdsAdmin(admin.ModelAdmin):
    """A ModelAdmin whose relation fields take ids only through the bounded fields: the add
    page's ?user=… initial values and the posted ids alike."""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        relations = {f.name for f in self.model._meta.get_fields() if f.is_relation}
        for name in relations & initial.keys():
            value = initial[name]
            if isinstance(value, list):
                initial[name] = [v for v in value if parse_id(v) is not None]
            elif parse_id(value) is None:
                del initial[name]
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", IdChoiceField)
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                BoundedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using")),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", IdMultipleChoiceField)
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                BoundedAutocompleteSelectMultiple(
                    db_field, self.admin_site, using=kwargs.get("using")
                ),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# Every urls.py imports this module before its patterns, so <id:...> is always known.
register_converter(IdConverter, "id")
