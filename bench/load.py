"""Load: concurrent signed-in clients on the findings page and exports while a scan runs.

    .venv/bin/python bench/load.py --clients 50 --seconds 60

Serves SecureScope as `deploy/start` does in the embedded mode (gunicorn over TLS, SQLite and
the scan thread pool in a throwaway DATA_DIR) on 127.0.0.1 only. It scans the demo account once
to have findings to read, starts a second demo scan, and while that one runs, each client loops
over the scan page, the findings table, and the JSON, CSV and Markdown exports of the first scan.
Every JSON export is checked to hold every finding. Afterwards the second scan must have ended
with as many findings stored and exported as its units reported. Prints requests, latency
percentiles, errors, 5xx and lost findings; exits 1 if any request failed or a finding was lost.
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


def query(database: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(sql, params).fetchall()


def row_id(scan_id: str) -> str:
    """SQLite keeps UUID keys as 32 hex digits."""
    return scan_id.replace("-", "")


def wait_for_scan(database: Path, scan_id: str) -> str:
    deadline = time.monotonic() + SCAN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        rows = query(database, "SELECT status FROM scans_scan WHERE id = ?", scan_id)
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
            tally.statuses[response.status_code] += 1
            tally.lost_findings += lost
            if len(body) == 0:
                tally.errors["empty body"] += 1


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] if len(values) > 1 else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Bounded: the benchmark must stay a load on loopback, not become a flood.
    parser.add_argument("--clients", type=int, default=50, choices=range(1, 201), metavar="1-200")
    parser.add_argument("--seconds", type=int, default=60, choices=range(1, 601), metavar="1-600")
    parser.add_argument("--web-threads", type=int, default=8)
    args = parser.parse_args()

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
    for step in (("migrate", "--noinput"), ("collectstatic", "--noinput"), ("gen_cert",)):
        manage(env, *step)
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.create_superuser('bench', password='{password}')",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "securescope.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=(data_dir / "web.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    base, database = f"https://127.0.0.1:{port}", data_dir / "securescope.sqlite3"
    try:
        browser = requests.Session()
        browser.trust_env = False
        browser.verify = str(data_dir / "tls" / "cert.pem")
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

        read_scan = start_demo_scan(browser, base)
        print(f"first demo scan: {wait_for_scan(database, row_id(read_scan))}")
        expected = query(
            database, "SELECT count(*) FROM findings_finding WHERE scan_id = ?", row_id(read_scan)
        )[0][0]
        running_scan = start_demo_scan(browser, base)
        urls = [
            f"{base}/scans/{read_scan}/",
            f"{base}/findings/scan/{read_scan}/",
            f"{base}/findings/scan/{read_scan}/export.json",
            f"{base}/findings/scan/{read_scan}/export.csv",
            f"{base}/findings/scan/{read_scan}/export.md",
        ]
        tally = Tally()
        until = time.monotonic() + args.seconds
        clients = []
        for number in range(args.clients):
            client = requests.Session()
            client.trust_env, client.verify = False, browser.verify
            client.cookies.update(browser.cookies)
            rotated = urls[number % len(urls) :] + urls[: number % len(urls)]
            clients.append(
                threading.Thread(target=client_loop, args=(client, rotated, expected, until, tally))
            )
        started = time.monotonic()
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        wall = time.monotonic() - started

        running_status = wait_for_scan(database, row_id(running_scan))
        scan_key = row_id(running_scan)
        reported = query(
            database, "SELECT sum(findings_count) FROM scans_scanregion WHERE scan_id = ?", scan_key
        )[0][0]
        stored = query(
            database, "SELECT count(*) FROM findings_finding WHERE scan_id = ?", scan_key
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

    latencies = sorted(tally.latencies)
    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    lost = tally.lost_findings + max(0, (reported or 0) - stored) + max(0, stored - exported)
    print(f"clients {args.clients}, {wall:.0f} s, findings per export {expected}")
    print(f"requests {len(latencies)} ({len(latencies) / wall:.1f}/s)")
    print(
        f"latency p50 {percentile(latencies, 0.50) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
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
