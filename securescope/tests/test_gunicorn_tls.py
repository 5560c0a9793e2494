"""deploy/gunicorn.conf.py, checked against a real gunicorn serving the app on 127.0.0.1."""

import os
import runpy
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from securescope.tls import DEFAULT_HOSTNAMES, ensure_self_signed_certificate

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "deploy" / "gunicorn.conf.py"
STARTUP_TIMEOUT_SECONDS = 60
IO_TIMEOUT_SECONDS = 10
# Handshake refusals: the server's alert, or the connection dropped by either side.
REFUSED = (ssl.SSLError, ConnectionResetError)
# Naming the old protocol versions is the point of these tests.
old_versions = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")


@dataclass(frozen=True)
class Server:
    port: int
    cert_file: Path


@dataclass(frozen=True)
class Response:
    tls_version: str | None
    cipher: str | None
    status: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def client_context(cert_file: Path, version: ssl.TLSVersion) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cert_file)
    context.minimum_version = context.maximum_version = version
    return context


def old_protocol_context(version: ssl.TLSVersion) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Without lowering the security level, OpenSSL 3 will not even offer TLS 1.0/1.1; if this
    # OpenSSL cannot offer them at all, the handshake fails on our side, still a refusal.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = context.maximum_version = version
    return context


def get(port: int, context: ssl.SSLContext, path: str = "/login/") -> Response:
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    with (
        socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_SECONDS) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        version, cipher = tls.version(), tls.cipher()
        tls.sendall(request.encode())
        received = b""
        while chunk := tls.recv(65536):
            received += chunk
    status_line = received.split(b"\r\n", 1)[0].decode()
    assert status_line.startswith("HTTP/1.1 "), received[:200]
    return Response(version, cipher[0] if cipher else None, int(status_line.split()[1]))


def run_manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=STARTUP_TIMEOUT_SECONDS,
    )


def wait_until_serving(process: subprocess.Popen[bytes], log: Path, server: Server) -> None:
    context = client_context(server.cert_file, ssl.TLSVersion.TLSv1_2)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            get(server.port, context)
        except OSError:
            time.sleep(0.2)
        else:
            return
    pytest.fail(f"gunicorn did not serve within {STARTUP_TIMEOUT_SECONDS}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("gunicorn")
    cert_file, key_file = data_dir / "tls" / "cert.pem", data_dir / "tls" / "key.pem"
    with pytest.MonkeyPatch.context() as patch:
        # A self-signed certificate, even where mkcert is installed, so the client can pin it.
        patch.setenv("PATH", str(data_dir / "empty-bin"))
        ensure_self_signed_certificate(cert_file, key_file, DEFAULT_HOSTNAMES)
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        # Embedded mode on a throwaway SQLite file: the test database is not needed to serve.
        "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
        "REDIS_URL": "",
        "SECURESCOPE_BIND": f"127.0.0.1:{port}",
        "TLS_CERT_FILE": str(cert_file),
        "TLS_KEY_FILE": str(key_file),
        "WEB_WORKERS": "1",
        "WEB_THREADS": "2",
    }
    # Pages name their static files through the manifest, which collectstatic writes.
    run_manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    log = data_dir / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(CONF), "securescope.wsgi"],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        running = Server(port, cert_file)
        wait_until_serving(process, log, running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=IO_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=IO_TIMEOUT_SECONDS)


@pytest.mark.subprocess
@pytest.mark.xdist_group("gunicorn")
@pytest.mark.parametrize(
    ("version", "name"),
    [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")],
)
def test_serves_the_login_page_over_modern_tls(
    server: Server, version: ssl.TLSVersion, name: str
) -> None:
    response = get(server.port, client_context(server.cert_file, version))

    assert response.tls_version == name
    assert response.status == 200 or 300 <= response.status < 400


@pytest.mark.subprocess
@pytest.mark.xdist_group("gunicorn")
def test_tls_1_2_negotiates_forward_secret_aead(server: Server) -> None:
    response = get(server.port, client_context(server.cert_file, ssl.TLSVersion.TLSv1_2))

    assert response.cipher
    assert response.cipher.startswith("ECDHE-")
    assert "GCM" in response.cipher or "CHACHA20" in response.cipher


@pytest.mark.subprocess
@pytest.mark.xdist_group("gunicorn")
def test_tls_1_2_with_only_cbc_ciphers_is_refused(server: Server) -> None:
    context = client_context(server.cert_file, ssl.TLSVersion.TLSv1_2)
    context.set_ciphers("ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:AES128-SHA")

    with pytest.raises(REFUSED):
        get(server.port, context)


@pytest.mark.subprocess
@pytest.mark.xdist_group("gunicorn")
@old_versions
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_old_tls_is_refused(server: Server, version: ssl.TLSVersion) -> None:
    with pytest.raises(REFUSED):
        get(server.port, old_protocol_context(version))


def load_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, object]:
    for name in ("REDIS_URL", "WEB_WORKERS", "WEB_THREADS", "SECURESCOPE_BIND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


@old_versions
def test_ssl_context_hook_raises_the_floor_to_tls_1_2(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = load_conf(monkeypatch)["ssl_context"]

    def permissive_factory() -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1
        return context

    context = hook(None, permissive_factory)  # type: ignore[operator]

    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    tls12_ciphers = {c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12_ciphers
    assert all(name.startswith("ECDHE-") for name in tls12_ciphers)


def test_embedded_mode_runs_one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch)

    assert conf["workers"] == 1
    assert conf["worker_class"] == "gthread"
    assert conf["threads"] == 8
    assert conf["bind"] == "localhost:8443"
    assert "max_requests" not in conf
    assert conf["control_socket_disable"] is True


def test_production_mode_scales_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_conf(monkeypatch, REDIS_URL="redis://127.0.0.1:6379/0")["workers"] >= 3
    assert load_conf(monkeypatch, REDIS_URL="redis://x", WEB_WORKERS="5")["workers"] == 5


def test_access_log_leaves_out_query_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    log_format = load_conf(monkeypatch)["access_log_format"]

    assert "%(q)s" not in log_format
    assert "%(r)s" not in log_format
