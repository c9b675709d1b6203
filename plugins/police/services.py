"""Police's writes: receiving a compulsory report (强制报告)."""

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import ID

from core.plugin_api import (
    Caller,
    DomainEvent,
    ValidationFailed,
    decode_global_id,
    models,
    not_found,
    publish,
    validation,
)
from plugins.police.models import CompulsoryReport, CompulsoryReportStatus, ReportTrigger

REPORT_FILED = "police.report_filed"


async def file_compulsory_report(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID | None,
    description: str | None,
    place_region_code: str,
    place_description: str | None,
    reporter_organization_id: ID,
    trigger: ReportTrigger,
    summary: str,
) -> CompulsoryReport:
    reporter_key = decode_global_id(
        reporter_organization_id, "Organization", field="input.reporterOrganizationId"
    )
    if await session.get(models.Organization, reporter_key) is None:
        raise not_found("Organization", "input.reporterOrganizationId")
    region = await validation.existing_region(
        session, place_region_code.strip(), "input.placeRegionCode"
    )
    child_key = None
    if child_id is not None:
        child_key = decode_global_id(child_id, "Child", field="input.childId")
        # Reporting is a legal duty: a report may name any registered child, in the
        # reporter's scope or not (it then brings the child into the police's scope).
        if await session.get(models.Child, child_key) is None:
            raise not_found("Child", "input.childId")
    child_description = validation.optional_text(description, "input.description", max_length=2000)
    if child_key is None and child_description is None:
        raise ValidationFailed(
            "describe the child (age, sex, clothing…) when the child is not identified",
            field="input.description",
        )
    report = CompulsoryReport(
        child_id=child_key,
        description=child_description,
        place_region_code=region,
        place_description=validation.optional_text(
            place_description, "input.placeDescription", max_length=300
        ),
        reporter_organization_id=reporter_key,
        trigger=trigger,
        summary=validation.required_text(summary, "input.summary", max_length=4000),
        status=CompulsoryReportStatus.RECEIVED,
    )
    session.add(report)
    await session.flush()
    await session.refresh(report)
    data = {
        "child_id": child_key,
        "trigger": trigger.value,
        "place_region_code": region,
        "reporter_organization_id": reporter_key,
    }
    await publish(session, DomainEvent(REPORT_FILED, report.id, caller.user_id, data))
    return report
