"""Prove the signing step works on a built installer, with a throwaway key.

    python packaging/sign_check.py INSTALLER.exe

Generates a self-signed code-signing certificate (never a real one), signs a
*copy* of the installer with packaging/windows/sign.sh (osslsigncode), and
verifies the Authenticode signature against that certificate. Skipped, with a
message, when osslsigncode is not installed. The real key is only ever given
to sign.sh or signtool by the release job (packaging/README.md).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SIGN_SH = Path(__file__).resolve().parent / "windows" / "sign.sh"


def throwaway_pkcs12(directory: Path, password: bytes) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Passerelle TEST (jetable)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(key, hashes.SHA256())
    )
    p12 = directory / "jetable.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"jetable", key, cert, None, serialization.BestAvailableEncryption(password)
        )
    )
    ca = directory / "jetable.pem"
    ca.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return p12, ca


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    installer = Path(sys.argv[1])
    if not shutil.which("osslsigncode"):
        print("signature : ignorée (osslsigncode absent)")
        return 0
    with tempfile.TemporaryDirectory(prefix="passerelle-signature-") as tmp:
        work = Path(tmp)
        password = b"jetable-" + dt.datetime.now().strftime("%H%M%S").encode()
        p12, ca = throwaway_pkcs12(work, password)
        password_file = work / "mot-de-passe"
        password_file.write_bytes(password)
        copy = work / installer.name
        shutil.copyfile(installer, copy)
        env = {"PATH": "/usr/bin:/bin", "SIGN_PKCS12": str(p12),
               "SIGN_PASSWORD_FILE": str(password_file)}
        subprocess.run(["sh", str(SIGN_SH), str(copy)], env=env, check=True)
        verify = subprocess.run(
            ["osslsigncode", "verify", "-CAfile", str(ca), "-in", str(copy)],
            capture_output=True, text=True,
        )
        if verify.returncode != 0 or "Signature verification: ok" not in verify.stdout:
            print(verify.stdout + verify.stderr, file=sys.stderr)
            print("signature : ÉCHEC de la vérification", file=sys.stderr)
            return 1
    print("signature : installateur signé (certificat jetable) et vérifié avec osslsigncode")
    return 0


if __name__ == "__main__":
    sys.exit(main())
