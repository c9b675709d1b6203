"""The `caregraph` command: serve, migrate, export the schema, seed, sign demo tokens."""

import asyncio
import csv
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.progress import Progress

from core.authentication import sign_token
from core.builtin import CORE_PLUGIN
from core.database import create_engine, create_session_factory, resolve_database_url
from core.identity import Caller
from core.listener import asyncpg_dsn
from core.plugin_api import Plugin
from core.plugin_registry import enabled_plugins
from core.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.authorization.policy import PolicySet

T = TypeVar("T")

app = typer.Typer(help="CareGraph: shared records for the care of left-behind children.")
db_app = typer.Typer(help="Database migrations.")
schema_app = typer.Typer(help="The GraphQL schema (SDL).")
plugins_app = typer.Typer(help="The installed department plugins.")
plugin_app = typer.Typer(help="Create a department plugin.")
app.add_typer(db_app, name="db")
app.add_typer(schema_app, name="schema")
app.add_typer(plugins_app, name="plugins")
app.add_typer(plugin_app, name="plugin")

DEFAULT_SCHEMA_PATH = Path("schema/schema.graphql")


def _database_url() -> str:
    return resolve_database_url(get_settings())


def _selected_plugins(only: str | None) -> list[Plugin]:
    plugins = enabled_plugins()
    if only is None:
        return plugins
    chosen = [plugin for plugin in plugins if plugin.name == only]
    if not chosen:
        names = ", ".join(plugin.name for plugin in plugins)
        typer.echo(f"no enabled plugin is named {only!r} (enabled: {names})", err=True)
        raise typer.Exit(2)
    return chosen


async def _upgrade(url: str, plugins: list[Plugin]) -> None:
    from core.migrate import upgrade

    engine = create_engine(url, pool_size=1)
    try:
        await upgrade(engine, plugins)
    finally:
        await engine.dispose()


@db_app.command("upgrade")
def db_upgrade(
    plugin: Annotated[
        str | None, typer.Option(help="Only this plugin ('core' for the core).")
    ] = None,
) -> None:
    """Apply every pending migration: the core's, then each enabled plugin's in dependency order."""
    plugins = _selected_plugins(plugin)
    asyncio.run(_upgrade(_database_url(), plugins))
    typer.echo(f"migrated: {', '.join(p.name for p in plugins)}")


async def _revision(url: str, plugin: Plugin, message: str) -> None:
    from core.migrate import autogenerate_revision, upgrade

    engine = create_engine(url, pool_size=1)
    try:
        await upgrade(engine, enabled_plugins())
        await autogenerate_revision(engine, plugin, message)
    finally:
        await engine.dispose()


@db_app.command("revision")
def db_revision(
    plugin: Annotated[str, typer.Option(help="The plugin whose tables changed ('core' too).")],
    message: Annotated[str, typer.Option("-m", "--message", help="What the revision does.")],
) -> None:
    """Autogenerate a migration for the difference between a plugin's tables and the database."""
    [chosen] = _selected_plugins(plugin)
    asyncio.run(_revision(_database_url(), chosen, message))


def export_sdl(setting: str | None = None, *, subgraph: bool = False) -> str:
    """The SDL of the core and the enabled plugins (CAREGRAPH_PLUGINS, or `setting`); with
    `subgraph`, the Apollo Federation subgraph SDL a gateway composes (`_service { sdl }`)."""
    from core.graphql.federation import served_sdl
    from core.graphql.schema import schema_for

    if subgraph:
        return served_sdl(schema_for(setting, federation=True)) + "\n"
    return schema_for(setting).as_str() + "\n"


@schema_app.command("export")
def schema_export(
    output: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the SDL (default: schema/schema.graphql, or "
            "schema/subgraph.graphql with --subgraph)."
        ),
    ] = None,
    check: Annotated[bool, typer.Option(help="Fail if the file is stale.")] = False,
    subgraph: Annotated[
        bool,
        typer.Option(
            help="The Apollo Federation 2 subgraph SDL (what `_service { sdl }` answers with "
            "CAREGRAPH_FEDERATION on) instead of the API's (docs/federation.md)."
        ),
    ] = False,
) -> None:
    """Write the schema's SDL (schema/schema.graphql), or the federation subgraph's
    (schema/subgraph.graphql, with --subgraph), or check that it is current."""
    if output is None:
        output = Path("schema/subgraph.graphql") if subgraph else DEFAULT_SCHEMA_PATH
    sdl = export_sdl(subgraph=subgraph)
    if check:
        if not output.exists() or output.read_text(encoding="utf-8") != sdl:
            command = "caregraph schema export" + (" --subgraph" if subgraph else "")
            typer.echo(f"{output} is stale: run `{command}`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{output} is current")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(sdl, encoding="utf-8")
    typer.echo(f"wrote {output}")


async def _seed(url: str, children: int, seed: int) -> None:
    from core.migrate import upgrade
    from core.seed.synthetic import seed_children

    engine = create_engine(url, pool_size=2)
    try:
        await upgrade(engine)
        with Progress() as progress:
            task = progress.add_task("seeding children", total=children)
            summary = await seed_children(
                engine,
                children,
                seed=seed,
                progress=lambda done: progress.update(task, completed=done),
            )
    finally:
        await engine.dispose()
    typer.echo(f"seeded {summary}")


@app.command()
def seed(
    children: Annotated[int, typer.Option(min=1, help="How many children to generate.")] = 1000,
    random_seed: Annotated[int, typer.Option("--seed", help="Same seed, same data.")] = 2018,
) -> None:
    """Generate a deterministic synthetic data set (for benchmarks and trials)."""
    asyncio.run(_seed(_database_url(), children, random_seed))


@app.command()
def token(
    dept: Annotated[str, typer.Option(help="Department code, e.g. police.")],
    role: Annotated[str, typer.Option(help="Role within the department, e.g. officer.")],
    sub: Annotated[str, typer.Option(help="User id.")] = "demo-user",
    org: Annotated[str | None, typer.Option(help="Organisation id.")] = None,
    region: Annotated[str | None, typer.Option(help="Region code the user works in.")] = None,
    hours: Annotated[int, typer.Option(min=1, help="Validity in hours.")] = 8,
    also: Annotated[
        list[str] | None, typer.Option(help="A further department:role the user holds.")
    ] = None,
) -> None:
    """Sign a token with the configured secret (for the demo and tests)."""
    caller = Caller(
        user_id=sub,
        department=dept,
        role=role,
        organization_id=org,
        region_code=region,
        extra_roles=tuple(also or ()),
    )
    typer.echo(sign_token(caller, get_settings().jwt_secret, expires_in_seconds=hours * 3600))


async def _prepare_demo(url: str, plugins: list[Plugin]) -> None:
    from core.migrate import upgrade

    engine = create_engine(url, pool_size=2)
    try:
        await upgrade(engine, plugins)
        for plugin in plugins:  # the core first: the departments' demo data builds on it
            if plugin.demo_data is not None:
                loaded = await plugin.demo_data(engine)
                typer.echo(f"demo data of {plugin.name}: {loaded or 'already loaded'}")
    finally:
        await engine.dispose()


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Migrate and load the demo data first.")] = False,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes sharing the port; they share everything through "
            "PostgreSQL (docs/deployment.md).",
        ),
    ] = 1,
) -> None:
    """Run the GraphQL server (GraphiQL at /graphql in a browser)."""
    import uvicorn

    from core.app import create_app, create_app_from_environment

    url = _database_url()
    plugins = enabled_plugins()
    if demo:
        from core.seed.demo_users import demo_users

        asyncio.run(_prepare_demo(url, plugins))
        typer.echo("\nDemo users: open a link to use GraphiQL as that user (tokens last 8 hours)")
        for demo_user in demo_users():
            caller = demo_user.caller
            token = sign_token(caller, get_settings().jwt_secret)
            typer.echo(f"\n  {caller.department}:{caller.role} ({demo_user.description})")
            typer.echo(f"  http://{host}:{port}/graphql#token={token}")
    from core.observability import configure_json_logging

    configure_json_logging()
    # uvicorn's access log would print GET query strings (GraphQL variables); the tracing
    # middleware's spans stand in for it.
    options: dict[str, Any] = {"host": host, "port": port, "log_config": None, "access_log": False}
    if workers == 1:
        uvicorn.run(create_app(plugins=plugins, database_url=url), **options)
        return
    # Each worker is a fresh interpreter that builds the app from the environment: hand it
    # the database this process resolved (the embedded server it may have started).
    os.environ["DATABASE_URL"] = asyncpg_dsn(url)
    uvicorn.run(
        f"{create_app_from_environment.__module__}:{create_app_from_environment.__name__}",
        factory=True,
        workers=workers,
        **options,
    )


def _policy_lines(plugin: Plugin) -> int:
    if plugin.policy is None or not plugin.policy.exists():
        return 0
    lines = plugin.policy.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if line.strip() and not line.lstrip().startswith("#"))


@plugins_app.command("list")
def plugins_list() -> None:
    """Every installed plugin: version, department, tables, fields, policy lines, enabled."""
    from core.graphql.schema import contributed_fields
    from core.plugin_registry import available_plugins, enabled_names

    enabled = set(enabled_names())
    for plugin in [CORE_PLUGIN, *available_plugins().values()]:
        status = "enabled" if plugin.name == "core" or plugin.name in enabled else "disabled"
        typer.echo(f"{plugin.name} {plugin.version} [{status}]")
        typer.echo(f"  department:   {plugin.department}")
        if plugin.requires:
            typer.echo(f"  requires:     {', '.join(plugin.requires)}")
        typer.echo(f"  tables:       {', '.join(plugin.table_names) or '-'}")
        typer.echo(f"  fields:       {', '.join(contributed_fields(plugin)) or '-'}")
        typer.echo(f"  policy lines: {_policy_lines(plugin)}")
        typer.echo(f"  roles:        {', '.join(plugin.roles) or '-'}")


@plugin_app.command("new")
def plugin_new(
    name: Annotated[str, typer.Argument(help="Plugin name, e.g. youth_league.")],
    department: Annotated[str, typer.Option(help="Department code, e.g. youth_league.")],
    path: Annotated[
        Path | None,
        typer.Option(help="Create an installable distribution here instead of plugins/NAME."),
    ] = None,
) -> None:
    """Scaffold a working plugin: table, migration, type, query, mutation, policy, demo, test."""
    from core.scaffold import ScaffoldError, plan, write

    try:
        written = write(plan(name, department, path, Path.cwd()))
    except ScaffoldError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    for file in written:
        typer.echo(f"created {file}")
    if path is None:
        typer.echo(f"enable it: CAREGRAPH_PLUGINS=...,{name} caregraph db upgrade")
    else:
        typer.echo(f"install it: pip install -e {path}; enable it: CAREGRAPH_PLUGINS=...,{name}")


def main() -> None:
    """Entry point: configuration mistakes end with their message, not a traceback."""
    from core.graphql.schema import SchemaConflict
    from core.plugin_registry import PluginError

    try:
        app()
    except (PluginError, SchemaConflict) as error:
        typer.echo(f"caregraph: {error}", err=True)
        raise SystemExit(2) from None


policy_app = typer.Typer(help="Inspect the authorization policy in force.")
apikey_app = typer.Typer(help="API keys for system-to-system integration.")
app.add_typer(policy_app, name="policy")
app.add_typer(apikey_app, name="apikey")


async def _policy_in_force() -> tuple["PolicySet", dict[str, list[str]], list[str]]:
    from core.authorization.control import AccessControl
    from core.graphql.schema import build_schema

    plugins = enabled_plugins()
    control = AccessControl(plugins, build_schema(plugins))
    engine = create_engine(_database_url(), pool_size=1)
    try:
        await control.reload(create_session_factory(engine))
    finally:
        await engine.dispose()
    return control.policy, control.type_fields, sorted(control.scope_conditions)


def _matrix_cell(policy: "PolicySet", subject: str, obj: str) -> str:
    if obj.startswith("scope:"):
        return "row" if policy.allows(subject, obj, "row") else ""
    marks = []
    if policy.allows(subject, obj, "read"):
        marks.append("R")
    elif policy.allows(subject, obj, "read_masked"):
        marks.append("M")
    if policy.allows(subject, obj, "write"):
        marks.append("W")
    if policy.allows(subject, obj, "execute"):
        marks.append("X")
    return "".join(marks)


@policy_app.command("matrix")
def policy_matrix(
    output_format: Annotated[str, typer.Option("--format", help="md or csv.")] = "md",
) -> None:
    """Every subject by every Type.field: R read, M masked, W write, X execute; row scopes."""
    if output_format not in ("md", "csv"):
        typer.echo("--format is md or csv", err=True)
        raise typer.Exit(2)
    policy, type_fields, scopes = asyncio.run(_policy_in_force())
    subjects = sorted(policy.subjects)
    objects = [f"scope:{name}" for name in scopes] + [
        f"{type_name}.{field}"
        for type_name in sorted(type_fields)
        for field in type_fields[type_name]
        if not type_name.endswith(("Connection", "Edge", "Payload")) and type_name != "PageInfo"
    ]
    rows = [[obj, *(_matrix_cell(policy, s, obj) for s in subjects)] for obj in objects]
    if output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["object", *subjects])
        writer.writerows(rows)
        return
    typer.echo("| object | " + " | ".join(subjects) + " |")
    typer.echo("|---" * (len(subjects) + 1) + "|")
    for row in rows:
        typer.echo("| " + " | ".join(row) + " |")


@policy_app.command("explain")
def policy_explain(
    subject: Annotated[str, typer.Option(help="department:role")],
    object_: Annotated[str, typer.Option("--object", help="Type.field or scope:name")],
    action: Annotated[str, typer.Option(help="read, read_masked, write, execute or row")],
) -> None:
    """The decision for one subject, object and action, and the policy line behind it."""
    policy, _, _ = asyncio.run(_policy_in_force())
    allowed, line = policy.explain(subject, object_, action)
    if not allowed:
        typer.echo(f"deny: no policy line allows {subject} to {action} {object_} (default deny)")
        raise typer.Exit(1)
    where = f" [{line.source}]" if line else ""
    typer.echo(f"allow: {line.as_csv() if line else '?'}{where}")


async def _with_session(work: "Callable[[AsyncSession], Awaitable[T]]") -> T:
    engine = create_engine(_database_url(), pool_size=1)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _operator() -> Caller:
    """The administrator at this terminal, as the audit trail names them."""
    import getpass

    return Caller(user_id=f"cli:{getpass.getuser()}", department="platform", role="admin")


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="A unique name: the integrating system.")],
    dept: Annotated[str, typer.Option(help="Department code.")],
    role: Annotated[str, typer.Option(help="Role within the department.")],
    org: Annotated[str | None, typer.Option(help="Organisation id (UUID).")] = None,
    region: Annotated[str | None, typer.Option(help="Region code.")] = None,
) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    import uuid

    from core.api_keys import create_key

    organization = uuid.UUID(org) if org else None
    policy, _, _ = asyncio.run(_policy_in_force())
    if f"{dept}:{role}" not in policy.subjects:
        typer.echo(f"unknown role {dept}:{role}: no policy line names it", err=True)
        raise typer.Exit(2)
    record, key = asyncio.run(
        _with_session(
            lambda session: create_key(
                session,
                name=name,
                department=dept,
                role=role,
                organization_id=organization,
                region_code=region,
                operator=_operator(),
            )
        )
    )
    typer.echo(f"created API key {record.name!r} for {dept}:{role}; send it as X-API-Key:")
    typer.echo(key)


@apikey_app.command("revoke")
def apikey_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key at once."""
    from core.api_keys import revoke_key

    if not asyncio.run(_with_session(lambda session: revoke_key(session, name, _operator()))):
        typer.echo(f"no active API key named {name!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {name!r}")


@apikey_app.command("list")
def apikey_list() -> None:
    """Every key: name, prefix, department:role, organisation, region, revoked or not."""
    from core.api_keys import list_keys

    for record in asyncio.run(_with_session(list_keys)):
        state = f"revoked {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "active"
        typer.echo(
            f"{record.name}\t{record.key_prefix}…\t{record.department}:{record.role}\t"
            f"org={record.organization_id or '-'}\tregion={record.region_code or '-'}\t{state}"
        )


audit_app = typer.Typer(help="The audit trail.")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain; name the first entry that does not match."""
    from core.audit.trail import verify

    result = asyncio.run(_with_session(verify))
    if result.first_break is None:
        typer.echo(f"audit trail intact: {result.entries} entries, every hash and link matches")
        return
    broken = result.first_break
    typer.echo(
        f"audit trail BROKEN at entry {broken.entry_id}: {broken.reason} "
        f"({len(result.breaks)} entries do not match, of {result.entries})",
        err=True,
    )
    raise typer.Exit(1)


alerts_app = typer.Typer(help="Deadlines and alerts of the protection workflow.")
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("sweep")
def alerts_sweep() -> None:
    """Run one sweep now: alert about overdue items and run every enabled plugin's alert rules
    (servers do this every CAREGRAPH_SWEEP_INTERVAL; set it to 0 to leave it to cron)."""
    from core.workflow.sweeper import sweep

    async def run() -> None:
        engine = create_engine(_database_url(), pool_size=1)
        try:
            rules = {
                name: rule
                for plugin in enabled_plugins()
                for name, rule in plugin.alert_rules.items()
            }
            result = await sweep(create_session_factory(engine), rules, get_settings())
        finally:
            await engine.dispose()
        if not result.swept:
            typer.echo("another process is sweeping; nothing done")
            return
        typer.echo(f"overdue alerts raised: {result.overdue_alerts}")
        for name, count in sorted(result.rule_alerts.items()):
            typer.echo(f"{name}: {count} alerts raised")
        if result.failed_rules:
            typer.echo(f"rules that failed: {', '.join(result.failed_rules)}", err=True)
            raise typer.Exit(1)

    asyncio.run(run())


documents_app = typer.Typer(help="Trusted documents: the operations front-ends registered.")
app.add_typer(documents_app, name="documents")


@documents_app.command("register")
def documents_register(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="A .graphql file (each operation with its fragments is one document), a JSON "
            "map of SHA-256 to document, or an Apollo persisted-query manifest.",
            exists=True,
            dir_okay=False,
        ),
    ],
    client: Annotated[
        str | None, typer.Option(help="The front-end these come from, e.g. education-portal.")
    ] = None,
    by: Annotated[str, typer.Option(help="Who registers them (kept with each).")] = "cli",
) -> None:
    """Register documents so that callers required to send registered documents only (in
    production, everyone the policy does not grant `Document.unregistered, execute`) may run
    them, by text or by `documentId: "sha256:<hash>"`."""
    from core.errors import ValidationFailed
    from core.trusted_documents import read_documents, register

    try:
        documents = [d for path in files for d in read_documents(path)]
    except ValidationFailed as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(2) from None

    async def run() -> int:
        engine = create_engine(_database_url(), pool_size=1)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                return await register(session, documents, client=client, by=by)
        finally:
            await engine.dispose()

    new = asyncio.run(run())
    for document in documents:
        typer.echo(f"sha256:{document.hash}  {document.operation_name or '(unnamed)'}")
    typer.echo(f"registered {new} new of {len(documents)} documents")
