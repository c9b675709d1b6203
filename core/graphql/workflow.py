"""The workflow's GraphQL surface in the core: alerts and overdue items addressed to the
caller, closing a case (request, then the lead department's decision), and the subscriptions
`caseAssigned` and `alertRaised`. Department steps (accepting a report, assessing, planning,
intervening) are the department plugins' mutations, built on `core.workflow.steps`."""

import uuid
from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from typing import Annotated, Any, Self

import strawberry
from sqlalchemy import Select, select
from strawberry import relay

from core import models
from core.errors import Forbidden
from core.graphql.context import Info
from core.graphql.global_ids import decode_global_id, encode_global_id, not_found
from core.graphql.pagination import (
    After,
    Before,
    CountedConnection,
    First,
    Last,
    PageArguments,
    SortKey,
    fetch_page,
)
from core.graphql.subscriptions import ReplaySince, deliveries
from core.graphql.types import Case, CaseEvent, Child, Organization, Region, or_none
from core.graphql.unit_of_work import unit_of_work
from core.services import validation
from core.workflow import deadlines, steps
from core.workflow.alerts import ALERT_RAISED_TOPIC


def _alerts_for(info: Info) -> Select[models.Alert]:
    alert = models.Alert
    return select(alert).where(
        deadlines.addressed_to(
            info.context.caller, alert.organization_id, alert.department, alert.region_code
        )
    )


def _due_items_for(info: Info) -> Select[models.DueItem]:
    item = models.DueItem
    return select(item).where(
        deadlines.addressed_to(
            info.context.caller, item.responsible_organization_id, item.department, item.region_code
        )
    )


async def _load_by_ids(
    info: Info, statement: Select[Any], model: Any, ids: Iterable[str]
) -> dict[uuid.UUID | None, Any]:
    keys = [key for key in map(_key, ids) if key is not None]
    async with info.context.read_session() as session:
        rows = await session.scalars(statement.where(model.id.in_(keys)))
        return {row.id: row for row in rows}


@strawberry.type
class _AddressedRecord:
    """Child, case and organisation links shared by alerts and due items."""

    child_id: strawberry.Private[uuid.UUID | None]
    case_id: strawberry.Private[uuid.UUID | None]
    organization_id: strawberry.Private[uuid.UUID | None]
    region_code: strawberry.Private[str | None]

    @strawberry.field(description="The child concerned, if you may see them (儿童).")
    async def child(self, info: Info) -> Child | None:
        if self.child_id is None:
            return None
        return or_none(Child.from_row, await info.context.loaders.child.load(self.child_id))

    @strawberry.field(description="The case concerned, if you may see it (个案).")
    async def case(self, info: Info) -> Case | None:
        if self.case_id is None:
            return None
        return or_none(Case.from_row, await info.context.loaders.case.load(self.case_id))

    @strawberry.field(description="The organisation responsible (责任单位).")
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.organization_id)
        return or_none(Organization.from_row, row)

    @strawberry.field(description="With `department`: the region addressed (辖区).")
    async def region(self, info: Info) -> Region | None:
        if self.region_code is None:
            return None
        return or_none(Region.from_row, await info.context.loaders.region.load(self.region_code))


@strawberry.type(
    description="An alert (预警) to your organisation, or your department in your region: a "
    "deadline missed, or a rule that found a child at risk with no report filed."
)
class Alert(_AddressedRecord, relay.Node):
    id: relay.NodeID[str]
    rule: str = strawberry.field(
        description="What raised it: `overdue:<deadline kind>` or a rule such as "
        "`core.no_guardian_living_with_child`."
    )
    message: str
    department: str | None = strawberry.field(description="The department addressed (部门).")
    raised_at: datetime
    acknowledged_at: datetime | None = strawberry.field(description="When someone took it up.")
    acknowledged_by: str | None

    @classmethod
    def from_row(cls, row: models.Alert) -> Self:
        return cls(
            id=str(row.id),
            rule=row.rule,
            message=row.message,
            department=row.department,
            raised_at=row.raised_at,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
            child_id=row.child_id,
            case_id=row.case_id,
            organization_id=row.organization_id,
            region_code=row.region_code,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        found = await _load_by_ids(info, _alerts_for(info), models.Alert, node_ids)
        return [or_none(cls.from_row, found.get(_key(node_id))) for node_id in node_ids]


@strawberry.type(
    description="Something an organisation must do by a time (时限): accept a report, assess "
    "a case, deliver a service."
)
class DueItem(_AddressedRecord, relay.Node):
    id: relay.NodeID[str]
    kind: str = strawberry.field(description="E.g. `police.report_acceptance`.")
    description: str
    record_id: strawberry.ID = strawberry.field(
        description="The global ID of the record the duty is about."
    )
    department: str | None
    due_at: datetime = strawberry.field(description="When it is due (截止时间).")
    completed_at: datetime | None

    @classmethod
    def from_row(cls, row: models.DueItem) -> Self:
        return cls(
            id=str(row.id),
            kind=row.kind,
            description=row.description,
            record_id=strawberry.ID(encode_global_id(row.record_type, row.record_id)),
            department=row.department,
            due_at=row.due_at,
            completed_at=row.completed_at,
            child_id=row.child_id,
            case_id=row.case_id,
            organization_id=row.responsible_organization_id,
            region_code=row.region_code,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        found = await _load_by_ids(info, _due_items_for(info), models.DueItem, node_ids)
        return [or_none(cls.from_row, found.get(_key(node_id))) for node_id in node_ids]


def _key(node_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(node_id)
    except ValueError:
        return None


@strawberry.type(name="AlertConnection", description="A page of alerts (预警列表).")
class AlertConnection(CountedConnection[Alert]):
    pass


@strawberry.type(name="DueItemConnection", description="A page of due items (待办时限).")
class DueItemConnection(CountedConnection[DueItem]):
    pass


@strawberry.type(description="A case referred or assigned to your organisation (转介/指派).")
class CaseAssignmentNotice:
    case: Case
    organization: Organization = strawberry.field(description="Your organisation, now holding it.")
    reason: str = strawberry.field(description="`referred for assessment`, `assigned`, …")


@strawberry.type
class WorkflowQuery:
    @strawberry.field(
        description="Alerts (预警) addressed to your organisation or your department in your "
        "region, newest first."
    )
    async def alerts(
        self,
        info: Info,
        include_acknowledged: Annotated[
            bool, strawberry.argument(description="Also those already taken up.")
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> AlertConnection:
        statement = _alerts_for(info)
        if not include_acknowledged:
            statement = statement.where(models.Alert.acknowledged_at.is_(None))
        sort = [SortKey(models.Alert.raised_at, True), SortKey(models.Alert.id, True)]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            relay.Edge(node=Alert.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return AlertConnection(edges=edges, page_info=page_info, count_statement=count)

    @strawberry.field(
        description="Duties past their deadline and not done (逾期事项), addressed to your "
        "organisation or your department in your region, most overdue first."
    )
    async def overdue_items(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> DueItemConnection:
        statement = _due_items_for(info).where(deadlines.overdue())
        sort = [SortKey(models.DueItem.due_at, False), SortKey(models.DueItem.id, False)]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            relay.Edge(node=DueItem.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return DueItemConnection(edges=edges, page_info=page_info, count_statement=count)


@strawberry.input(description="Ask the lead department to close a case (申请结案).")
class RequestCaseClosureInput:
    case_id: strawberry.ID
    reason: str = strawberry.field(description="Why the child is now safe (结案理由).")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The organisation asking; default: yours."
    )


@strawberry.input(description="Approve or reject a requested closure (结案审批).")
class DecideCaseClosureInput:
    case_id: strawberry.ID
    approve: bool
    note: str
    organization_id: strawberry.ID | None = None


@strawberry.input(description="Take up an alert (处理预警).")
class AcknowledgeAlertInput:
    alert_id: strawberry.ID


@strawberry.type
class CaseStepPayload:
    case: Case
    event: CaseEvent = strawberry.field(description="The timeline entry the step wrote.")


@strawberry.type
class AlertPayload:
    alert: Alert


def _organization(given: str | None) -> uuid.UUID | None:
    if given is None:
        return None
    return decode_global_id(given, "Organization", field="input.organizationId")


@strawberry.type
class WorkflowMutation:
    @strawberry.mutation(
        description="Ask to close an assessed case (申请结案); the lead department decides."
    )
    async def request_case_closure(
        self, info: Info, input: RequestCaseClosureInput
    ) -> CaseStepPayload:
        caller = info.context.caller
        async with unit_of_work(info) as session:
            case = await steps.case_for_step(
                session, decode_global_id(input.case_id, "Case", field="input.caseId")
            )
            reason = validation.required_text(input.reason, "input.reason", max_length=4000)
            organization = await steps.acting_organization(
                session, caller, _organization(input.organization_id), "input.organizationId"
            )
            event = await steps.take_step(
                session,
                caller,
                case,
                steps.REQUEST_CLOSURE,
                note=reason,
                organization_id=organization.id,
            )
        return CaseStepPayload(case=Case.from_row(case), event=CaseEvent.from_row(event))

    @strawberry.mutation(
        description="The lead department approves closure (结案) or sends the case back to "
        "assistance. Not by the one who asked for it."
    )
    async def decide_case_closure(
        self, info: Info, input: DecideCaseClosureInput
    ) -> CaseStepPayload:
        caller = info.context.caller
        async with unit_of_work(info) as session:
            case = await steps.case_for_step(
                session, decode_global_id(input.case_id, "Case", field="input.caseId")
            )
            steps.check_step(case, steps.APPROVE_CLOSURE)
            requester = await session.scalar(
                select(models.CaseEvent.actor_user_id)
                .where(
                    models.CaseEvent.case_id == case.id,
                    models.CaseEvent.kind == steps.REQUEST_CLOSURE.event_kind,
                )
                .order_by(models.CaseEvent.occurred_at.desc())
                .limit(1)
            )
            if requester == caller.user_id:
                raise Forbidden(
                    "closure is decided by someone other than who asked for it",
                    field="input.caseId",
                )
            note = validation.required_text(input.note, "input.note", max_length=4000)
            organization = await steps.acting_organization(
                session, caller, _organization(input.organization_id), "input.organizationId"
            )
            step = steps.APPROVE_CLOSURE if input.approve else steps.REJECT_CLOSURE
            event = await steps.take_step(
                session, caller, case, step, note=note, organization_id=organization.id
            )
        return CaseStepPayload(case=Case.from_row(case), event=CaseEvent.from_row(event))

    @strawberry.mutation(description="Take up an alert addressed to you (处理预警).")
    async def acknowledge_alert(self, info: Info, input: AcknowledgeAlertInput) -> AlertPayload:
        key = decode_global_id(input.alert_id, "Alert", field="input.alertId")
        async with unit_of_work(info) as session:
            alert = await session.scalar(
                _alerts_for(info).where(models.Alert.id == key).with_for_update()
            )
            if alert is None:
                raise not_found("Alert", "input.alertId")
            if alert.acknowledged_at is None:
                alert.acknowledged_at = datetime.now().astimezone()
                alert.acknowledged_by = info.context.caller.user_id
                await session.flush()
        return AlertPayload(alert=Alert.from_row(alert))


@strawberry.type
class WorkflowSubscription:
    @strawberry.subscription(
        description="Cases referred or assigned to your organisation, as it happens "
        "(转介/指派通知)."
    )
    async def case_assigned(
        self, info: Info, since: ReplaySince = None
    ) -> AsyncGenerator[CaseAssignmentNotice, None]:
        async for delivery in deliveries(info, steps.CASE_ASSIGNED_TOPIC, since=since):
            organization_id = info.context.caller.organization_id
            if organization_id is None or delivery.payload["organization_id"] != organization_id:
                continue
            loaders = info.context.loaders
            case = await loaders.case.load(uuid.UUID(delivery.payload["case_id"]))
            organization = await loaders.organization.load(uuid.UUID(organization_id))
            if case is None or organization is None:  # outside what the caller may see
                continue
            yield CaseAssignmentNotice(
                case=Case.from_row(case),
                organization=Organization.from_row(organization),
                reason=delivery.payload.get("reason", "assigned"),
            )

    @strawberry.subscription(
        description="Alerts addressed to your organisation or your department in your "
        "region, as they are raised (预警推送)."
    )
    async def alert_raised(
        self, info: Info, since: ReplaySince = None
    ) -> AsyncGenerator[Alert, None]:
        async for delivery in deliveries(info, ALERT_RAISED_TOPIC, since=since):
            key = uuid.UUID(delivery.payload["alert_id"])
            async with info.context.read_session() as session:
                row = await session.scalar(_alerts_for(info).where(models.Alert.id == key))
            if row is not None:
                yield Alert.from_row(row)
