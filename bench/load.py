"""Load: concurrent signed-in clients on the findings pages and exports while a scan runs.

    .venv/bin/python bench/load.py --clients 50 --seconds 60 [--mix pages]
    .venv/bin/python bench/load.py --shape production --database-url postgres://...

Serves SecureScope on 127.0.0.1 only, with gunicorn over TLS and a throwaway DATA_DIR, in one of
two shapes: `embedded` as `deploy/start` runs it (one process, SQLite, the scan thread pool), or
`production` (PostgreSQL from --database-url, a password-protected Redis started on a free
loopback port, --web-workers gunicorn workers and a `scans` qcluster). It scans the demo account
once to have findings to read, starts a second demo scan, and while that one runs, each client
loops over the URLs of the mix: `exports` (the scan page, the findings table, and the JSON, CSV
and Markdown exports of the first scan: three exports to one page) or `pages` (the scan page,
the overview, and the findings page grouped, flat and by resource). Every JSON export is
checked to hold every finding. Afterwards the second scan must have ended with as many findings
stored and exported as its units reported. Prints requests per second, latency percentiles
overall and per URL, errors, 5xx and lost findings; exits 1 if any request failed or a finding
was lost.
"""

import argparse
import itertools
import os
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SCAN_TIMEOUT_SECONDS = 300
REQUEST_TIMEOUT_SECONDS = 30


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    by_url: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    lost_findings: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603 - this interpreter and our own arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


class Database:
    """The server's database, read beside it: SQLite read-only (embedded) or PostgreSQL."""

    def __init__(self, database_url: str, sqlite_path: Path) -> None:
        self.database_url, self.sqlite_path = database_url, sqlite_path

    def query(self, sql: str, *params: object) -> list[tuple]:
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as db:
                return db.execute(sql, params).fetchall()
        uri = f"file:{self.sqlite_path}?mode=ro"
        with sqlite3.connect(uri, uri=True, timeout=30) as db:
            return db.execute(sql.replace("%s", "?"), params).fetchall()

    def row_id(self, scan_id: str) -> str:
        """SQLite keeps UUID keys as 32 hex digits."""
        return scan_id if self.database_url else scan_id.replace("-", "")

    def wait_for_scan(self, scan_id: str) -> str:
        deadline = time.monotonic() + SCAN_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            rows = self.query("SELECT status FROM scans_scan WHERE id = %s", self.row_id(scan_id))
            if rows and rows[0][0] not in ("pending", "running"):
                return rows[0][0]
            time.sleep(0.5)
        raise SystemExit(f"scan {scan_id} did not finish within {SCAN_TIMEOUT_SECONDS} s")


def start_demo_scan(browser: requests.Session, base: str) -> str:
    response = browser.post(
        f"{base}/scans/demo/",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": f"{base}/scans/"},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def client_loop(
    browser: requests.Session, urls: list[str], expected: int, until: float, tally: Tally
) -> None:
    for url in itertools.cycle(urls):
        if time.monotonic() >= until:
            return
        started = time.monotonic()
        try:
            response = browser.get(url, timeout=REQUEST_TIMEOUT_SECONDS)
            body = response.content
        except requests.RequestException as error:
            with tally.lock:
                tally.errors[type(error).__name__] += 1
            continue
        elapsed = time.monotonic() - started
        lost = 0
        if url.endswith("export.json") and response.ok:
            lost = max(0, expected - len(response.json()["findings"]))
        with tally.lock:
            tally.latencies.append(elapsed)
            tally.by_url.setdefault(url, []).append(elapsed)
            tally.statuses[response.status_code] += 1
            tally.lost_findings += lost
            if len(body) == 0:
                tally.errors["empty body"] += 1


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] if len(values) > 1 else 0.0


def mix_urls(base: str, scan: str, mix: str) -> list[str]:
    if mix == "pages":
        findings = f"{base}/findings/?scan={scan}"
        return [
            f"{base}/scans/{scan}/",
            f"{base}/",
            findings,
            f"{findings}&view=flat",
            f"{findings}&view=resources",
        ]
    return [
        f"{base}/scans/{scan}/",
        f"{base}/findings/scan/{scan}/",
        f"{base}/findings/scan/{scan}/export.json",
        f"{base}/findings/scan/{scan}/export.csv",
        f"{base}/findings/scan/{scan}/export.md",
    ]


def production_services(
    args: argparse.Namespace, env: dict[str, str], data_dir: Path
) -> list[subprocess.Popen]:
    """A Redis of its own (password, no persistence, loopback) and a scans qcluster."""
    redis_port, redis_password = free_port(), secrets.token_urlsafe(24)
    # redis-server from PATH, as deploy/test finds it, with our own arguments: a throwaway
    # password that only this run knows.
    redis = subprocess.Popen(  # noqa: S603
        [  # noqa: S607
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(redis_port),
            "--requirepass",
            redis_password,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=f"redis://:{redis_password}@127.0.0.1:{redis_port}/0",
        WEB_WORKERS=str(args.web_workers),
        SCAN_EXECUTOR="django-q",
    )
    manage(env, "migrate", "--noinput")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env={**env, "Q_CLUSTER_NAME": "scans"},
        stdout=(data_dir / "qcluster.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    return [worker, redis]


def sign_in(base: str, password: str, certificate: Path) -> requests.Session:
    browser = requests.Session()
    browser.trust_env = False
    browser.verify = str(certificate)
    for _ in range(120):
        try:
            browser.get(f"{base}/login/", timeout=5)
            break
        except requests.ConnectionError:
            time.sleep(0.5)
    browser.post(
        f"{base}/login/",
        data={
            "username": "bench",
            "password": password,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/login/"},
        timeout=REQUEST_TIMEOUT_SECONDS,
    ).raise_for_status()
    return browser


def run_clients(
    browser: requests.Session, urls: list[str], expected: int, clients: int, seconds: int
) -> tuple[Tally, float]:
    tally = Tally()
    until = time.monotonic() + seconds
    threads = []
    for number in range(clients):
        client = requests.Session()
        client.trust_env, client.verify = False, browser.verify
        client.cookies.update(browser.cookies)
        rotated = urls[number % len(urls) :] + urls[: number % len(urls)]
        threads.append(
            threading.Thread(target=client_loop, args=(client, rotated, expected, until, tally))
        )
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.monotonic() - started


def print_latencies(tally: Tally, base: str) -> None:
    latencies = sorted(tally.latencies)
    print(
        f"latency p50 {percentile(latencies, 0.50) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
    print("| URL | requests | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    for url, values in sorted(tally.by_url.items()):
        print(
            f"| {url.removeprefix(base)} | {len(values)} | "
            f"{percentile(values, 0.50) * 1000:.0f} | {percentile(values, 0.95) * 1000:.0f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Bounded: the benchmark must stay a load on loopback, not become a flood.
    parser.add_argument("--clients", type=int, default=50, choices=range(1, 201), metavar="1-200")
    parser.add_argument("--seconds", type=int, default=60, choices=range(1, 601), metavar="1-600")
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--mix", choices=("exports", "pages"), default="exports")
    parser.add_argument("--shape", choices=("embedded", "production"), default="embedded")
    parser.add_argument("--web-workers", type=int, default=3, help="production shape only")
    parser.add_argument("--database-url", default="", help="PostgreSQL, production shape only")
    args = parser.parse_args()
    if args.shape == "production" and not args.database_url.startswith("postgres"):
        parser.error("the production shape needs --database-url postgres://...")

    data_dir = Path(tempfile.mkdtemp(prefix="securescope-load-"))
    port, password = free_port(), secrets.token_urlsafe(24)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "DEMO_MODE": "true",
        "SECURESCOPE_BIND": f"127.0.0.1:{port}",
        "WEB_THREADS": str(args.web_threads),
        "LOG_LEVEL": "WARNING",
    }
    services = production_services(args, env, data_dir) if args.shape == "production" else []
    for step in (("migrate", "--noinput"), ("collectstatic", "--noinput"), ("gen_cert",)):
        manage(env, *step)
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.filter(username='bench').delete(); "
        f"User.objects.create_superuser('bench', password='{password}')",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "securescope.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=(data_dir / "web.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"https://127.0.0.1:{port}"
    database = Database(env["DATABASE_URL"], data_dir / "securescope.sqlite3")
    try:
        browser = sign_in(base, password, data_dir / "tls" / "cert.pem")
        read_scan = start_demo_scan(browser, base)
        print(f"first demo scan: {database.wait_for_scan(read_scan)}")
        expected = database.query(
            "SELECT count(*) FROM findings_finding WHERE scan_id = %s", database.row_id(read_scan)
        )[0][0]
        running_scan = start_demo_scan(browser, base)
        urls = mix_urls(base, read_scan, args.mix)
        tally, wall = run_clients(browser, urls, expected, args.clients, args.seconds)

        running_status = database.wait_for_scan(running_scan)
        scan_key = database.row_id(running_scan)
        reported = database.query(
            "SELECT sum(findings_count) FROM scans_scanregion WHERE scan_id = %s", scan_key
        )[0][0]
        stored = database.query(
            "SELECT count(*) FROM findings_finding WHERE scan_id = %s", scan_key
        )[0][0]
        exported = len(
            browser.get(
                f"{base}/findings/scan/{running_scan}/export.json",
                timeout=REQUEST_TIMEOUT_SECONDS,
            ).json()["findings"]
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        for process in services:
            process.terminate()
            process.wait(timeout=30)

    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    lost = tally.lost_findings + max(0, (reported or 0) - stored) + max(0, stored - exported)
    print(
        f"{args.shape}, mix {args.mix}, clients {args.clients}, {wall:.0f} s, "
        f"findings per export {expected}"
    )
    print(f"requests {len(tally.latencies)} ({len(tally.latencies) / wall:.1f}/s)")
    print_latencies(tally, base)
    print(f"statuses {dict(sorted(tally.statuses.items()))}, 5xx {server_errors}")
    print(f"errors {sum(tally.errors.values())} {dict(tally.errors)}")
    print(
        f"scan during load: {running_status}, units reported {reported}, stored {stored}, "
        f"exported {exported}"
    )
    print(f"lost findings {lost}")
    failed = server_errors or sum(tally.errors.values()) or lost
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
