"""OpenTelemetry traces and metrics, and JSON logs that carry the trace and span ids.

Exporters follow the standard `OTEL_*` variables: OTLP over HTTP when an endpoint is set
(`OTEL_EXPORTER_OTLP_ENDPOINT`, or the per-signal ones), nothing when not. Tests pass their own
in-memory span processor and metric reader.

No child's personal data reaches a span, a metric or a log line: spans carry operation names,
types, department and role, SQL with placeholders (never its parameters), and no URL query
strings or GraphQL variables.
"""

import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.extensions import SchemaExtension

SERVICE_NAME = "caregraph"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


def _otlp_configured(signal: str) -> bool:
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    )


@dataclass
class Telemetry:
    """The process's tracer and meter providers and the instruments CareGraph records."""

    span_processors: Sequence[SpanProcessor] = ()
    metric_readers: Sequence[MetricReader] = ()
    tracer_provider: TracerProvider = field(init=False)
    meter_provider: MeterProvider = field(init=False)

    def __post_init__(self) -> None:
        resource = Resource.create({"service.name": SERVICE_NAME})
        self.tracer_provider = TracerProvider(resource=resource)
        processors = list(self.span_processors)
        if not processors and _otlp_configured("TRACES"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            processors.append(BatchSpanProcessor(OTLPSpanExporter()))
        for processor in processors:
            self.tracer_provider.add_span_processor(processor)
        readers = list(self.metric_readers)
        if not readers and _otlp_configured("METRICS"):
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        self.meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        self.tracer = self.tracer_provider.get_tracer("caregraph")
        meter: Meter = self.meter_provider.get_meter("caregraph")
        self.requests = meter.create_counter(
            "caregraph.graphql.operations", description="GraphQL operations served"
        )
        self.latency = meter.create_histogram(
            "caregraph.graphql.duration", unit="s", description="GraphQL operation duration"
        )
        self.errors = meter.create_counter(
            "caregraph.graphql.errors", description="GraphQL errors, by extensions.code"
        )
        self.subscriptions = meter.create_up_down_counter(
            "caregraph.subscriptions.connections", description="Open WebSocket connections"
        )
        self._meter = meter

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """A span per SQL statement (its text with placeholders), and pool use as a gauge.

        The instrumentation's EngineTracer is used directly: its instrumentor is a process-wide
        singleton that patches `create_engine`, and tests run several apps in one process."""
        connections_usage = self._meter.create_up_down_counter(
            "db.client.connections.usage", unit="connections"
        )
        EngineTracer(  # type: ignore[no-untyped-call]
            self.tracer, engine.sync_engine, connections_usage, False, {}, False
        )

        def pool_in_use(options: CallbackOptions) -> list[Observation]:
            pool = engine.sync_engine.pool
            checked_out = getattr(pool, "checkedout", lambda: 0)()
            return [Observation(checked_out)]

        self._meter.create_observable_gauge(
            "caregraph.db.pool.connections_in_use",
            callbacks=[pool_in_use],
            description="Database connections checked out of the pool",
        )

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


class TracingMiddleware:
    """One server span per HTTP request or WebSocket, continuing an incoming `traceparent`.
    Hand-written rather than the ASGI instrumentation because that records the URL's query
    string, where a GET request's GraphQL variables (a child's data) would be."""

    def __init__(self, app: ASGIApp, telemetry: Telemetry) -> None:
        self.app = app
        self.telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        context = propagate.extract(headers)
        method = scope.get("method", "WEBSOCKET")
        path = scope.get("path", "")
        status: dict[str, int] = {}

        async def send_with_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        with self.telemetry.tracer.start_as_current_span(
            f"{method} {path}",
            context=context,
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path},
        ) as span:
            if scope["type"] == "websocket":
                self.telemetry.subscriptions.add(1)
            try:
                await self.app(scope, receive, send_with_status)
            finally:
                if scope["type"] == "websocket":
                    self.telemetry.subscriptions.add(-1)
                if "code" in status:
                    span.set_attribute("http.response.status_code", status["code"])


class OperationTelemetry(SchemaExtension):
    """A span per GraphQL operation, and the operation's count, duration and error codes."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        telemetry: Telemetry | None = getattr(context, "telemetry", None)
        if telemetry is None:
            yield
            return
        caller = getattr(context, "caller", None)
        started = time.perf_counter()
        with telemetry.tracer.start_as_current_span("graphql.operation") as span:
            yield
            name = self.execution_context.operation_name or "anonymous"
            try:
                kind = self.execution_context.operation_type.value
            except RuntimeError:  # the document did not parse: there is no operation
                kind = "unknown"
            attributes = {"graphql.operation.name": name, "graphql.operation.type": kind}
            span.set_attributes(attributes)
            if caller is not None:
                span.set_attribute("caregraph.department", caller.department or "")
                span.set_attribute("caregraph.roles", list(caller.subjects))
            result = self.execution_context.result
            codes = [
                (error.extensions or {}).get("code", "UNKNOWN")
                for error in (result.errors or [] if result is not None else [])
            ]
            for code in codes:
                telemetry.errors.add(1, {**attributes, "code": code})
            if codes:
                span.set_attribute("graphql.error_codes", codes)
            telemetry.requests.add(1, attributes)
            telemetry.latency.record(time.perf_counter() - started, attributes)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, with the current trace and span ids."""

    def format(self, record: logging.LogRecord) -> str:
        span_context = trace.get_current_span().get_span_context()
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if span_context.is_valid:
            entry["trace_id"] = format(span_context.trace_id, "032x")
            entry["span_id"] = format(span_context.span_id, "016x")
        if record.exc_info:
            entry["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(entry, ensure_ascii=False)


def configure_json_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
