"""Write deploy/constraints.txt: ScoreBridge's runtime dependencies, pinned at the versions installed and tested here.

Run it with the virtual environment the tests ran in, after changing the dependencies in pyproject.toml or
upgrading the environment:

    .venv/bin/python deploy/freeze_constraints.py          # rewrite deploy/constraints.txt
    .venv/bin/python deploy/freeze_constraints.py --check  # exit 1 when the file is out of date

Unlike `pip freeze`, it leaves out the test and lint tools of the `dev` extra: it walks the requirements of
pyproject.toml through the installed packages' own metadata, extras included (`pyjwt[crypto]` brings
`cryptography`), evaluating environment markers for this interpreter and platform, which are the image's
(Linux, CPython 3.11).
"""

from __future__ import annotations

import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "deploy" / "constraints.txt"
HEADER = """\
# ScoreBridge's runtime dependencies at the versions its tests passed with; deploy/Dockerfile installs exactly these.
# Generated: .venv/bin/python deploy/freeze_constraints.py   (tests/service/test_deploy.py checks it is current)
"""


def project_requirements() -> list[Requirement]:
    """The runtime requirements pyproject.toml declares (not the optional extras)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in project["dependencies"]]


def _wanted(requirement: Requirement, extra: str) -> bool:
    return requirement.marker is None or requirement.marker.evaluate({"extra": extra})


def installed_closure(roots: list[Requirement]) -> dict[str, str]:
    """Canonical name -> installed version of every distribution the roots need here, transitively."""
    pins: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    pending = [requirement for requirement in roots if _wanted(requirement, "")]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        try:
            found = distribution(requirement.name)
        except PackageNotFoundError:
            sys.exit(f"{requirement.name} is required but not installed in {sys.prefix}: install the project first")
        pins[name] = found.version
        for extra in ("", *sorted(requirement.extras)):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            needed = [Requirement(line) for line in found.requires or ()]
            pending += [each for each in needed if _wanted(each, extra)]
    return pins


def render(pins: dict[str, str]) -> str:
    return HEADER + "".join(f"{name}=={pins[name]}\n" for name in sorted(pins))


def main(argv: list[str]) -> int:
    text = render(installed_closure(project_requirements()))
    if "--check" in argv:
        if TARGET.exists() and TARGET.read_text() == text:
            return 0
        print(f"{TARGET.relative_to(ROOT)} is out of date: run {sys.executable} {Path(__file__).relative_to(ROOT)}")
        return 1
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
