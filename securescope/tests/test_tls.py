import datetime
import io
import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.test import override_settings

from securescope.tls import DEFAULT_HOSTNAMES, ensure_self_signed_certificate


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    # An empty PATH hides any mkcert installed on this machine, so the built-in path is tested.
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    directory = tmp_path / "tls"
    return directory / "cert.pem", directory / "key.pem"


def test_makes_a_certificate_for_the_local_names(paths: tuple[Path, Path]) -> None:
    cert_path, key_path = paths

    assert ensure_self_signed_certificate(cert_path, key_path, DEFAULT_HOSTNAMES) is True

    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {"localhost", "securescope.local"}
    assert set(names.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)
    assert certificate.public_key().curve.name == "secp256r1"
    validity = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert datetime.timedelta(days=825) <= validity < datetime.timedelta(days=826)


def test_key_and_its_directory_are_private(paths: tuple[Path, Path]) -> None:
    cert_path, key_path = paths

    ensure_self_signed_certificate(cert_path, key_path, DEFAULT_HOSTNAMES)

    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_path.parent.stat().st_mode) == 0o700


def test_existing_files_are_kept(paths: tuple[Path, Path]) -> None:
    cert_path, key_path = paths
    ensure_self_signed_certificate(cert_path, key_path, DEFAULT_HOSTNAMES)
    first = cert_path.read_bytes()

    assert ensure_self_signed_certificate(cert_path, key_path, DEFAULT_HOSTNAMES) is False
    assert cert_path.read_bytes() == first


def test_force_replaces_a_key_that_was_readable_by_others(paths: tuple[Path, Path]) -> None:
    cert_path, key_path = paths
    ensure_self_signed_certificate(cert_path, key_path, DEFAULT_HOSTNAMES)
    first = cert_path.read_bytes()
    key_path.chmod(0o644)

    assert ensure_self_signed_certificate(cert_path, key_path, DEFAULT_HOSTNAMES, force=True)

    assert cert_path.read_bytes() != first
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


def test_a_missing_key_remakes_both(paths: tuple[Path, Path]) -> None:
    cert_path, key_path = paths
    ensure_self_signed_certificate(cert_path, key_path, DEFAULT_HOSTNAMES)
    key_path.unlink()

    assert ensure_self_signed_certificate(cert_path, key_path, DEFAULT_HOSTNAMES) is True
    assert key_path.exists()


FAKE_MKCERT = """#!/bin/sh
echo "$@" > "$(dirname "$0")/args"
while [ $# -gt 0 ]; do
    case $1 in
        -cert-file) echo cert > "$2"; chmod 644 "$2"; shift ;;
        -key-file) echo key > "$2"; chmod 644 "$2"; shift ;;
    esac
    shift
done
"""


@pytest.mark.subprocess
def test_uses_mkcert_when_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mkcert = bin_dir / "mkcert"
    mkcert.write_text(FAKE_MKCERT)
    mkcert.chmod(0o755)
    # Ahead of the system directories the fake needs, and of any real mkcert.
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    cert_path, key_path = tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem"

    assert ensure_self_signed_certificate(cert_path, key_path, DEFAULT_HOSTNAMES) is True

    arguments = (bin_dir / "args").read_text().split()
    expected = ["-cert-file", str(cert_path), "-key-file", str(key_path), *DEFAULT_HOSTNAMES]
    assert arguments == expected
    assert cert_path.read_text() == "cert\n"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


def test_gen_cert_command_writes_where_settings_say(paths: tuple[Path, Path]) -> None:
    out = io.StringIO()

    with override_settings(TLS_CERT_FILE=paths[0], TLS_KEY_FILE=paths[1]):
        call_command("gen_cert", stdout=out)
        first = paths[0].read_bytes()
        call_command("gen_cert", stdout=out)
        kept = paths[0].read_bytes()
        call_command("gen_cert", "--force", stdout=out)

    assert kept == first
    assert paths[0].read_bytes() != first
    assert out.getvalue().count(f"written to {paths[0]}") == 2
    assert "already exist" in out.getvalue()
