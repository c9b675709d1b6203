"""Where a document uses its variables: an error about a variable's value names the argument
it was given to (`input.address`), as errors about literal inputs do, not the variable's own
name, which is the client's choice."""

from typing import Any

from graphql import ArgumentNode, DocumentNode, ObjectFieldNode, VariableNode, visit
from graphql.language import Visitor


class _Usages(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.path: list[str] = []
        self.found: dict[str, str] = {}

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.path.append(node.name.value)

    def leave_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.path.pop()

    def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        self.path.append(node.name.value)

    def leave_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        self.path.pop()

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        if self.path:  # not the variable's definition
            self.found.setdefault(node.name.value, ".".join(self.path))


def argument_paths(document: DocumentNode | None) -> dict[str, str]:
    """Each variable's first use: `{"i": "input"}` for `registerChild(input: $i)`."""
    if document is None:
        return {}
    usages = _Usages()
    visit(document, usages)
    return usages.found


def input_path(variable_path: str, paths: dict[str, str]) -> str:
    """`i.address` → `input.address`, given where `$i` is used."""
    name, _, rest = variable_path.partition(".")
    base = paths.get(name, name)
    return f"{base}.{rest}" if rest else base
