"""Traces, metrics and logs: what a request emits, and that no child's personal data is in any
of it. In-process, with in-memory exporters."""

import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core.app import create_app
from core.observability import JsonLogFormatter, Telemetry
from core.resident_id import Sex
from tests.api import REGISTER_CHILD, a_village, child_input
from tests.conftest import GraphQLClient, new_id_number, settings_for, token_for

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@dataclass
class Observed:
    client: GraphQLClient
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader
    log: io.StringIO


@pytest.fixture
async def observed(database_url: str) -> AsyncIterator[Observed]:
    spans = InMemorySpanExporter()
    metrics = InMemoryMetricReader()
    telemetry = Telemetry(span_processors=[SimpleSpanProcessor(spans)], metric_readers=[metrics])
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    app = create_app(
        settings=settings_for(database_url), database_url=database_url, telemetry=telemetry
    )
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
                yield Observed(GraphQLClient(http, token=token_for()), spans, metrics, log)
    finally:
        root.removeHandler(handler)
        telemetry.shutdown()


def all_attribute_text(spans: InMemorySpanExporter) -> str:
    parts: list[str] = []
    for span in spans.get_finished_spans():
        parts.append(span.name)
        for value in (span.attributes or {}).values():
            parts.append(str(value))
        for event in span.events:
            parts.extend(str(v) for v in (event.attributes or {}).values())
    return "\n".join(parts)


def metric_points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    points: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else []:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                points.setdefault(metric.name, []).extend(metric.data.data_points)
    return points


async def test_a_request_is_traced_from_its_traceparent_down_to_sql(observed: Observed) -> None:
    response = await observed.client.post(
        "query Regions { regions(first: 2) { totalCount } }", traceparent=TRACEPARENT
    )
    assert response.status_code == 200
    spans = observed.spans.get_finished_spans()
    http_span = next(s for s in spans if s.name == "POST /graphql")
    operation = next(s for s in spans if s.name == "graphql.operation")
    sql = [s for s in spans if (s.attributes or {}).get("db.system") == "postgresql"]
    assert format(http_span.context.trace_id, "032x") == TRACE_ID, "continues the caller's trace"
    assert operation.parent is not None and operation.parent.span_id == http_span.context.span_id
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "Regions"
    assert operation.attributes["graphql.operation.type"] == "query"
    assert operation.attributes["caregraph.department"] == "civil_affairs"
    assert operation.attributes["caregraph.fast_path"] is True, "answered on the fast path"
    in_request = [s for s in sql if s.context.trace_id == http_span.context.trace_id]
    assert in_request, "the request's SQL statements are spans in its trace"
    points = metric_points(observed.metrics)
    assert "caregraph.graphql.operations" in points
    assert "caregraph.graphql.duration" in points


async def test_errors_are_counted_by_code(observed: Observed) -> None:
    await observed.client.execute('query Bad { child(id: "nope") { name } }')
    operation = next(
        s for s in observed.spans.get_finished_spans() if s.name == "graphql.operation"
    )
    assert operation.attributes is not None
    assert operation.attributes["caregraph.fast_path"] is False, "an error: graphql-core answers"
    points = metric_points(observed.metrics)
    codes = {dict(p.attributes).get("code") for p in points.get("caregraph.graphql.errors", [])}
    assert "VALIDATION_FAILED" in codes


async def test_no_personal_data_in_spans_metrics_or_logs(observed: Observed) -> None:
    village = await a_village(observed.client)
    id_number = new_id_number(date(2014, 7, 8), Sex.FEMALE)
    name, address = "欧阳隐私", "幸福村七组99号"
    values = child_input(village, name=name, idNumber=id_number, address=address)
    await observed.client.data(REGISTER_CHILD, {"input": values})
    # the same data in a GET query string, in variables and inline in the document
    await observed.client.http.get(
        "/graphql",
        params={
            "query": f'{{ children(first: 5, filter: {{search: "{id_number}"}}) {{ totalCount }} }}'
        },
        headers={"authorization": f"Bearer {observed.client.token}"},
    )
    by_name = "query($s: String) { children(first: 5, filter: {search: $s}) { totalCount } }"
    await observed.client.execute(by_name, {"s": name})
    logging.getLogger("caregraph.test").info("after the scenario")
    telemetry_text = all_attribute_text(observed.spans)
    metrics_text = str(metric_points(observed.metrics))
    log_text = observed.log.getvalue()
    for secret in (name, id_number, address, id_number[:14]):
        assert secret not in telemetry_text, f"{secret!r} leaked into a span"
        assert secret not in metrics_text, f"{secret!r} leaked into a metric"
        assert secret not in log_text, f"{secret!r} leaked into a log line"
    assert '"trace_id"' in log_text or log_text == "" or '"message"' in log_text
