"""`make test`: pick the PostgreSQL the suite runs on, export it as DATABASE_URL, run pytest with the given arguments.

    DATABASE_URL, when set;
    else the PostgreSQL on 127.0.0.1:5432 when it answers (TEST_PG_PROBE=host:port probes elsewhere; CI points it
         at a closed port to prove the next line);
    else the embedded server of config/embedded_postgres.py in VAR_DIR (started for the run, stopped after it
         unless it was running already, say under `make run`).

The URL is exported so that the processes the tests start (a Celery worker, gunicorn) reach the same server;
pytest-django creates its test_… database there. The exit code is pytest's (5 when no test was collected).
"""

import os
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from config import embedded_postgres

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PROBE = "127.0.0.1:5432"
SYSTEM_URL = "postgres://postgres@{host}:{port}/loanregister"
SSL_REQUEST = struct.pack("!ii", 8, 80877103)  # the first message a PostgreSQL client may send


def postgres_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when a PostgreSQL server listens there: it answers an SSLRequest with one byte, S or N (a bare
    connect would take any program on the port for PostgreSQL)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(SSL_REQUEST)
            return sock.recv(1) in (b"S", b"N")
    except OSError:
        return False


def probe_address(environ: Mapping[str, str]) -> tuple[str, int]:
    host, _, port = (environ.get("TEST_PG_PROBE") or DEFAULT_PROBE).rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def choose(environ: Mapping[str, str]) -> tuple[str, str | None]:
    """(kind, DATABASE_URL): ("DATABASE_URL", url), ("system", url) or ("embedded", None: start it for the URL)."""
    if environ.get("DATABASE_URL"):
        return "DATABASE_URL", environ["DATABASE_URL"]
    host, port = probe_address(environ)
    if postgres_answers(host, port):
        return "system", SYSTEM_URL.format(host=host, port=port)
    return "embedded", None


def url_of(settings_dict: Mapping, name: str | None = None) -> str:
    """DATABASE_URL for a Django database settings dict, for a process the tests start (a worker, gunicorn, a
    command): over TCP, or on a Unix socket, whose directory is the URL's host, percent-encoded (the embedded
    server). Database `name`, else the settings' own (the test database, once pytest-django made it)."""
    credentials = quote(settings_dict["USER"] or "", safe="")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = settings_dict["HOST"] or settings_dict.get("OPTIONS", {}).get("host") or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{credentials}@{quote(host, safe='')}:{port}/{quote(name or settings_dict['NAME'], safe='')}"


def main(pytest_args: list[str]) -> int:
    environ = dict(os.environ)
    kind, url = choose(environ)
    var_dir, started = embedded_postgres.settings_var_dir(), False
    if kind == "embedded":
        started = not embedded_postgres.is_running(var_dir)
        url = embedded_postgres.start(var_dir)
        host, port = probe_address(environ)
        where = embedded_postgres.pgdata_dir(var_dir)
        print(
            f"make test: no PostgreSQL answers on {host}:{port}; the embedded server in {where}",
            file=sys.stderr,
        )
    else:
        print(
            f"make test: PostgreSQL from {'DATABASE_URL' if kind == 'DATABASE_URL' else 'the system'}",
            file=sys.stderr,
        )
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", *pytest_args], cwd=BASE_DIR, env={**environ, "DATABASE_URL": url}
        )
        # Ctrl-C reaches pytest too (same terminal): let it finish its report, then stop the server.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        return process.wait()
    finally:
        if started:
            embedded_postgres.stop(var_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
