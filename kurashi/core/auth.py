from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from kurashi.core.models import User


class UsernameOrEmailBackend(ModelBackend):
    """Log in with the username or the e-mail address (case-insensitive), and a password.

    Object permissions are not Django's: they come from memberships (kurashi.core.permissions).
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        identifier = username.strip()
        if "@" in identifier:
            user = User.objects.filter(email__iexact=identifier).first()
        else:
            user = User.objects.filter(username=identifier).first()
        if user is None:
            # Spend the same time as a real check so timing does not reveal which accounts exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def authenticated_user(request: HttpRequest) -> User:
    """request.user for views behind @login_required, typed as a real account."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("login required")
    return user
