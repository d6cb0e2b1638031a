"""kurashi records_token <username> <label>: issue a FHIR API bearer token (printed once)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kurashi.core.models import User
from kurashi.modules.records import services


class Command(BaseCommand):
    help = "Issue a bearer token for a facility system acting as a user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("label")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("unknown user / ユーザーが見つかりません")
        self.stdout.write(services.issue_api_token(user=user, label=options["label"], actor=None))
