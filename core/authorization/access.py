"""Decisions compiled from the policy, per role and type, so that a request pays a dictionary
lookup per field instead of a policy evaluation per field per row."""

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from core.authorization.policy import PolicySet

ROOT_TYPES = ("Query", "Mutation", "Subscription")


class FieldAccess(enum.IntEnum):
    NONE = 0
    MASKED = 1
    FULL = 2


@dataclass
class CompiledPolicy:
    """One policy version's decisions, filled lazily and shared by every request."""

    policy: PolicySet
    type_fields: Mapping[str, Iterable[str]]
    scope_names: Iterable[str]
    record_types: frozenset[str] = frozenset()
    _fields: dict[tuple[str, str], dict[str, FieldAccess]] = field(default_factory=dict)
    _executable: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    _writable: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    _scopes: dict[str, frozenset[str]] = field(default_factory=dict)
    _purpose: dict[tuple[str, str], bool] = field(default_factory=dict)

    def field_access(self, subject: str, type_name: str) -> dict[str, FieldAccess]:
        key = (subject, type_name)
        if key not in self._fields:
            decisions = {}
            for name in self.type_fields.get(type_name, ()):
                obj = f"{type_name}.{name}"
                if self.policy.allows(subject, obj, "read"):
                    decisions[name] = FieldAccess.FULL
                elif self.policy.allows(subject, obj, "read_masked"):
                    decisions[name] = FieldAccess.MASKED
                else:
                    decisions[name] = FieldAccess.NONE
            self._fields[key] = decisions
        return self._fields[key]

    def executable(self, subject: str, root: str) -> frozenset[str]:
        key = (subject, root)
        if key not in self._executable:
            self._executable[key] = frozenset(
                name
                for name in self.type_fields.get(root, ())
                if self.policy.allows(subject, f"{root}.{name}", "execute")
            )
        return self._executable[key]

    def writable(self, subject: str, type_name: str) -> frozenset[str]:
        key = (subject, type_name)
        if key not in self._writable:
            self._writable[key] = frozenset(
                name
                for name in self.type_fields.get(type_name, ())
                if self.policy.allows(subject, f"{type_name}.{name}", "write")
            )
        return self._writable[key]

    def requires_purpose(self, subject: str, obj: str) -> bool:
        key = (subject, obj)
        if key not in self._purpose:
            self._purpose[key] = self.policy.allows(subject, obj, "require_purpose")
        return self._purpose[key]

    def scopes(self, subject: str) -> frozenset[str]:
        if subject not in self._scopes:
            self._scopes[subject] = frozenset(
                name
                for name in self.scope_names
                if self.policy.allows(subject, f"scope:{name}", "row")
            )
        return self._scopes[subject]


@dataclass
class RequestAccess:
    """The caller's subjects against one compiled policy, for one request."""

    compiled: CompiledPolicy
    subjects: tuple[str, ...]
    enforced: bool = True
    _merged: dict[tuple[str, frozenset[str] | None], dict[str, FieldAccess]] = field(
        default_factory=dict
    )

    def field_access(
        self, type_name: str, through: frozenset[str] | None = None
    ) -> dict[str, FieldAccess]:
        """Per field, the best access any of the caller's subjects gives, counting only the
        subjects in `through` (those whose row scope includes the row) when given."""
        key = (type_name, through)
        if key not in self._merged:
            subjects = [s for s in self.subjects if through is None or s in through]
            merged: dict[str, FieldAccess] = {}
            for subject in subjects:
                for name, access in self.compiled.field_access(subject, type_name).items():
                    if access > merged.get(name, FieldAccess.NONE):
                        merged[name] = access
            self._merged[key] = merged
        return self._merged[key]

    def requires_purpose(self, obj: str) -> bool:
        return any(self.compiled.requires_purpose(s, obj) for s in self.subjects)

    def may_execute(self, root: str, name: str) -> bool:
        return any(name in self.compiled.executable(s, root) for s in self.subjects)

    def may_write(self, type_name: str, name: str) -> bool:
        return any(name in self.compiled.writable(s, type_name) for s in self.subjects)

    @cached_property
    def scopes_by_subject(self) -> dict[str, frozenset[str]]:
        return {subject: self.compiled.scopes(subject) for subject in self.subjects}
