"""A throwaway certificate authority and a loopback server certificate, so sandboxes can speak HTTPS.

simple-salesforce hard-codes ``https://``, so the Salesforce sandbox has to serve TLS. The CA is made fresh at every
start; clients trust it by file. `requests` lets ``REQUESTS_CA_BUNDLE`` override ``Session.verify``, so a client
session needs ``trust_env = False`` as well (see `trusting_session`).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import requests
import trustme

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class LoopbackTls:
    """The CA file a client must trust and the server-side TLS context that goes with it."""

    ca_file: Path
    server_context: ssl.SSLContext


def make_loopback_tls(directory: Path) -> LoopbackTls:
    """Make a CA and a certificate for the loopback names; write the CA PEM to ``directory/sandbox-ca.pem``."""
    authority = trustme.CA(organization_name="ScoreBridge sandbox")
    leaf = authority.issue_cert(*LOOPBACK_NAMES)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    directory.mkdir(parents=True, exist_ok=True)
    ca_file = directory / "sandbox-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return LoopbackTls(ca_file=ca_file, server_context=context)


def trusting_session(ca_file: Path | str) -> requests.Session:
    """A `requests` session that trusts only the sandbox CA, whatever ``REQUESTS_CA_BUNDLE`` says."""
    session = requests.Session()
    session.trust_env = False  # otherwise REQUESTS_CA_BUNDLE silently replaces `verify`
    session.verify = str(ca_file)
    return session
