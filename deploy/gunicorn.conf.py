"""gunicorn settings: HTTPS (TLS 1.2+) served by gunicorn itself, configured from the environment.

Reads the same `.env` as securescope/settings.py, so the certificate paths agree with what
`manage.py gen_cert` wrote.
"""

import os
import ssl
import sys
from collections.abc import Callable
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
environ.Env.read_env(BASE_DIR / ".env")
DATA_DIR = Path(os.environ.get("DATA_DIR", str(BASE_DIR / "var")))

chdir = str(BASE_DIR)
proc_name = "securescope"
bind = os.environ.get("SECURESCOPE_BIND", "localhost:8443")

certfile = os.environ.get("TLS_CERT_FILE", str(DATA_DIR / "tls" / "cert.pem"))
keyfile = os.environ.get("TLS_KEY_FILE", str(DATA_DIR / "tls" / "key.pem"))

worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
if "WEB_WORKERS" in os.environ:
    workers = int(os.environ["WEB_WORKERS"])
elif os.environ.get("REDIS_URL"):
    # CPUs this process may run on (a container's cpuset), not those of the whole host.
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = 2 * (cpus or 1) + 1
else:
    # Embedded mode keeps the credential vault and the scan thread pool inside the process: a
    # second worker would not see the keys the first one stored, nor its running scans.
    workers = 1
# gunicorn's 2 s default lets a busy worker's main loop, running late, close a kept-alive
# connection whose next request has already arrived (the client sees it dropped with no
# response: benoitc/gunicorn#2241); bench/load.py met that at load 8 with three workers.
keepalive = 10
# No max_requests: recycling a worker would kill the scans running in its thread pool.
# No runtime control socket (gunicorn 25+): nothing here uses gunicornc, and resizing the
# workers at run time would break the one-process rule above.
control_socket_disable = True

# Only a proxy named here may set X-Forwarded-* headers; by default gunicorn terminates TLS
# itself and trusts none.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")

accesslog = "-"
# Path without the query string: filters in URLs are nobody's business in a log file.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'

MINIMUM_TLS_VERSION = ssl.TLSVersion.TLSv1_2
# Forward secrecy and AEAD only for TLS 1.2; TLS 1.3 suites are all of that already.
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"


def post_worker_init(worker: object) -> None:
    """In each worker, once it forked and loaded the app: the embedded mode runs django-q2's
    schedules (the housekeeping) in a thread of its own, as a qcluster would in production.
    With several workers, each has one; a database lock lets one of them run each due job.
    The loaded app is then frozen out of the garbage collector's full passes
    (securescope/heap.py)."""
    from securescope.heap import startup_heap_freeze
    from securescope.scheduler import scheduler_start

    scheduler_start()
    startup_heap_freeze()


def worker_exit(server: object, worker: object) -> None:
    # Lets a job in progress end its batch. Not imported here if the worker never loaded the app.
    scheduler = sys.modules.get("securescope.scheduler")
    if scheduler is not None:
        scheduler.scheduler_stop()


def ssl_context(
    conf: object, default_ssl_context_factory: Callable[[], ssl.SSLContext]
) -> ssl.SSLContext:
    context = default_ssl_context_factory()
    context.minimum_version = MINIMUM_TLS_VERSION
    context.set_ciphers(TLS12_CIPHERS)
    return context
