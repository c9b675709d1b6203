"""Patch inputs: which fields an update input actually sets."""

from typing import Any

from strawberry import UNSET

from core.errors import ValidationFailed


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def changed_fields(data: Any, *, not_nullable: set[str]) -> dict[str, Any]:
    """The fields set in `data` (other than id and version); refuses null for required ones."""
    changes = {
        name: value
        for name, value in vars(data).items()
        if name not in {"id", "version"} and value is not UNSET
    }
    for name, value in changes.items():
        if value is None and name in not_nullable:
            raise ValidationFailed("cannot be cleared", field=f"input.{camel(name)}")
    return changes
