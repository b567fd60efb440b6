"""TEST FIXTURE: a self-signed certificate for the stand-in's TLS listener, made with the openssl binary.

The certificate names 127.0.0.1 (subjectAltName IP) and localhost, so a client that trusts it
through ``ca_bundle`` verifies the host name too; one that uses the default trust store does not.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path


def available() -> bool:
    return shutil.which("openssl") is not None


def self_signed(folder: Path) -> tuple[Path, Path]:
    """(certificate, private key) PEM files in ``folder``."""
    cert, key = folder / "stand-in-cert.pem", folder / "stand-in-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
