import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kurashi.core.audit import record_audit
from kurashi.core.models import User


class Command(BaseCommand):
    help = (
        "Create (or reset the password of) a Kurashi administrator. The password is read from "
        "KURASHI_ADMIN_PASSWORD, or asked for twice."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, username: str, email: str, **options: Any) -> None:
        password = os.environ.get("KURASHI_ADMIN_PASSWORD")
        if password is None:
            password = getpass.getpass("Password / パスワード: ")
            if password != getpass.getpass("Password again / もう一度: "):
                raise CommandError("The passwords differ. / パスワードが一致しません。")
        user = User.objects.filter(username=username).first() or User(username=username)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user.email = email or user.email
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        record_audit(
            actor=None, action="core.admin.create", obj=user, detail={"username": username}
        )
        self.stdout.write(self.style.SUCCESS(f"Administrator {username!r} is ready."))
