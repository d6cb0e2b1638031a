"""Issue an API token for a hospital system: `kurashi ems_token <username> <hospital slug>`.
The token acts with that user's permission, for that hospital only; it is shown once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kurashi.core.models import User
from kurashi.modules.ems import selectors, services


class Command(BaseCommand):
    help = "Issue an API token so a hospital system can update its acceptance status."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("hospital")
        parser.add_argument("--label", default="hospital system")

    def handle(self, *args: Any, username: str, hospital: str, label: str, **options: Any) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        found = selectors.get_hospital(hospital)
        if found is None:
            raise CommandError(f"No EMS hospital {hospital!r}.")
        if not selectors.can_manage_hospital(user, found):
            raise CommandError(f"{username} may not manage the status of {found}.")
        raw = services.issue_api_token(actor=user, hospital=found, label=label)
        self.stdout.write(raw)
