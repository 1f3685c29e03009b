"""The REST API versions the stand-in serves, and Salesforce's answer for one it does not.

Salesforce retired API versions 21.0 through 30.0 in Summer '25
(https://help.salesforce.com/s/articleView?id=000389618), and the newest release in December 2026 is Winter '27,
API 68.0. A path under another version is a plain 404 NOT_FOUND, the same answer as any unknown resource; the
`/services/data/` listing names every served version, as the real one does.
"""

from __future__ import annotations

from adapters.sandbox.salesforce.api_errors import not_found

OLDEST_MAJOR = 31
NEWEST_MAJOR = 68
#: Release names of the last few versions, for the `/services/data/` listing (three releases a year).
RELEASES = ("Winter", "Spring", "Summer")


def served_versions() -> list[str]:
    return [f"{major}.0" for major in range(OLDEST_MAJOR, NEWEST_MAJOR + 1)]


def check_version(version: str) -> None:
    """Raise the 404 NOT_FOUND Salesforce answers for `/services/data/vXX.X/...` of a version it does not serve."""
    if version not in served_versions():
        raise not_found()


def version_listing() -> list[dict[str, str]]:
    """`GET /services/data/`: one entry per version, oldest first, each with its release label and url."""
    return [
        {"label": _label(version), "url": f"/services/data/v{version}", "version": version}
        for version in served_versions()
    ]


def _label(version: str) -> str:
    # Version 59.0 is Winter '24; each version after it is the next of the three releases of a year.
    steps = int(float(version)) - 59
    season = RELEASES[steps % 3]
    year = 24 + steps // 3
    return f"{season} '{year:02d}"
