"""Run-time policy administration: the platform administrator adds or removes policy lines;
they are stored in PostgreSQL and take effect at once in every server process."""

import strawberry

from core.graphql.context import Info
from core.graphql.unit_of_work import unit_of_work


@strawberry.type(description="One policy line in force (策略): who may do what to which field.")
class PolicyLine:
    subject: str = strawberry.field(description="department:role, or * for every caller.")
    object: str = strawberry.field(description="Type.field (wildcards allowed) or scope:name.")
    action: str = strawberry.field(description="read, read_masked, write, execute or row.")
    source: str = strawberry.field(description="The plugin file or the change that set it.")


@strawberry.input(description="A policy line to add or remove.")
class PolicyLineInput:
    subject: str
    object: str
    action: str


@strawberry.type
class PolicyChangePayload:
    version: int = strawberry.field(description="The policy version now in force.")
    line: PolicyLine


@strawberry.type
class PolicyAdminQuery:
    @strawberry.field(description="The policy lines in force, optionally for one subject.")
    def policy_lines(self, info: Info, subject: str | None = None) -> list[PolicyLine]:
        policy = info.context.access_control.policy
        return [
            PolicyLine(
                subject=line.subject, object=line.object, action=line.action, source=line.source
            )
            for line in policy.lines
            if subject is None or line.subject == subject
        ]


async def _change(info: Info, change: str, data: PolicyLineInput) -> PolicyChangePayload:
    control = info.context.access_control
    subject, obj, action = data.subject.strip(), data.object.strip(), data.action.strip()
    async with unit_of_work(info) as session:
        record = await control.record_change(
            session, info.context.caller, change, subject, obj, action
        )
    await control.reload(info.context.sessions)  # this process at once; the others on NOTIFY
    source = f"change #{record.id} by {record.changed_by}"
    return PolicyChangePayload(
        version=control.policy.version,
        line=PolicyLine(subject=subject, object=obj, action=action, source=source),
    )


@strawberry.type
class PolicyAdminMutation:
    @strawberry.mutation(description="Add a policy line (授权). Platform administrators only.")
    async def grant_policy(self, info: Info, input: PolicyLineInput) -> PolicyChangePayload:
        return await _change(info, "add", input)

    @strawberry.mutation(
        description="Remove a policy line (撤销授权). Platform administrators only."
    )
    async def revoke_policy(self, info: Info, input: PolicyLineInput) -> PolicyChangePayload:
        return await _change(info, "remove", input)
