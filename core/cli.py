"""The `caregraph` command: serve, migrate, export the schema, seed, sign demo tokens."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from core.database import create_engine, resolve_database_url
from core.identity import Caller, sign_token
from core.settings import get_settings

app = typer.Typer(help="CareGraph: shared records for the care of left-behind children.")
db_app = typer.Typer(help="Database migrations.")
schema_app = typer.Typer(help="The GraphQL schema (SDL).")
app.add_typer(db_app, name="db")
app.add_typer(schema_app, name="schema")

DEFAULT_SCHEMA_PATH = Path("schema/schema.graphql")


def _database_url() -> str:
    return resolve_database_url(get_settings())


async def _upgrade(url: str) -> None:
    from core.migrate import upgrade

    engine = create_engine(url, pool_size=1)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (the core's, then each plugin's)."""
    asyncio.run(_upgrade(_database_url()))
    typer.echo("database is at the latest revision")


def export_sdl() -> str:
    from core.graphql.schema import core_schema

    return core_schema().as_str() + "\n"


@schema_app.command("export")
def schema_export(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = DEFAULT_SCHEMA_PATH,
    check: Annotated[bool, typer.Option(help="Fail if the file is stale.")] = False,
) -> None:
    """Write the schema's SDL (schema/schema.graphql), or check that it is current."""
    sdl = export_sdl()
    if check:
        if not output.exists() or output.read_text(encoding="utf-8") != sdl:
            typer.echo(f"{output} is stale: run `caregraph schema export`", err=True)
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
    typer.echo(
        f"seeded {summary.children} children, {summary.guardians} guardians, "
        f"{summary.guardianships} guardianships, {summary.cases} cases, "
        f"{summary.case_events} case events"
    )


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
) -> None:
    """Sign a token with the configured secret (for the demo and tests)."""
    caller = Caller(
        user_id=sub, department=dept, role=role, organization_id=org, region_code=region
    )
    typer.echo(sign_token(caller, get_settings().jwt_secret, expires_in_seconds=hours * 3600))


async def _prepare_demo(url: str) -> None:
    from core.migrate import upgrade
    from core.seed.demo import load_demo

    engine = create_engine(url, pool_size=2)
    try:
        await upgrade(engine)
        summary = await load_demo(engine)
    finally:
        await engine.dispose()
    if summary is not None:
        typer.echo(f"demo data loaded: {summary.children} children, {summary.cases} cases")


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Migrate and load the demo data first.")] = False,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the GraphQL server (GraphiQL at /graphql in a browser)."""
    import uvicorn

    from core.app import create_app

    url = _database_url()
    if demo:
        asyncio.run(_prepare_demo(url))
        demo_token = sign_token(
            Caller(user_id="demo", department="civil_affairs", role="admin"),
            get_settings().jwt_secret,
        )
        typer.echo(f"GraphiQL: http://{host}:{port}/graphql#token={demo_token}")
    uvicorn.run(create_app(database_url=url), host=host, port=port, log_level="info")
