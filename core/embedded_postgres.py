"""An embedded PostgreSQL (the `pgserver` wheel) for machines that have no server of their own."""

import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlparse

DATABASE_NAME = "caregraph"


def start_embedded_postgres(
    data_dir: Path, database: str = DATABASE_NAME, *, keep_running: bool = True
) -> str:
    """Start (or reuse) the embedded server in `data_dir`; return an asyncpg URL for `database`.

    By default the server keeps running after this process exits so that the next start is
    instant; `keep_running=False` stops it with the process (tests). It listens on a Unix
    socket inside `data_dir` only, never on a network port.
    """
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on servers
        warnings.simplefilter("ignore")
        import pgserver  # imported here: only machines without DATABASE_URL need it

    pgdata = (data_dir / "pgdata").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(  # type: ignore[attr-defined]
        pgdata, cleanup_mode=None if keep_running else "stop"
    )
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"
