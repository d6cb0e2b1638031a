"""Migration operations that differ between SQLite and PostgreSQL (STYLE 2.8)."""

from typing import Any

from django.db import migrations


class VendorRunSQL(migrations.RunSQL):
    """RunSQL with one statement list per database vendor ("sqlite", "postgresql")."""

    def __init__(self, *, forward: dict[str, list[str]], backward: dict[str, list[str]]) -> None:
        self.forward_by_vendor = forward
        self.backward_by_vendor = backward
        super().__init__(sql=migrations.RunSQL.noop, reverse_sql=migrations.RunSQL.noop)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            f"{self.__class__.__module__}.{self.__class__.__name__}",
            [],
            {"forward": self.forward_by_vendor, "backward": self.backward_by_vendor},
        )

    def _run(self, schema_editor: Any, statements: dict[str, list[str]]) -> None:
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise NotImplementedError(f"no SQL for database vendor {vendor!r}")
        for statement in statements[vendor]:
            schema_editor.execute(statement, params=None)

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._run(schema_editor, self.forward_by_vendor)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._run(schema_editor, self.backward_by_vendor)

    def describe(self) -> str:
        return "Vendor-specific SQL"
