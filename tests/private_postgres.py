"""A PostgreSQL server of a test module's own, which its tests may stop and start at will (the
shared server of the other tests must stay up).

It is made with the `pgserver` wheel: `pgserver.get_server` runs initdb and starts the server,
as the dedicated system user `pgserver` when we are root (initdb and postgres refuse to run as
root). It is then restarted, as that same user, on a free TCP port of 127.0.0.1, so that the
CareGraph server reaches it by an ordinary `postgresql://postgres@127.0.0.1:port/db` URL, as it
reaches a production database. `stop` and `start` run pg_ctl the way pgserver runs it.
"""

import atexit
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import free_port

PG_CTL_SECONDS = 60  # pg_ctl's own wait for the server to start or stop


class PrivatePostgres:
    """One private server: `start`, `stop`, `url`; `destroy` stops it and deletes its files."""

    def __init__(self) -> None:
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on servers
            warnings.simplefilter("ignore")
            import pgserver
            from pgserver.utils import PostmasterInfo

        self._postmaster_info: Any = PostmasterInfo
        # Outside pytest's temporary tree: pgserver opens the folders above its data to its
        # system user, and pytest closes its tree again when another pytest process starts.
        self.folder = Path(tempfile.mkdtemp(prefix="caregraph-faults-pg-"))
        self.pgdata = self.folder / "pgdata"
        self.log = self.pgdata / "log"
        self.pg_ctl = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_ctl"
        self.port = free_port()
        try:
            self._handle: Any = pgserver.get_server(  # type: ignore[attr-defined]
                self.pgdata, cleanup_mode="stop"
            )
            self.system_user: str | None = self._handle.system_user  # None unless root
            socket_dir = self._handle.get_postmaster_info().socket_dir
            self.socket_dir = Path(socket_dir) if socket_dir is not None else self.pgdata
            # pgserver's server listens on a Unix socket only: restart it on TCP as well
            self.stop()
            self.start()
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def url(self, database: str = "postgres") -> str:
        """An asyncpg URL (SQLAlchemy style), as `core.testing.temporary_database` takes."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()

    def start(self) -> None:
        """Start the server; returns once it accepts connections."""
        options = f"-h 127.0.0.1 -p {self.port} -k {self.socket_dir} -c fsync=off"
        self._pg_ctl("-o", options, "-l", str(self.log), "start")
        # pgserver's handle stops the server it knows of when this process exits (should
        # `destroy` not be reached): tell it of this one
        self._handle._postmaster_info = self._postmaster_info.read_from_pgdata(self.pgdata)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; returns once it is down. `fast` ends every session (its client
        is told of an administrator's shutdown); `immediate` kills them, as a crash would
        (the next start recovers from the write-ahead log)."""
        self._pg_ctl("-m", mode, "stop")
        self._handle._postmaster_info = None

    def destroy(self) -> None:
        if self.running:
            self.stop("immediate")
        self._handle.cleanup()  # forgets this process's handle (the server is down already)
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _pg_ctl(self, *args: str) -> None:
        """Run pg_ctl on this server's data as its system user, waiting for it to finish."""
        command = [str(self.pg_ctl), "-D", str(self.pgdata), "-w", "-t", str(PG_CTL_SECONDS)]
        # The postmaster inherits pg_ctl's stdout and stderr: a pipe would never reach its end
        # (pgserver says as much), so the output goes through a file.
        with tempfile.TemporaryFile("w+") as output:
            completed = subprocess.run(
                [*command, *args],
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                user=self.system_user,
                timeout=PG_CTL_SECONDS + 10,
                check=False,
            )
            if completed.returncode != 0:
                output.seek(0)
                raise RuntimeError(
                    f"pg_ctl {' '.join(args)} failed ({completed.returncode}):\n{output.read()}\n"
                    f"server log:\n{self.log_text()[-4000:]}"
                )


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A private server for the block (a module's fixture), destroyed after it."""
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.destroy()


class StreamingReplica:
    """A hot standby of a `PrivatePostgres`, made as an operator makes one: `pg_basebackup -R`
    (which writes `primary_conninfo` and `standby.signal`), then started on a port of its
    own. It replays the primary's write-ahead log as it streams in; `pause_replay` and
    `resume_replay` hold it back (a replica falling behind) without stopping it."""

    def __init__(self, primary: PrivatePostgres) -> None:
        self.primary = primary
        self.pgdata = primary.folder / "replica"
        self.log = self.pgdata / "log"  # in its own folder: the system user may write there
        self.port = free_port()
        # pg_basebackup runs as the server's system user, who may not write in the folder
        self.pgdata.mkdir(mode=0o700)
        if primary.system_user is not None:
            shutil.chown(self.pgdata, user=primary.system_user)
        completed = subprocess.run(
            [
                str(primary.pg_ctl.parent / "pg_basebackup"),
                *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
                *("-D", str(self.pgdata), "-R", "-X", "stream", "-c", "fast"),
            ],
            capture_output=True,
            text=True,
            user=primary.system_user,
            timeout=PG_CTL_SECONDS,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"pg_basebackup failed: {completed.stderr[-2000:]}")
        self.start()
        atexit.register(self.destroy)  # should the test run end before its fixture does

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.primary.socket_dir} -c fsync=off"
        self._pg_ctl("-o", options, "-l", str(self.log), "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    @property
    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()

    def destroy(self) -> None:
        """Stop the replica (its files go with the primary's folder)."""
        if self.running:
            self.stop("immediate")

    def _pg_ctl(self, *args: str) -> None:
        command = [str(self.primary.pg_ctl), "-D", str(self.pgdata), "-w"]
        with tempfile.TemporaryFile("w+") as output:
            completed = subprocess.run(
                [*command, "-t", str(PG_CTL_SECONDS), *args],
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                user=self.primary.system_user,
                timeout=PG_CTL_SECONDS + 10,
                check=False,
            )
            if completed.returncode != 0:
                output.seek(0)
                raise RuntimeError(f"pg_ctl {' '.join(args)} failed: {output.read()}")
