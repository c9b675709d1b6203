"""Text PostgreSQL cannot store, refused before anything runs.

JSON may carry a NUL character (`\\u0000`), which PostgreSQL's text types cannot hold, and lone
UTF-16 surrogates (`\\ud800`), which are not Unicode at all and cannot even be written back in
an error message. Either in a variable or a literal is VALIDATION_FAILED naming the input; in the
document text, the operation name or the extensions, a malformed request (`lone_surrogate_in`).
"""

from typing import Any

from graphql import ArgumentNode, DocumentNode, ObjectFieldNode, StringValueNode, visit
from graphql.language import Visitor

from core.errors import ValidationFailed
from core.graphql.variable_paths import argument_paths, input_path


def _strings(value: Any, path: str) -> list[tuple[str, str]]:
    """Every string inside a JSON value, with its dotted path (iteratively: values may nest
    deeper than Python's recursion limit)."""
    found: list[tuple[str, str]] = []
    pending: list[tuple[Any, str]] = [(value, path)]
    while pending:
        current, where = pending.pop()
        if isinstance(current, str):
            found.append((current, where))
        elif isinstance(current, dict):
            pending.extend((v, f"{where}.{k}" if where else str(k)) for k, v in current.items())
            pending.extend((k, where) for k in current if isinstance(k, str))
        elif isinstance(current, list):
            pending.extend((item, f"{where}.{i}") for i, item in enumerate(current))
    return found


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def lone_surrogate_in(value: Any) -> bool:
    return any(not _is_unicode(text) for text, _ in _strings(value, ""))


def check_storable(
    document: DocumentNode, variables: dict[str, Any] | None, source: str | None = None
) -> None:
    """VALIDATION_FAILED for a NUL character in a variable or in a string in the document.
    With the document's `source` text, the document is walked only when that text could
    hold a NUL (the character itself, or a `\\u` escape): walking it costs more than
    running a typical query."""
    for text, where in _strings(variables or {}, ""):
        if "\x00" in text or not _is_unicode(text):
            raise ValidationFailed(
                "text may not contain the NUL character or lone surrogates",
                field=input_path(where, argument_paths(document)),
            )
    if source is None or "\x00" in source or "\\u" in source:
        visit(document, _NulInLiterals())


class _NulInLiterals(Visitor):
    """Finds a NUL in a string literal, and the argument (and input fields) it is given to."""

    def __init__(self) -> None:
        super().__init__()
        self.path: list[str] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.path.append(node.name.value)

    def leave_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.path.pop()

    def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        self.path.append(node.name.value)

    def leave_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        self.path.pop()

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if "\x00" in node.value:
            raise ValidationFailed(
                "text may not contain the NUL character", field=".".join(self.path) or None
            )
