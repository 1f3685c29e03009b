"""deploy/: the image, compose file and Kubernetes manifests agree with each other and with the service.

No Docker engine runs here, so the Dockerfile is checked the way hadolint would (pinned base, non-root user,
exec-form commands, a health check) and its command and health check are run outside a container.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from connector.config import ServiceConfig, load_config
from connector.health import HEALTHZ_PATH, READYZ_PATH, HealthServer
from connector.store import make_engine

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
SCOREBRIDGE = Path(sys.executable).parent / "scorebridge"
PORT = ServiceConfig().port


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    logical, pending = [], ""
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.lstrip().startswith("#") and not pending:
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if pending.strip():
            keyword, _, rest = pending.strip().partition(" ")
            logical.append((keyword.upper(), rest.strip()))
        pending = ""
    return logical


def instruction(name: str) -> list[str]:
    return [rest for keyword, rest in dockerfile_instructions() if keyword == name]


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form ENTRYPOINT/CMD; shell form is a hadolint finding (DL3025)."""
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(part, str) for part in value), arguments
    return value


def base_images() -> list[str]:
    defaults = dict(arg.split("=", 1) for arg in instruction("ARG") if "=" in arg)
    images = []
    for from_args in instruction("FROM"):
        image = from_args.split()[0]
        images.append(re.sub(r"\$\{(\w+)\}", lambda match: defaults[match.group(1)], image))
    return images


def manifests(name: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def of_kind(kind: str) -> dict:
    [found] = [doc for file in K8S.glob("*.yaml") for doc in manifests(file.name) if doc.get("kind") == kind]
    return found


def deployment_container() -> dict:
    return of_kind("Deployment")["spec"]["template"]["spec"]["containers"][0]


def cronjob_container() -> dict:
    return of_kind("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def project_version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


# --- Dockerfile, hadolint-style -------------------------------------------------------------------------------


def test_image_is_multi_stage_on_a_pinned_slim_python_311():
    images = base_images()
    assert len(images) >= 2
    assert any("--from=build" in copy for copy in instruction("COPY"))
    for image in images:
        name, _, tag = image.partition(":")
        assert name == "python"
        assert re.fullmatch(r"3\.11\.\d+-slim(-\w+)?", tag), f"{image}: pin a 3.11 patch release of a slim image"


def test_no_image_anywhere_uses_latest_or_no_tag():
    images = [*base_images(), deployment_container()["image"], cronjob_container()["image"]]
    images += [service["image"] for service in compose()["services"].values()]
    for image in images:
        assert ":" in image.rsplit("/", 1)[-1], f"{image} has no tag"
        assert not image.endswith(":latest"), image


def test_image_runs_as_a_non_root_user():
    users = instruction("USER")
    assert users, "no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_image_has_a_health_check_on_healthz():
    [check] = instruction("HEALTHCHECK")
    assert HEALTHZ_PATH in check
    assert "--interval=" in check and "--timeout=" in check


def test_pip_keeps_no_cache_in_the_image():
    for run in instruction("RUN"):
        if "pip install" in run:
            assert "--no-cache-dir" in run


def test_entrypoint_is_scorebridge_serve_and_exposes_the_service_port():
    assert exec_form(instruction("ENTRYPOINT")[-1]) == ["scorebridge"]
    assert exec_form(instruction("CMD")[-1])[0] == "serve"
    assert instruction("EXPOSE") == [str(PORT)]


def test_the_image_command_runs_outside_a_container():
    command = exec_form(instruction("CMD")[-1])
    entrypoint = exec_form(instruction("ENTRYPOINT")[-1])
    assert entrypoint == [SCOREBRIDGE.name]
    result = subprocess.run([str(SCOREBRIDGE), command[0], "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for option in (part for part in command if part.startswith("--")):
        assert option in result.stdout, f"`{command[0]}` has no {option} option"


def health_check_command() -> list[str]:
    [check] = instruction("HEALTHCHECK")
    command = exec_form(check.split(" CMD ", 1)[1])
    assert command[0] == "python"
    return [sys.executable, *command[1:]]


def test_the_health_check_passes_against_a_live_service(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    server = HealthServer(engine, {}, host="127.0.0.1", port=0, max_failing_seconds=60)
    server.start()
    try:
        env = {"SCOREBRIDGE_SERVICE__PORT": str(server.port), "PATH": "/usr/bin:/bin"}
        result = subprocess.run(health_check_command(), env=env, capture_output=True, text=True, timeout=30)
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr


def test_the_health_check_fails_when_nothing_answers():
    env = {"SCOREBRIDGE_SERVICE__PORT": "9", "PATH": "/usr/bin:/bin"}  # the discard port: nothing listens
    result = subprocess.run(health_check_command(), env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0


# --- Kubernetes and compose ------------------------------------------------------------------------------------


def test_every_manifest_parses_and_kustomize_lists_existing_files():
    for file in K8S.glob("*.yaml"):
        assert manifests(file.name), f"{file.name} is empty"
    for resource in manifests("kustomization.yaml")[0]["resources"]:
        assert (K8S / resource).exists(), resource


def test_deployment_cronjob_and_compose_run_the_same_released_image():
    image = deployment_container()["image"]
    assert image == cronjob_container()["image"] == compose()["services"]["scorebridge"]["image"]
    assert image.endswith(f":{project_version()}")


def test_deployment_runs_the_image_command_on_the_service_port():
    container = deployment_container()
    assert container["args"] == exec_form(instruction("CMD")[-1])
    [port] = container["ports"]
    assert (port["name"], port["containerPort"]) == ("http", PORT)
    service = of_kind("Service")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert compose()["services"]["scorebridge"]["ports"] == [f"{PORT}:{PORT}"]


def test_probes_use_the_service_endpoints():
    container = deployment_container()
    assert container["livenessProbe"]["httpGet"] == {"path": HEALTHZ_PATH, "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": READYZ_PATH, "port": "http"}


def test_pods_run_as_the_image_user_and_allow_time_to_checkpoint():
    pod = of_kind("Deployment")["spec"]["template"]["spec"]
    image_uid = instruction("USER")[-1].split(":")[0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == image_uid
    assert pod["terminationGracePeriodSeconds"] >= 60
    assert of_kind("Deployment")["spec"]["replicas"] == 1


def test_mounted_config_and_secret_keys_exist():
    config_keys = set(of_kind("ConfigMap")["data"])
    secret_keys = set(of_kind("Secret")["stringData"])
    for pod in (of_kind("Deployment")["spec"]["template"]["spec"],
                of_kind("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]):  # fmt: skip
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert {item["key"] for item in volumes["config"]["configMap"]["items"]} <= config_keys
        assert {item["key"] for item in volumes["secrets"]["secret"]["items"]} <= secret_keys
        env = {each["name"]: each for each in pod["containers"][0]["env"]}
        assert env["SCOREBRIDGE_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] in secret_keys


def test_configmap_carries_the_connector_file_and_a_mapping_for_each_mount():
    sys.path.insert(0, str(DEPLOY))
    try:
        from render_configmap import SOURCES
    finally:
        sys.path.remove(str(DEPLOY))
    data = of_kind("ConfigMap")["data"]
    assert set(data) == set(SOURCES)
    # The mappings are the admins' copies and may differ from the repository's defaults; the connector file may not.
    assert data["connector.yaml"] == (DEPLOY / "connector.yaml").read_text(), "run: python deploy/render_configmap.py"
    for key, text in data.items():
        assert isinstance(yaml.safe_load(text), dict), f"{key} is not a YAML mapping"


def test_connector_file_in_the_image_finds_every_file_it_names():
    config = load_config(DEPLOY / "connector.yaml")
    items = of_kind("Deployment")["spec"]["template"]["spec"]["volumes"][0]["configMap"]["items"]
    mounted = {item["path"] for item in items}
    named = {str(connection.mapping) for connection in config.connections} | {str(config.model)}
    assert named <= mounted
    assert config.service.port == PORT


def test_compose_mounts_the_connector_file_and_waits_for_postgres():
    service = compose()["services"]["scorebridge"]
    sources = [volume.split(":")[0] for volume in service["volumes"]]
    for source in sources:
        assert (DEPLOY / source).exists(), source
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert service["environment"]["SCOREBRIDGE_DATABASE_URL"].startswith("postgresql://")


def test_cronjob_alternative_runs_scorebridge_sync_with_options_it_knows():
    args = cronjob_container()["args"]
    assert args[0] == "sync"
    help_text = subprocess.run([str(SCOREBRIDGE), "sync", "--help"], capture_output=True, text=True, timeout=60)
    if help_text.returncode != 0 and "No such command" in help_text.stderr + help_text.stdout:
        pytest.skip("`scorebridge sync` is not in the CLI yet")
    assert help_text.returncode == 0, help_text.stderr
    for option in (part for part in args if part.startswith("--")):
        assert option in help_text.stdout, f"`sync` has no {option} option"


def test_sandbox_example_names_files_that_exist():
    config = load_config(REPO / "examples" / "connector.yaml")
    for connection in config.connections:
        assert config.resolve(connection.mapping).exists(), connection.mapping
    assert config.model_path().exists()
    assert {connection.crm for connection in config.connections} == {"salesforce", "hubspot"}
