"""`flush`, which test teardown uses to empty the database between transactional tests.

The audit log refuses DELETE/TRUNCATE through database triggers (migration core/0002). Under the
test settings only, this flush lifts those triggers for the duration of the flush and restores them,
then reloads the reference data every test relies on (the prefecture and its 20 municipalities, loaded
once per test database); everywhere else the triggers stay and a flush fails on the audit table, as
it should.
"""

import importlib
from typing import Any

from django.conf import settings
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from kurashi.core.services import load_municipalities

# The trigger SQL lives in its migration; reuse it rather than keep a second copy.
_TRIGGERS = importlib.import_module(
    "kurashi.core.migrations.0002_audit_append_only"
).Migration.operations[0]


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        if not getattr(settings, "KURASHI_TESTING", False):
            super().handle(**options)
            return
        connection = connections[options["database"]]
        vendor = connection.vendor
        with connection.cursor() as cursor:
            for statement in _TRIGGERS.backward_by_vendor[vendor]:
                cursor.execute(statement)
        try:
            super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                for statement in _TRIGGERS.forward_by_vendor[vendor]:
                    cursor.execute(statement)
        load_municipalities()
