"""deploy/: the image, compose file and Kubernetes manifests agree with each other and with the service.

No Docker engine runs here, so the Dockerfile is checked the way hadolint would (pinned base, non-root user,
exec-form commands, a health check) and its command and health check are run outside a container. What
`kubectl apply -k .` sends is read from the kustomization the way kustomize reads it, and built by `kubectl
kustomize` itself where kubectl is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from connector.config import ServiceConfig, load_config
from connector.health import HEALTHZ_PATH, READYZ_PATH, HealthServer
from connector.store import make_engine

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
KUSTOMIZATION = REPO / "kustomization.yaml"
CONSTRAINTS = DEPLOY / "constraints.txt"
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


def build_stage() -> list[tuple[str, str]]:
    """The instructions of the stage that installs ScoreBridge, from its FROM to the next."""
    instructions = dockerfile_instructions()
    starts = [index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    return instructions[starts[0] + 1 : starts[1]]


def copy_sources(arguments: str) -> list[str]:
    """The sources of a COPY (flags and destination dropped)."""
    return [part for part in arguments.split() if not part.startswith("--")][:-1]


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


def manifests(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomization() -> dict:
    return yaml.safe_load(KUSTOMIZATION.read_text())


def generated_config_maps() -> list[dict]:
    """The ConfigMaps kustomize's configMapGenerator makes: one key per `key=path` file (hash suffix left out)."""
    config_maps = []
    for generator in kustomization()["configMapGenerator"]:
        data = {}
        for entry in generator["files"]:
            key, _, path = entry.rpartition("=")
            data[key or Path(path).name] = (REPO / path).read_text()
        config_maps.append({"kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data})
    return config_maps


def applied_objects() -> list[dict]:
    """What `kubectl apply -k .` sends: the listed resources and the generated objects."""
    resources = [doc for resource in kustomization()["resources"] for doc in manifests(REPO / resource)]
    return resources + generated_config_maps()


def k8s_manifests() -> list[dict]:
    """What deploy/k8s holds: the Deployment with its Service, and the CronJob alternative."""
    return [doc for file in sorted(K8S.glob("*.yaml")) for doc in manifests(file)]


def of_kind(kind: str) -> dict:
    [found] = [doc for doc in k8s_manifests() if doc.get("kind") == kind]
    return found


def pod_specs() -> list[dict]:
    return [
        of_kind("Deployment")["spec"]["template"]["spec"],
        of_kind("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"],
    ]


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


# --- Pinned dependencies, installed before the code ------------------------------------------------------------


def pinned_versions() -> dict[str, str]:
    """deploy/constraints.txt as canonical name -> version; every line must be an exact pin."""
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            match = re.fullmatch(r"([A-Za-z0-9][\w.-]*)==([\w.+!-]+)", line.strip())
            assert match, f"deploy/constraints.txt: {line!r} is not an exact name==version pin"
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def paths_the_package_build_reads() -> set[str]:
    """The files and top-level folders `pip install .` needs, as pyproject.toml names them."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    project, setuptools = pyproject["project"], pyproject["tool"]["setuptools"]
    packages = setuptools["packages"]
    names = packages if isinstance(packages, list) else [name.rstrip("*.") for name in packages["find"]["include"]]
    folders = {name.split(".")[0] for name in names}
    folders |= {path.split("/")[0] for path in setuptools.get("package-dir", {}).values()}
    return folders | {"pyproject.toml", project["readme"], *project.get("license-files", [])}


def test_constraints_pin_every_runtime_dependency_at_a_version_pyproject_allows():
    pins = pinned_versions()
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in map(Requirement, dependencies):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not pinned: run .venv/bin/python deploy/freeze_constraints.py"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]}: {requirement}"


def test_constraints_are_the_versions_the_tests_run_with():
    for name, pinned in pinned_versions().items():
        assert version(name) == pinned, f"{name} {version(name)} is installed, {pinned} pinned for the image"


def test_constraints_hold_every_runtime_dependency_and_no_test_tool():
    script = DEPLOY / "freeze_constraints.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not {"pytest", "ruff", "hypothesis", "responses"} & set(pinned_versions())


def test_dependencies_install_from_the_constraints_before_the_code_is_copied():
    stage = build_stage()
    [install] = [at for at, (keyword, rest) in enumerate(stage) if keyword == "RUN" and "constraints.txt" in rest]
    assert "pip install" in stage[install][1] and "--requirement constraints.txt" in stage[install][1]
    copied_before = [source for keyword, rest in stage[:install] if keyword == "COPY" for source in copy_sources(rest)]
    # Only the pins: a change to the code, the README or the version leaves the dependency layer cached.
    assert copied_before == ["deploy/constraints.txt"]
    copied_after = {source for keyword, rest in stage[install:] if keyword == "COPY" for source in copy_sources(rest)}
    assert paths_the_package_build_reads() <= copied_after
    assert all((REPO / source).exists() for source in copied_after), copied_after
    [package] = [rest for keyword, rest in stage[install + 1 :] if keyword == "RUN" and "pip install" in rest]
    assert "--no-deps" in package and "pip check" in package


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


def test_every_manifest_parses_and_the_kustomization_lists_existing_files():
    for file in K8S.glob("*.yaml"):
        assert manifests(file), f"{file.name} is empty"
    for resource in kustomization()["resources"]:
        assert (REPO / resource).is_file(), resource


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


def test_configmap_is_generated_from_the_files_the_pods_mount():
    assert not (DEPLOY / "render_configmap.py").exists()
    [generator] = kustomization()["configMapGenerator"]
    for entry in generator["files"]:
        path = REPO / entry.rpartition("=")[2]
        assert path.is_file(), f"kustomization.yaml: the configMapGenerator names {path}, which does not exist"
        # kustomize reads generator files only below the kustomization's folder (its default load restrictor)
        assert path.resolve().is_relative_to(KUSTOMIZATION.parent), path
    assert [doc for doc in k8s_manifests() if doc["kind"] == "ConfigMap"] == [], "a second, hand-kept ConfigMap"
    data = generated_config_maps()[0]["data"]
    assert data["connector.yaml"] == (DEPLOY / "connector.yaml").read_text()
    for key, text in data.items():
        assert isinstance(yaml.safe_load(text), dict), f"{key} is not a YAML mapping"
    for pod in pod_specs():
        config = {volume["name"]: volume for volume in pod["volumes"]}["config"]["configMap"]
        assert config["name"] == generator["name"]
        assert {item["key"] for item in config["items"]} <= set(data)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_kustomize_builds_what_these_tests_read():
    result = subprocess.run(["kubectl", "kustomize", str(REPO)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    built = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert sorted(doc["kind"] for doc in built) == sorted(doc["kind"] for doc in applied_objects())
    [config_map] = [doc for doc in built if doc["kind"] == "ConfigMap"]
    assert config_map["data"] == generated_config_maps()[0]["data"]
    [deployment] = [doc for doc in built if doc["kind"] == "Deployment"]
    volumes = {volume["name"]: volume for volume in deployment["spec"]["template"]["spec"]["volumes"]}
    # The hash in the name is what rolls the pods when a mapping or the connector file changes.
    assert volumes["config"]["configMap"]["name"] == config_map["metadata"]["name"] != "scorebridge-config"


def test_applying_the_kustomization_never_replaces_the_secret():
    # A Secret among what `kubectl apply -k` sends would overwrite the real credentials with its placeholders.
    assert "secretGenerator" not in kustomization()
    assert [doc for doc in applied_objects() if doc["kind"] == "Secret"] == []
    for file in DEPLOY.rglob("*.yaml"):  # nor may `kubectl apply -f deploy/k8s` (or any file here) do it
        assert all(doc.get("kind") != "Secret" for doc in manifests(file)), file


def test_pods_and_compose_read_the_secret_files_the_docs_create():
    operations = (REPO / "docs" / "operations.md").read_text()
    for pod in pod_specs():
        secret = {volume["name"]: volume for volume in pod["volumes"]}["secrets"]["secret"]
        reference = {each["name"]: each for each in pod["containers"][0]["env"]}["SCOREBRIDGE_DATABASE_URL"]
        reference = reference["valueFrom"]["secretKeyRef"]
        assert reference["name"] == secret["secretName"]
        assert f"kubectl create secret generic {secret['secretName']} --from-file=deploy/secrets/" in operations
        for key in {item["key"] for item in secret["items"]} | {reference["key"]}:
            assert f"deploy/secrets/{key}" in operations, f"docs/operations.md does not say to write {key}"
    mounted = {item["key"] for item in secret["items"]}
    assert {Path(each["file"]).name for each in compose()["secrets"].values()} == mounted


def test_cronjob_asks_for_the_resources_the_deployment_does():
    resources = cronjob_container().get("resources")
    assert resources == deployment_container()["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"]


def test_credentials_stay_out_of_git_and_out_of_the_image_build():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("deploy/secrets/hubspot-access-token", "deploy/.env"):
        result = subprocess.run(["git", "check-ignore", "--quiet", "--no-index", path], cwd=REPO, timeout=30)
        assert result.returncode == 0, f"{path} is not git-ignored"
    assert {"deploy/secrets", "deploy/.env"} <= set((DEPLOY / "Dockerfile.dockerignore").read_text().splitlines())


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
