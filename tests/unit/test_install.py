"""ScoreBridge as people install it: the built wheel in a fresh virtual environment, used from an empty folder.

The wheel is built from a copy of the project's files, installed with its dependencies by pip as configured on
the machine (a package index, or PIP_FIND_LINKS / PIP_NO_INDEX for a wheelhouse), and every command runs in a
folder that holds nothing of the checkout, with no PYTHONPATH: what works here works after `pipx install`.
Building the environment takes 30-60 s, hence `slow`; the package list check at the top is fast.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
#: What the wheel is built from: the project's own files, nothing the checkout has gathered (venv, caches, stores).
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "connector", "adapters", "mappings")


def test_every_package_folder_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(folder.relative_to(ROOT).parts)
        for top in ("connector", "adapters")
        for folder in [ROOT / top, *(ROOT / top).rglob("*")]
        if folder.is_dir() and any(folder.glob("*.py"))
    }
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_the_readme_links_work_where_a_package_index_shows_it():
    links = re.findall(r"\]\(([^)\s]+)\)", (ROOT / "README.md").read_text())
    assert links and [link for link in links if not link.startswith(("https://", "#"))] == []


def test_the_metadata_names_the_license_and_where_the_project_lives():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"  # an SPDX expression: setuptools deprecates the {text = ...} table
    assert [(ROOT / name).is_file() for name in project["license-files"]] == [True]
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(project["urls"])


@dataclass(frozen=True)
class Installed:
    """A fresh virtual environment holding the wheel, and an empty folder to run it from."""

    venv: Path
    workdir: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def scorebridge(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("scorebridge", *args)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("install")
    source = _copy_of_the_project(base / "source")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _check(subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(base / "dist"), str(source)],
                          env=env, capture_output=True, text=True, timeout=300))  # fmt: skip
    (wheel,) = (base / "dist").glob("scorebridge-*.whl")
    venv = base / "venv"
    _check(subprocess.run([sys.executable, "-m", "venv", str(venv)], env=env, capture_output=True, text=True))
    _check(subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", str(wheel)],
                          env=env, capture_output=True, text=True, timeout=600))  # fmt: skip
    workdir = base / "empty"
    workdir.mkdir()
    return Installed(venv, workdir, env)


def _copy_of_the_project(source: Path) -> Path:
    source.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    return source


def _check(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.slow
def test_the_installed_package_runs_from_the_venv_not_the_checkout(installed):
    where = _check(installed.run("python", "-c", "import connector, sys; print(connector.__file__); print(sys.path)"))
    module_file, search_path = where.stdout.splitlines()

    assert Path(module_file).is_relative_to(installed.venv)
    assert str(ROOT) not in search_path


@pytest.mark.slow
def test_help_lists_init_and_the_shipped_model_validates(installed):
    assert "init" in _check(installed.scorebridge("--help")).stdout
    validated = _check(installed.scorebridge("validate"))
    assert validated.stdout.startswith(str(installed.venv)), validated.stdout
    assert "connector/default_mappings/scoring.yaml: valid" in validated.stdout


@pytest.mark.slow
def test_init_writes_a_project_that_validates(installed):
    _check(installed.scorebridge("init", "starter"))
    checked = _check(installed.scorebridge("validate", "--config", "starter/connector.yaml"))
    assert "starter/connector.yaml: valid (2 connection(s))" in checked.stdout


@pytest.mark.slow
def test_the_demo_runs_outside_a_clone(installed):
    demo = installed.scorebridge("demo", "--contacts", "50", "--workdir", "demo")
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "second sync" in demo.stdout


@pytest.mark.slow
def test_a_sync_against_the_sandbox_from_an_init_project(installed):
    serving = subprocess.Popen(
        [str(installed.venv / "bin" / "scorebridge"), "sandbox", "serve", "--crm", "salesforce", "--generate", "30",
         "--json"],
        cwd=installed.workdir, env=installed.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        info = json.loads(serving.stdout.readline())
        config = _salesforce_project(installed.workdir / "sandboxed", info)
        _check(installed.scorebridge("init", "sandboxed", "--force"))
        config.write_text(yaml.safe_dump(_salesforce_connector(info)))
        setup = _check(installed.scorebridge("setup", "--config", "sandboxed/connector.yaml"))
        synced = installed.scorebridge("sync", "--config", "sandboxed/connector.yaml", "--log-format", "json")
    finally:
        serving.terminate()
        serving.wait(timeout=30)
    assert "created" in setup.stdout
    assert synced.returncode == 0, synced.stdout[-3000:] + synced.stderr[-3000:]
    assert (installed.workdir / "sandboxed" / "scorebridge.db").is_file()


def _salesforce_project(folder: Path, info: dict) -> Path:
    """The secrets and CA bundle the sandbox printed, as files inside the project folder."""
    (folder / "secrets").mkdir(parents=True)
    (folder / "secrets" / "client-secret").write_text(info["client_secret"])
    (folder / "secrets" / "password").write_text(info["password"])
    shutil.copy(info["ca_file"], folder / "secrets" / "ca.pem")
    return folder / "connector.yaml"


def _salesforce_connector(info: dict) -> dict:
    settings = {
        "auth": "password",
        "login_url": info["base_url"],
        "username": info["username"],
        "consumer_key": info["client_id"],
        "consumer_secret": {"file": "secrets/client-secret"},
        "password": {"file": "secrets/password"},
        "ca_bundle": "secrets/ca.pem",
    }
    connection = {"name": "sandbox", "crm": "salesforce", "mapping": "mappings/salesforce.yaml", "settings": settings}
    return {"database_url": "sqlite:///scorebridge.db", "model": "mappings/scoring.yaml", "connections": [connection]}
