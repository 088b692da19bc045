"""What alembic autogenerate compares: our tables, not procrastinate's (its schema has its own
migration, applied from the pinned package version)."""

from __future__ import annotations


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if name and name.startswith("procrastinate"):
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and str(getattr(table, "name", "")).startswith("procrastinate"))
