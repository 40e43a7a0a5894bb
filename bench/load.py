"""Throughput of the register under gunicorn (issue 9, target 4). Run by hand, not in the test suite.

    .venv/bin/python bench/load.py [--database-url postgres://postgres@127.0.0.1:5432/lr_bench] [--workers 4]
                                   [--clients 8,32] [--seconds 30] [--cache-url redis://127.0.0.1:6379/5] [--json P]

Against a database that already holds the demo book (bench/run.py seeds one): starts gunicorn with `--workers`
sync workers on a free port (DEBUG=false), signs in the demo `retention-team` user (a session made in the
database, its cookie sent by every client), and builds a mixed load of register URLs from the book:

- *cursor pages* (30%): the default window after a random event's (date, id) keyset cursor, as "Later" links are;
- *filters* (30%): random combinations of office, event kinds, loan types, currency, recourse and servicer;
- *searches* (15%): a common surname or a loan number (`q=`);
- *windows* (25%): a random `date_from`/`date_to` window of 1-36 months, some in the past.

Then, for each number of clients, that many threads (each with its own keep-alive HTTP connection) request
random URLs of the mix for `--seconds` after a short warm-up, and it reports requests per second, the median and
95th percentile of the response time, errors (any status but 200), and the CPU time per request of the gunicorn
workers and of the PostgreSQL backends serving them (psutil: their user + system time over the run ÷ requests).
The load average is recorded before and after each run. The figures are in docs/benchmarks.md.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MIX = (("cursor page", 30), ("filter", 30), ("search", 15), ("window", 25))
SURNAMES = [
    "jensen",
    "hansen",
    "nielsen",
    "pedersen",
    "andersen",
    "christensen",
    "larsen",
    "sørensen",
    "holm",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lr_bench"),
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", default="8,32", help="comma-separated numbers of concurrent clients")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--urls", type=int, default=400, help="distinct URLs in the mix")
    parser.add_argument(
        "--cache-url", default="", help="Redis for the cache (else the database's cache table)"
    )
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the mix ----------------------------------------------------------------------------------------------------


def build_mix(count: int, seed: int) -> list[tuple[str, str]]:
    """(kind, URL) pairs drawn from the book; Django is set up in this process to read it."""
    from django.db import connection
    from django.utils import timezone

    from loanregister import register
    from loanregister.choices import LoanType, RegisterEventKind
    from loanregister.models import Office, Servicer

    rng = random.Random(seed)
    today = timezone.localdate()
    start, end = register.default_window(today)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_date, id FROM loanregister_registerevent TABLESAMPLE SYSTEM (1)"
            " WHERE event_date BETWEEN %s AND %s LIMIT 2000",
            [start, end],
        )
        cursors = cursor.fetchall()
        cursor.execute("SELECT loan_number FROM loanregister_loan TABLESAMPLE SYSTEM (0.1) LIMIT 500")
        numbers = [row[0] for row in cursor.fetchall()]
    offices = list(Office.objects.filter(active=True).values_list("pk", flat=True))
    servicers = list(Servicer.objects.filter(active=True).values_list("pk", flat=True))
    kinds, types = list(RegisterEventKind.values), list(LoanType.values)
    window = {"date_from": start.isoformat(), "date_to": end.isoformat()}

    def cursor_page() -> dict:
        day, pk = rng.choice(cursors)
        return {**window, "after": f"{day.isoformat()}_{pk}"}

    def a_filter() -> dict:
        query: dict = dict(window)
        if rng.random() < 0.7:
            query["office"] = rng.choice(offices)
        if rng.random() < 0.5:
            query["kind"] = rng.sample(kinds, rng.randint(1, 2))
        if rng.random() < 0.4:
            query["loan_type"] = rng.sample(types, rng.randint(1, 2))
        if rng.random() < 0.2:
            query["currency"] = "EUR"
        if rng.random() < 0.2:
            query["recourse"] = rng.choice(["true", "false"])
        if rng.random() < 0.2 and servicers:
            query["servicer"] = rng.choice(servicers)
        return query

    def a_search() -> dict:
        term = rng.choice(SURNAMES) if rng.random() < 0.6 else rng.choice(numbers)
        return {**window, "q": term}

    def a_window() -> dict:
        first = today + datetime.timedelta(days=rng.randint(-365, 365 * 5))
        last = first + datetime.timedelta(days=rng.randint(30, 365 * 3))
        return {"date_from": first.isoformat(), "date_to": last.isoformat()}

    makers = {"cursor page": cursor_page, "filter": a_filter, "search": a_search, "window": a_window}
    names = [name for name, _weight in MIX]
    weights = [weight for _name, weight in MIX]
    mix = []
    for _ in range(count):
        kind = rng.choices(names, weights)[0]
        mix.append((kind, "/register/?" + urlencode(makers[kind](), doseq=True)))
    return mix


def session_cookie() -> str:
    """A signed-in session of the demo retention-team user, made in the database as a login would."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.get(username="retention-team")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


# --- the server ---------------------------------------------------------------------------------------------------


def start_gunicorn(args: argparse.Namespace, env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not start")


def workers_of(server: subprocess.Popen) -> list[psutil.Process]:
    return psutil.Process(server.pid).children(recursive=True)


def backends_of(database: str) -> list[psutil.Process]:
    """The PostgreSQL server processes serving this database (psql sees their pids; this machine runs the
    server)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database]
        )
        pids = [row[0] for row in cursor.fetchall()]
    found = []
    for pid in pids:
        try:
            found.append(psutil.Process(pid))
        except psutil.Error:
            pass
    return found


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
        except psutil.Error:
            pass
    return seconds


# --- the clients --------------------------------------------------------------------------------------------------


class Client(threading.Thread):
    def __init__(self, port: int, cookie: str, mix: list, stop: threading.Event, seed: int):
        super().__init__(daemon=True)
        self.port, self.cookie, self.mix, self.stop = port, cookie, mix, stop
        self.rng = random.Random(seed)
        self.results: list[tuple[str, float, int]] = []  # (kind, seconds, status)
        self.recording = False

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie, "Host": "127.0.0.1", "Accept-Language": "da"}
        while not self.stop.is_set():
            kind, url = self.rng.choice(self.mix)
            started = time.perf_counter()
            try:
                connection.request("GET", url, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                status = 0
            if self.recording:
                self.results.append((kind, time.perf_counter() - started, status))
        connection.close()


def run_level(
    port: int, cookie: str, mix: list, clients: int, args: argparse.Namespace, server, database: str
) -> dict:
    stop = threading.Event()
    threads = [Client(port, cookie, mix, stop, args.seed * 1000 + n) for n in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(args.warmup)
    load_before = os.getloadavg()
    workers, backends = workers_of(server), backends_of(database)
    cpu_workers, cpu_backends = cpu_seconds(workers), cpu_seconds(backends)
    for thread in threads:
        thread.recording = True
    started = time.perf_counter()
    time.sleep(args.seconds)
    for thread in threads:
        thread.recording = False
    elapsed = time.perf_counter() - started
    after_workers = cpu_seconds(workers)
    after_backends = cpu_seconds(backends_of(database))
    load_after = os.getloadavg()
    stop.set()
    for thread in threads:
        thread.join()
    results = [r for thread in threads for r in thread.results]
    ok = [seconds for _kind, seconds, status in results if status == 200]
    errors = sum(1 for _kind, _seconds, status in results if status != 200)
    worker_cpu = sum(after_workers.get(pid, 0) - cpu for pid, cpu in cpu_workers.items())
    # a backend that was not there before (a worker's new connection) counts from zero
    backend_cpu = sum(cpu - cpu_backends.get(pid, 0.0) for pid, cpu in after_backends.items())
    requests = len(results) or 1
    by_kind = {}
    for name, _weight in MIX:
        times = sorted(seconds for kind, seconds, status in results if kind == name and status == 200)
        if times:
            by_kind[name] = {
                "requests": len(times),
                "median_ms": statistics.median(times) * 1000,
                "p95_ms": times[int(0.95 * (len(times) - 1))] * 1000,
            }
    ok.sort()
    return {
        "clients": clients,
        "seconds": elapsed,
        "requests": len(results),
        "requests_per_second": len(results) / elapsed,
        "errors": errors,
        "median_ms": statistics.median(ok) * 1000 if ok else None,
        "p95_ms": ok[int(0.95 * (len(ok) - 1))] * 1000 if ok else None,
        "worker_cpu_ms_per_request": worker_cpu / requests * 1000,
        "postgres_cpu_ms_per_request": backend_cpu / requests * 1000,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "by_kind": by_kind,
    }


def main() -> int:
    args = parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
        "DB_CONN_MAX_AGE": "600",
    }
    env.pop("CELERY_BROKER_URL", None)
    if args.cache_url:
        env["CACHE_URL"] = args.cache_url
    else:
        env.pop("CACHE_URL", None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    database = settings.DATABASES["default"]["NAME"]
    mix = build_mix(args.urls, args.seed)
    cookie = session_cookie()
    port = free_port()
    server = start_gunicorn(args, env, port)
    print(
        f"gunicorn {args.workers} workers on :{port}; {len(mix)} URLs "
        f"({', '.join(f'{name} {weight}%' for name, weight in MIX)}); cache "
        f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}; {os.cpu_count()} CPUs",
        flush=True,
    )
    levels = []
    try:
        for clients in [int(c) for c in args.clients.split(",") if c.strip()]:
            figures = run_level(port, cookie, mix, clients, args, server, database)
            levels.append(figures)
            print(
                f"{clients:3d} clients: {figures['requests_per_second']:6.1f} req/s, "
                f"median {figures['median_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, "
                f"errors {figures['errors']}, CPU per request: gunicorn {figures['worker_cpu_ms_per_request']:.1f} ms"
                f", PostgreSQL {figures['postgres_cpu_ms_per_request']:.1f} ms; load average "
                f"{figures['load_average_before'][0]:.1f} -> {figures['load_average_after'][0]:.1f}",
                flush=True,
            )
            for kind, by in figures["by_kind"].items():
                print(
                    f"     {kind:12} {by['requests']:6d} requests, median {by['median_ms']:.0f} ms, "
                    f"p95 {by['p95_ms']:.0f} ms"
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.json:
        Path(args.json).write_text(json.dumps({"levels": levels, "workers": args.workers}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
