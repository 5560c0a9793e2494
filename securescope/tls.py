"""TLS material for the embedded server: a local certificate made on first start.

mkcert is preferred when installed, because its local CA can be trusted by the browser
(`mkcert -install`); otherwise a self-signed certificate is made with `cryptography`, so no
openssl binary is needed.
"""

import datetime
import ipaddress
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_HOSTNAMES = ["localhost", "securescope.local", "127.0.0.1", "::1"]
# The longest validity Apple platforms (and so Safari) accept for a TLS server certificate.
VALIDITY = datetime.timedelta(days=825)
# Tolerates a client clock a little behind ours.
BACKDATE = datetime.timedelta(minutes=5)


def ensure_self_signed_certificate(
    cert_path: Path, key_path: Path, hostnames: list[str], *, force: bool = False
) -> bool:
    """Make a certificate and key for `hostnames` unless both files exist already.

    Returns True when it wrote them. The key is never readable by anyone but its owner, not even
    while it is being written.
    """
    if not force and cert_path.exists() and key_path.exists():
        return False
    for directory in {cert_path.parent, key_path.parent}:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    mkcert = shutil.which("mkcert")
    if mkcert:
        _run_mkcert(mkcert, cert_path, key_path, hostnames)
    else:
        cert_pem, key_pem = _self_signed_pem(hostnames)
        _write_atomically(key_path, key_pem, mode=0o600)
        _write_atomically(cert_path, cert_pem, mode=0o644)
    return True


def _run_mkcert(mkcert: str, cert_path: Path, key_path: Path, hostnames: list[str]) -> None:
    # The umask keeps the key private even if a mkcert version writes it with a wider mode.
    subprocess.run(  # noqa: S603 - fixed executable found on PATH, arguments are our own
        [mkcert, "-cert-file", str(cert_path), "-key-file", str(key_path), *hostnames],
        check=True,
        umask=0o077,
        timeout=60,
    )
    key_path.chmod(0o600)
    cert_path.chmod(0o644)


def _self_signed_pem(hostnames: list[str]) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SecureScope (self-signed)"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(_general_names(hostnames)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def _general_names(hostnames: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for hostname in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(hostname)))
        except ValueError:
            names.append(x509.DNSName(hostname))
    return names


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    # mkstemp creates the file 0600 with O_EXCL, so the key is private from its first byte; the
    # rename replaces (never reuses) an existing file whose mode may be wider, and a crash never
    # leaves half a key in place.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
