"""The simulator's SNS signing identity (R-PAY-3): an RSA key and a self-signed X.509 certificate.

Generated at startup. The certificate is served at `/_sim/sns/<cert_name>` and named in every
message's `SigningCertURL` as `https://sns.<region>.amazonaws.com/<cert_name>`, so the webhook's
URL checks run unchanged; in development the verifier fetches it from the simulator
(`MANABI_PAYMENT_SNS_CERT_FETCH_BASE_URL`).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


class SnsSigner:
    def __init__(self, *, region: str, key_size: int = 2048) -> None:
        self.region = region
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        now = datetime.now(UTC)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Manabi provider simulator"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"sns.{region}.amazonaws.com"),
            ]
        )
        # Valid long before and after "now": the app's test clock may move years either way.
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=3650))
            .not_valid_after(now + timedelta(days=3650))
            .sign(self._key, hashes.SHA256())
        )
        self.certificate_pem = self.certificate.public_bytes(serialization.Encoding.PEM)
        digest = hashlib.sha256(self.certificate_pem).hexdigest()[:32]
        self.cert_name = f"SimpleNotificationService-{digest}.pem"

    @property
    def signing_cert_url(self) -> str:
        return f"https://sns.{self.region}.amazonaws.com/{self.cert_name}"

    def sign(self, string_to_sign: bytes, *, signature_version: str) -> str:
        """SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA; base64."""
        algorithm: hashes.HashAlgorithm = (
            hashes.SHA1()  # noqa: S303 - SNS SignatureVersion 1 is SHA1withRSA by definition
            if signature_version == "1"
            else hashes.SHA256()
        )
        signature = self._key.sign(string_to_sign, padding.PKCS1v15(), algorithm)
        return base64.b64encode(signature).decode("ascii")
