"""Forms of the connections layer: the personal connection request."""

from django import forms
from django.utils.translation import gettext_lazy as _

from connections.models import REQUEST_MESSAGE_MAX


class ConnectionRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Personal message"),
        max_length=REQUEST_MESSAGE_MAX,
        required=False,
        strip=True,
        help_text=_("Say where you met or why you want to connect: it is read first."),
        widget=forms.Textarea(
            attrs={"rows": 4, "maxlength": REQUEST_MESSAGE_MAX, "data-char-counter": ""}
        ),
    )


REQUEST_ACTIONS = ("accept", "decline", "ignore", "withdraw")
RECIPIENT_ACTIONS = ("accept", "decline", "ignore")
