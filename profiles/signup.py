"""The signup form: the same work whether or not the email is already registered."""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django.contrib.auth.hashers import make_password


class SignupForm(AllauthSignupForm):
    def try_save(self, request):
        if self.account_already_exists:
            # Hashing the password is most of a new account's cost. Without it the "already
            # registered" path answered in a fifth of the time, revealing who has an account
            # despite the identical response (allauth's enumeration prevention covers the body
            # and the mail, not the timing). The hash is thrown away.
            make_password(self.cleaned_data.get("password1"))
        return super().try_save(request)
