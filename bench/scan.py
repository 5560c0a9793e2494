"""Time `manage.py scan` end to end against the API floor, on a simulated account.

    .venv/bin/python bench/scan.py --mode embedded --scale 1 --regions 3 --runs 3
    .venv/bin/python bench/scan.py --mode production --scale 10 --regions 6 --delays-ms 0,80

Starts a moto server on 127.0.0.1, builds the world (bench/world.py's account at --scale over
--regions), then for each delay (0: moto directly; otherwise through bench/latency_proxy.py)
runs the floor (bench/floor.py) and `manage.py scan` --runs times each, and prints medians: wall
time from process start to the export written, requests against the floor's, the time the units
spent writing findings and building the exposure model (ScanRegion.timings), the scan
process's CPU seconds (user and system; in production the workers' CPU is not in it), peak
memory, and the API calls per operation.

Modes: `embedded` scans in the command's own thread pool on SQLite under a temporary DATA_DIR;
`production` starts a real `manage.py qcluster` (Q_CLUSTER_NAME=scans) on PostgreSQL and Redis
(--database-url, --redis-url) and scans with `manage.py scan --workers`.
"""

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from latency_proxy import LatencyProxy  # noqa: E402
from world import REGIONS  # noqa: E402

from scans.collection.demo import (  # noqa: E402
    DEMO_ACCESS_KEY_ID,
    DEMO_SECRET_ACCESS_KEY,
    reset_moto_server,
    seed_account,
)

BIN = Path(sys.executable).parent
SCAN_ID = re.compile(r"Scan ([0-9a-f-]{36}) of")
FLOOR_LINE = re.compile(r"floor: (\d+) requests, ([\d.]+) s wall")
# A fixed key so the scan command and the qcluster workers share the vault's encryption key.
BENCH_SECRET_KEY = "bench-only-secret-key-EXAMPLE-not-for-any-installation-0123456789"  # noqa: S105


@dataclass
class Run:
    wall: float
    # User plus system CPU of the scan command's process (its own threads scan in embedded mode).
    cpu_s: float
    peak_rss_mib: float
    scan_id: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
    server = subprocess.Popen(  # noqa: S603
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_until_up(f"{endpoint}/moto-api/data.json")
    return server, endpoint


def floor(env: dict[str, str], endpoint: str, regions: int) -> tuple[int, float, str]:
    """The floor's requests and wall time, and its per-operation counts as it printed them."""
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(BENCH / "floor.py"),
            "--endpoint",
            endpoint,
            "--regions",
            f"{regions}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    match = FLOOR_LINE.search(done.stdout)
    per_operation = done.stdout[done.stdout.index("\n", match.end()) + 1 :]
    return int(match[1]), float(match[2]), per_operation.strip()


def manage(env: dict[str, str], *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], env=env, **kwargs)  # noqa: S603


def timed_scan(env: dict[str, str], regions: list[str], workers: bool, output: Path) -> Run:
    args = ["scan", "--regions", ",".join(regions), "--format", "json", "--output", str(output)]
    started = time.perf_counter()
    process = manage(env, *args, *(["--workers"] if workers else []), stderr=subprocess.PIPE)
    stderr = process.stderr.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    # 0: done; 4: partial. moto's unimplemented APIs are "not evaluated", never a failed region.
    if process.returncode not in (0, 4) or not output.exists():
        raise RuntimeError(f"manage.py scan exited {process.returncode}:\n{stderr}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss / 1024, SCAN_ID.search(stderr)[1])


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(parents.get(current, []))
    return found


def peak_rss_mib(pid: int) -> float:
    """The largest peak resident set (VmHWM) of a process and its descendants."""
    peak = 0
    for each in _descendants(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        peak = max(peak, int(match[1]) if match else 0)
    return peak / 1024


def scan_figures(scan_id: str) -> dict:
    """Requests per operation, and the units' time: in all, and in findings' database writes."""
    from collections import Counter

    from scans.models import Scan

    scan = Scan.objects.get(id=scan_id)
    calls: Counter[str] = Counter()
    write = model = unit_seconds = 0.0
    findings = resources = 0
    for unit in scan.scan_regions.all():
        calls.update(unit.api_calls)
        resources += unit.resources_collected
        write += unit.timings.get("write", 0.0)
        model += unit.timings.get("exposure_model", 0.0)
        unit_seconds += (unit.finished_at - unit.started_at).total_seconds()
        findings += unit.findings_count
    return {
        "status": scan.status,
        "requests": sum(calls.values()),
        "calls": calls,
        "write": write,
        "exposure_model": model,
        "unit_seconds": unit_seconds,
        "findings": findings,
        "resources": resources,
    }


def mode_env(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": DEMO_SECRET_ACCESS_KEY,
        "AWS_MAX_ATTEMPTS": str(args.max_attempts),
        "SECRET_KEY": BENCH_SECRET_KEY,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "securescope.settings",
    }
    env.pop("AWS_SESSION_TOKEN", None)
    if args.mode == "embedded":
        env.update(DATA_DIR=str(workdir / "data"), DATABASE_URL="", REDIS_URL="")
    else:
        # The bench's Redis is a throwaway one on this host.
        env.update(
            DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, REDIS_ALLOW_NO_AUTH="true"
        )
    return env


def bench_delay(args, env: dict[str, str], endpoint: str, delay_ms: float, workdir: Path) -> dict:
    proxy = None
    if delay_ms:
        proxy = LatencyProxy(upstream=endpoint, delay=delay_ms / 1000).start()
        endpoint = proxy.url
    env = {**env, "AWS_ENDPOINT_URL": endpoint}
    regions = REGIONS[: args.regions]
    floors = [floor(env, endpoint, args.regions) for _ in range(args.runs)]
    cluster = None
    if args.mode == "production":
        cluster = manage(
            {**env, "Q_CLUSTER_NAME": "scans"},
            "qcluster",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(5)  # the cluster's workers start and register with the broker
    try:
        runs = []
        for index in range(args.runs):
            run = timed_scan(env, regions, cluster is not None, workdir / f"export-{index}.json")
            runs.append((run, scan_figures(run.scan_id)))
        worker_peak = peak_rss_mib(cluster.pid) if cluster else 0.0
    finally:
        if cluster:
            cluster.send_signal(signal.SIGTERM)
            cluster.wait(timeout=60)
        if proxy:
            proxy.shutdown()
            proxy.server_close()
    return {"delay_ms": delay_ms, "floors": floors, "runs": runs, "worker_peak": worker_peak}


def report(args: argparse.Namespace, results: list[dict]) -> None:
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"\nscan: mode {args.mode}, scale {args.scale} x {args.regions} regions, "
        f"AWS_MAX_ATTEMPTS={args.max_attempts}, medians of {args.runs} runs, "
        f"load average after {load}"
    )
    print(
        "| delay | floor requests | floor s | scan requests | scan s (min-max) | target s "
        "| ratio | met | scan CPU s | findings | writes s (share of unit time) "
        "| exposure model s (share of unit time) | peak RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for result in results:
        floor_requests = statistics.median(requests for requests, _, _ in result["floors"])
        floor_s = statistics.median(seconds for _, seconds, _ in result["floors"])
        walls = [run.wall for run, _ in result["runs"]]
        wall = statistics.median(walls)
        figures = [figure for _, figure in result["runs"]]
        write = statistics.median(figure["write"] for figure in figures)
        # Units run in parallel: the share is of the units' own time, summed.
        share = statistics.median(f["write"] / f["unit_seconds"] for f in figures)
        model = statistics.median(figure["exposure_model"] for figure in figures)
        model_share = statistics.median(f["exposure_model"] / f["unit_seconds"] for f in figures)
        peak = max(max(run.peak_rss_mib for run, _ in result["runs"]), result["worker_peak"])
        target = 2 * floor_s + 2
        print(
            f"| {result['delay_ms']:.0f} ms | {floor_requests:.0f} | {floor_s:.2f} "
            f"| {statistics.median(f['requests'] for f in figures):.0f} "
            f"| {wall:.2f} ({min(walls):.2f}-{max(walls):.2f}) | {target:.2f} "
            f"| {wall / floor_s:.2f} | {'yes' if wall <= target else 'NO'} "
            f"| {statistics.median(run.cpu_s for run, _ in result['runs']):.2f} "
            f"| {figures[-1]['findings']} | {write:.2f} ({share:.1%}) "
            f"| {model:.3f} ({model_share:.2%}) | {peak:.0f} |"
        )
    last = results[-1]["runs"][-1][1]
    calls = last["calls"]
    print(f"\nResources collected, last run: {last['resources']}")
    print(f"\nAPI calls per operation, last run ({sum(calls.values())} requests):")
    for operation, count in sorted(calls.items()):
        print(f"  {operation} {count}")
    print(f"\nFloor, last run:\n{results[-1]['floors'][-1][2]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "production"], default="embedded")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--endpoint",
        help="a moto server where bench/world.py already built this world (default: start one)",
    )
    parser.add_argument("--delays-ms", default="0,80", help="comma-separated; 0 = no proxy")
    # moto answers a few unimplemented APIs with HTTP 500, which botocore retries: with the
    # default 8 attempts those retries, not the scan, would dominate the figures.
    parser.add_argument("--max-attempts", type=int, default=2)
    parser.add_argument(
        "--database-url",
        default="postgres://securescope:securescope@127.0.0.1:5432/securescope_bench",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    delays = [float(delay) for delay in args.delays_ms.split(",")]

    server, endpoint = (None, args.endpoint) if args.endpoint else start_moto()
    try:
        if server:
            reset_moto_server(endpoint)
            started = time.perf_counter()
            created = seed_account(endpoint, regions=REGIONS[: args.regions], scale=args.scale)
            print(
                f"world: scale {args.scale} x {args.regions} regions, {created} regional "
                f"resources, built in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
        with tempfile.TemporaryDirectory(prefix="securescope-bench-") as workdir:
            env = mode_env(args, Path(workdir))
            os.environ.update(env)  # this process reads the scans' figures from the same database
            subprocess.run(  # noqa: S603
                [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True
            )
            import django

            django.setup()
            results = []
            for delay in delays:
                results.append(bench_delay(args, env, endpoint, delay, Path(workdir)))
                print(f"delay {delay:.0f} ms done", flush=True)
        report(args, results)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
