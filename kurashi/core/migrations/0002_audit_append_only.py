"""Make core_auditevent append-only in the database itself: UPDATE and DELETE raise."""

from django.db import migrations

from kurashi.core.migration_operations import VendorRunSQL

SQLITE = [
    "CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
]
POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$",
    "CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE OR DELETE ON core_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only()",
    # TRUNCATE bypasses row triggers; block it too.
    "CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent "
    "FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only()",
]


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        VendorRunSQL(
            forward={"sqlite": SQLITE, "postgresql": POSTGRESQL},
            backward={
                "sqlite": [
                    "DROP TRIGGER core_auditevent_no_update",
                    "DROP TRIGGER core_auditevent_no_delete",
                ],
                "postgresql": [
                    "DROP TRIGGER core_auditevent_no_update ON core_auditevent",
                    "DROP TRIGGER core_auditevent_no_truncate ON core_auditevent",
                    "DROP FUNCTION core_auditevent_append_only()",
                ],
            },
        ),
    ]
