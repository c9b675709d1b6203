"""Applying the compiled decisions to every field of every request (a Strawberry extension).

- Root fields need `execute` (FORBIDDEN otherwise).
- Mutation inputs need `write` on each `Type.field` they set (FORBIDDEN, naming the field).
- Fields of records (types implementing `Node`, except `id`) need `read`, or `read_masked` for
  a masked value; a field the caller may not read is null with FORBIDDEN at its path while the
  rest of the query answers. For a child seen through several roles, only the roles whose row
  scope includes that child count.
"""

from collections.abc import Awaitable, Callable, Mapping
from inspect import isawaitable
from typing import Any

from graphql import GraphQLResolveInfo
from strawberry.extensions import SchemaExtension

from core.authorization.access import ROOT_TYPES, FieldAccess, RequestAccess
from core.authorization.masking import mask_value
from core.errors import Forbidden

# Fields that answer with the schema itself. Federation's `_service { sdl }` (a subgraph build,
# docs/federation.md) is the whole SDL, so it is refused in production as introspection is; the
# fast path gives these to graphql-core, so that this refusal is never skipped.
INTROSPECTION_FIELDS = ("__schema", "__type", "_service")
# An update names its record and the version it read; neither is a value it writes.
NOT_WRITES = frozenset({"id", "version"})
PLATFORM_ADMIN = "platform:admin"


def check_writes(
    access: RequestAccess, target: str, data: Mapping[str, Any], prefix: str = "input"
) -> None:
    """`data` is the input as GraphQL coerced it: the fields the caller set (an explicit null
    clears a field, so it is a write too) and those with schema defaults."""
    for field in data:
        if field in NOT_WRITES:
            continue
        if field in access.compiled.type_fields.get(target, ()) and not access.may_write(
            target, field
        ):
            raise Forbidden(f"your role may not write {target}.{field}", field=f"{prefix}.{field}")


def _is_platform_admin(access: RequestAccess | None) -> bool:
    return access is not None and PLATFORM_ADMIN in access.subjects


async def _masked(result: Awaitable[Any], field: str) -> Any:
    return mask_value(field, await result)


def check_root_field(context: Any, parent: str, field: str, arguments: Mapping[str, Any]) -> None:
    """A root field needs `execute`; a mutation's input needs `write` on each field it sets.
    Raises Forbidden, recording the refusal."""
    access: RequestAccess = context.access
    try:
        if not access.may_execute(parent, field):
            raise Forbidden(f"your role may not use {parent}.{field}")
        if parent == "Mutation" and "input" in arguments:
            if context.audit is not None:
                context.audit.input_fields[field] = sorted(arguments["input"])
            targets: Mapping[str, str] = context.write_targets
            if field in targets:
                check_writes(access, targets[field], arguments["input"])
    except Forbidden as refusal:
        if context.audit is not None:
            context.audit.record_denied(f"{parent}.{field}: {refusal.message}")
        raise


def check_record_field(context: Any, parent: str, field: str, root: Any) -> FieldAccess:
    """The caller's access to `parent.field` of the record `root` (FULL or MASKED), recording
    a sensitive read; raises Forbidden, recording the refusal, when the field is withheld."""
    access: RequestAccess = context.access
    through = getattr(root, "visible_through", None)
    decision = access.field_access(parent, through).get(field, FieldAccess.NONE)
    audit = context.audit
    obj = f"{parent}.{field}"
    if decision is FieldAccess.NONE:
        if audit is not None:
            audit.record_denied(f"{obj} read")
        raise Forbidden(f"your role may not read {obj}")
    if obj in context.access_control.sensitive_fields:
        if access.requires_purpose(obj) and not (audit and audit.purpose):
            if audit is not None:
                audit.record_denied(f"{obj} read without a purpose")
            raise Forbidden(
                f"reading {obj} requires a stated purpose: send an X-Access-Purpose header"
            )
        if audit is not None:
            audit.record_read(parent, field, root)
    return decision


def is_checked_record_field(access: RequestAccess | None, parent: str, field: str) -> bool:
    """Whether reading `parent.field` goes through `check_record_field`: fields of records,
    except their `id`, when the request's authorization is enforced."""
    return (
        access is not None
        and access.enforced
        and not field.startswith("__")
        and field != "id"
        and parent in access.compiled.record_types
    )


def refuse_introspection(context: Any, field: str) -> None:
    access: RequestAccess | None = getattr(context, "access", None)
    if (
        field in INTROSPECTION_FIELDS
        and context.settings.production
        and not _is_platform_admin(access)
    ):
        raise Forbidden("introspection (and _service) is for platform administrators in production")


class Authorize(SchemaExtension):
    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        context = info.context
        access: RequestAccess | None = getattr(context, "access", None)
        field = info.field_name
        refuse_introspection(context, field)
        if access is None or not access.enforced or field.startswith("__"):
            return _next(root, info, *args, **kwargs)
        parent = info.parent_type.name
        if parent in ROOT_TYPES:
            check_root_field(context, parent, field, kwargs)
            return _next(root, info, *args, **kwargs)
        if not is_checked_record_field(access, parent, field):
            return _next(root, info, *args, **kwargs)
        decision = check_record_field(context, parent, field, root)
        if decision is FieldAccess.FULL:
            return _next(root, info, *args, **kwargs)
        result = _next(root, info, *args, **kwargs)
        if isawaitable(result):
            return _masked(result, field)
        return mask_value(field, result)
