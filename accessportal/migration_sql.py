"""Raw SQL in migrations, per database vendor (triggers the ORM cannot declare)."""

from django.db import migrations


def _run(statements_by_vendor: dict[str, list[str]]):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return operation


def run_sql_per_vendor(
    *, sqlite: list[str], postgresql: list[str], sqlite_reverse: list[str], postgresql_reverse: list[str]
) -> migrations.RunPython:
    """One reversible operation running each database's own statements."""
    return migrations.RunPython(
        _run({"sqlite": sqlite, "postgresql": postgresql}),
        _run({"sqlite": sqlite_reverse, "postgresql": postgresql_reverse}),
    )
