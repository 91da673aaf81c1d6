"""Certificates, keyring policy and TLS contexts (no Qt).

See ``certificates`` (CertificateStore), ``keyring_policy`` and ``tls``.
"""
