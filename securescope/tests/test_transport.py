"""HTTPS only, security headers, cookies, login throttling, session expiry, password rules."""

import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from testing.factories import create_finding, create_scan, create_scan_region, create_user

ROOT = Path(settings.BASE_DIR)
PASSWORD = "correct horse battery"
# What the login form posts; secure=True because the app only ever serves HTTPS.
HTTPS = {"secure": True}


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "ENFORCE_HTTPS")}
    env.update(
        DATA_DIR=str(tmp_path),
        DATABASE_URL="postgres://user:pass@127.0.0.1:5432/securescope",
        REDIS_URL="redis://:test-password@127.0.0.1:6379/15",
        SECRET_KEY="x" * 20 + "production-shape-secret-key-with-enough-entropy-0123456789",
        **overrides,
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.subprocess
def test_check_deploy_is_clean_in_production_settings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PRINT_TRANSPORT = (
    "from django.conf import settings as s; "
    "print(s.ENFORCE_HTTPS, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
    "s.SESSION_COOKIE_SECURE, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
)


@pytest.mark.subprocess
def test_production_enforces_https_and_trusts_a_proxy_only_when_told(tmp_path):
    direct = manage(production_env(tmp_path), "shell", "-c", PRINT_TRANSPORT)
    proxied = manage(production_env(tmp_path, BEHIND_PROXY="true"), "shell", "-c", PRINT_TRANSPORT)

    last_line = direct.stdout.strip().splitlines()[-1]
    assert last_line.split() == ["True", "True", "31536000", "True", "None"], direct.stderr
    assert proxied.stdout.strip().endswith("('HTTP_X_FORWARDED_PROTO', 'https')")


def test_plain_http_is_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/login/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/login/"


@pytest.mark.django_db
def test_forwarded_proto_is_ignored_unless_behind_a_proxy(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    spoofed = client.get("/login/", headers={"x-forwarded-proto": "https"})
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = client.get("/login/", headers={"x-forwarded-proto": "https"})

    assert spoofed.status_code == 301
    assert proxied.status_code == 200


@pytest.mark.django_db
def test_https_responses_carry_the_security_headers(client):
    response = client.get("/login/", **HTTPS)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


INLINE_CODE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # a script without src
    re.compile(r"<style", re.I),
    re.compile(r"\sstyle=", re.I),
    re.compile(r"\son[a-z]+=", re.I),  # onclick= and friends
]


@pytest.mark.django_db
def test_pages_have_nothing_inline_that_the_csp_would_block(client, admin_user):
    client.force_login(admin_user)
    scan = create_scan(status="running")
    create_scan_region(scan)
    create_finding(scan)
    pages = [
        reverse("scans:list"),
        reverse("scans:new"),
        reverse("scan_pages:detail", args=[scan.id]),
        reverse("scans:progress", args=[scan.id]),
        reverse("scan_pages:compliance", args=[scan.id]),
        reverse("findings:table", args=[scan.id]),
    ]
    for url in pages:
        html = client.get(url, **HTTPS).content.decode()
        for pattern in INLINE_CODE:
            assert not pattern.search(html), f"{url} has {pattern.pattern}"
    page = client.get(reverse("scans:list"), **HTTPS).content.decode()
    assert '"includeIndicatorStyles": false' in page  # htmx would inject a <style> otherwise
    anonymous = Client().get(reverse("login"), **HTTPS).content.decode()
    assert not any(pattern.search(anonymous) for pattern in INLINE_CODE)


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(client):
    create_user(username="alice")
    client.get(reverse("login"), **HTTPS)
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, **HTTPS)

    session, csrf = client.cookies["sessionid"], client.cookies["csrftoken"]
    for cookie in (session, csrf):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
    assert session["max-age"] == settings.SESSION_COOKIE_AGE == 8 * 3600


@pytest.mark.django_db
def test_an_expired_session_is_signed_out(client):
    user = create_user(username="alice")
    client.force_login(user)
    assert client.get(reverse("scans:list"), **HTTPS).status_code == 200

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(reverse("scans:list"), **HTTPS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def sign_in(username: str, password: str, address: str) -> int:
    """A fresh browser from `address`; returns the status (302 = signed in)."""
    response = Client(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password}, **HTTPS
    )
    return response.status_code


@pytest.mark.django_db
def test_repeated_failures_lock_the_user_at_that_address_only():
    create_user(username="alice")
    statuses = [
        sign_in("alice", "wrong password", "198.51.100.7")
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert sign_in("alice", PASSWORD, "198.51.100.7") == 429
    # Anyone could send five wrong passwords for "admin": the real admin elsewhere still gets in.
    assert sign_in("alice", PASSWORD, "203.0.113.9") == 302


@pytest.mark.parametrize(
    "password", ["short", "password123456", "12345678901234", "analyst-analyst"]
)
@pytest.mark.django_db
def test_weak_passwords_are_refused(password):
    user = create_user(username="analyst-analyst", can_scan=False)
    with pytest.raises(ValidationError):
        validate_password(password, user=user)


@pytest.mark.deploy
def test_gen_cert_script_makes_a_certificate_for_both_names(tmp_path):
    # A PATH with the venv and the tools the script needs besides: no mkcert on it, so the
    # self-signed path runs wherever the test does (test_tls covers mkcert).
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("dirname", "sort", "tr", "id"):
        (tools / tool).symlink_to(shutil.which(tool))
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("TLS_CERT_FILE", "TLS_KEY_FILE")},
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "PATH": f"{Path(sys.executable).parent}:{tools}",
    }
    result = subprocess.run(
        [shutil.which("bash"), str(ROOT / "deploy" / "gen-cert")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    certificate = x509.load_pem_x509_certificate((tmp_path / "tls" / "cert.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", "securescope.local"} <= set(names.get_values_for_type(x509.DNSName))
    assert oct((tmp_path / "tls" / "key.pem").stat().st_mode & 0o777) == "0o600"


@pytest.mark.django_db
def test_authentication_without_a_request_is_not_throttled_away():
    """Management commands authenticate in-process; django-axes alone would refuse them."""
    create_user(username="alice")

    assert authenticate(username="alice", password=PASSWORD) is not None
    assert authenticate(username="alice", password="wrong password") is None
