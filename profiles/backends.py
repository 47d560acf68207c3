"""Django's and allauth's authentication backends, with the user of every logged-in request
read by a query compiled once (config.compiled) instead of the ORM's get(): building and
compiling that query cost 0.5 ms of CPU on every member page, running it compiled 0.2 ms.

Sessions name the backend that logged the member in, so these two replace Django's and
allauth's in AUTHENTICATION_BACKENDS (sessions made under the old names ended once, at the
deploy that brought these)."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import backends

from config.compiled import CompiledQuery, model_columns, model_from_row
from profiles.models import User


def _user_row(user_id: int):
    return User.objects.filter(pk=user_id).values(*model_columns(User))


USER_ROW = CompiledQuery(_user_row, "user")


def user_by_id(user_id) -> User | None:
    """The user with that pk, as User.objects.get(pk=…) loads it, or None."""
    if type(user_id) is not int:
        return None
    row = USER_ROW.fetchone(user_id)
    return None if row is None else model_from_row(User, row)


class CompiledGetUser:
    def get_user(self, user_id):
        user = user_by_id(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(CompiledGetUser, backends.ModelBackend):
    pass


class AuthenticationBackend(CompiledGetUser, AllauthBackend):
    pass
