"""The effective policy: every enabled plugin's policy file, then the run-time changes an
administrator made (stored in PostgreSQL, applied in order). Held in a Casbin enforcer; the
decisions the API needs are compiled from it once per role and type (see `access`)."""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import casbin
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationFailed
from core.models import PolicyChange
from core.plugin_api import Plugin

MODEL = Path(__file__).parent / "model.conf"
ACTIONS = ("read", "read_masked", "write", "execute", "row", "require_purpose")


@dataclass(frozen=True)
class PolicyLine:
    subject: str
    object: str
    action: str
    source: str

    def as_csv(self) -> str:
        return f"p, {self.subject}, {self.object}, {self.action}"


def parse_policy_file(path: Path, source: str) -> list[PolicyLine]:
    lines = []
    text = "\n".join(
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        fields = [field.strip() for field in row]
        if len(fields) != 4 or fields[0] != "p" or fields[3] not in ACTIONS:
            raise ValueError(f"{path}: line {number} is not 'p, subject, object, action'")
        lines.append(PolicyLine(fields[1], fields[2], fields[3], source))
    return lines


def check_line(subject: str, obj: str, action: str) -> None:
    """VALIDATION_FAILED for a line the model cannot use."""
    if subject != "*" and (subject.count(":") != 1 or not all(subject.split(":"))):
        raise ValidationFailed("a subject is 'department:role' or '*'", field="input.subject")
    if not obj or (not obj.startswith("scope:") and "." not in obj and obj != "*"):
        raise ValidationFailed(
            "an object is 'Type.field', 'Type.*' or 'scope:name'", field="input.object"
        )
    if action not in ACTIONS:
        raise ValidationFailed(f"the action is one of {', '.join(ACTIONS)}", field="input.action")


class PolicySet:
    """An immutable policy: lines in force, the enforcer over them, and a version."""

    def __init__(self, lines: Sequence[PolicyLine], version: int) -> None:
        self.lines = list(lines)
        self.version = version
        self.subjects = {line.subject for line in lines if line.subject != "*"}
        self._enforcers: dict[str, casbin.Enforcer] = {}

    def _enforcer(self, subject: str) -> casbin.Enforcer:
        """An enforcer holding only the lines that can apply to `subject` (its own and `*`):
        Casbin evaluates every line for every decision, and the whole policy has hundreds."""
        if subject not in self._enforcers:
            enforcer = casbin.Enforcer(str(MODEL))
            rules = dict.fromkeys(
                (line.subject, line.object, line.action)
                for line in self.lines
                if line.subject in (subject, "*")
            )
            if rules:
                enforcer.add_policies([list(rule) for rule in rules])
            self._enforcers[subject] = enforcer
        return self._enforcers[subject]

    def allows(self, subject: str, obj: str, action: str) -> bool:
        return bool(self._enforcer(subject).enforce(subject, obj, action))

    def explain(self, subject: str, obj: str, action: str) -> tuple[bool, PolicyLine | None]:
        allowed, rule = self._enforcer(subject).enforce_ex(subject, obj, action)
        if not allowed or not rule:
            return False, None
        for line in self.lines:
            if [line.subject, line.object, line.action] == list(rule):
                return True, line
        return True, None


def file_lines(plugins: Iterable[Plugin]) -> list[PolicyLine]:
    lines: list[PolicyLine] = []
    for plugin in plugins:
        if plugin.policy is not None:
            lines += parse_policy_file(plugin.policy, f"{plugin.name}:{plugin.policy.name}")
    return lines


async def load_policy(session: AsyncSession, plugins: Iterable[Plugin]) -> PolicySet:
    """The files' lines with the stored run-time changes applied in order."""
    lines = {(line.subject, line.object, line.action): line for line in file_lines(plugins)}
    changes = (await session.scalars(select(PolicyChange).order_by(PolicyChange.id))).all()
    for change in changes:
        key = (change.subject, change.object, change.action)
        if change.change == "add":
            lines[key] = PolicyLine(*key, source=f"change #{change.id} by {change.changed_by}")
        else:
            lines.pop(key, None)
    version = changes[-1].id if changes else 0
    return PolicySet(list(lines.values()), version)
