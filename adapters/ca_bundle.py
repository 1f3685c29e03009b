"""The CA bundle a connection names (`settings.ca_bundle`), checked when its client is built.

Both HTTP stacks would only notice a missing file on the first request, deep inside a TLS handshake: requests
as "Could not find a suitable TLS CA certificate bundle", urllib3 as a FileNotFoundError.
"""

from __future__ import annotations

from pathlib import Path

from connector.errors import ConfigError

CA_BUNDLE_KEY = "settings.ca_bundle"


def ca_bundle_file(path: Path | None) -> str | None:
    """The bundle's path for the HTTP library; None (the system's trust store) when none is set."""
    if path is None:
        return None
    if not path.is_file():
        raise ConfigError(f"the CA bundle {path} is not a file (no such file, or a folder)", key=CA_BUNDLE_KEY)
    return str(path)
