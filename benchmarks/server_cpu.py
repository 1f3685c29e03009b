"""CPU seconds a local PostgreSQL server spends for one client, read from /proc while the client's backends live.

On a machine shared with other work, wall time moves with the load but CPU time hardly does, so the import
benchmark prints the server's CPU beside the client's. A client is recognized by its ``application_name``
(https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-APPLICATION-NAME), which the benchmark
puts in the store URL; backends are found in `pg_stat_activity`. Only for a server on this machine (Linux /proc).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from benchmarks.sampling import BackgroundSampler

#: How often the backends are looked up and read: a backend's last fraction of this is not counted.
POLL_SECONDS = 0.05
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process (proc(5), fields 14 and 15), None once it is gone or not here."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def with_application_name(url: str, name: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}application_name={quote(name)}"


class ServerCpu(BackgroundSampler):
    """Context manager: CPU seconds (`seconds`) of every backend named ``application_name`` while it runs."""

    def __init__(self, admin_url: str, application_name: str) -> None:
        super().__init__()
        self._admin_url = admin_url
        self._name = application_name
        self._latest: dict[int, float] = {}

    @property
    def seconds(self) -> float:
        return sum(self._latest.values())

    def _sample(self) -> None:
        import psycopg

        with psycopg.connect(self._admin_url.replace("+psycopg", ""), autocommit=True) as connection:
            while not self.stopped(POLL_SECONDS):
                query = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
                for (pid,) in connection.execute(query, (self._name,)).fetchall():
                    seconds = backend_cpu(pid)
                    if seconds is not None:
                        self._latest[pid] = seconds
