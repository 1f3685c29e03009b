"""The scoring model and CRM mappings shipped inside the package, and which file a command uses when none is named.

Precedence, the same for every command: a file named on the command line or in the connector file; else
`mappings/<name>` in the project folder (the connector file's folder, or the working directory when there is no
connector file), which is where a clone and `scorebridge init` keep them; else the copy shipped in the package.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: pyproject.toml installs the top-level mappings/ folder as this package, so a wheel carries the same files.
PACKAGE = "connector.default_mappings"
#: Where a project folder keeps its model and mappings.
PROJECT_MAPPINGS = Path("mappings")
MODEL_FILE = "scoring.yaml"


def packaged_file(name: str) -> Path:
    """A file shipped in the package (`scoring.yaml`, `salesforce.yaml`, `hubspot.yaml`, `examples/...`)."""
    # pip and pipx install wheels unpacked, and an editable install points at the checkout: always a real file.
    return Path(str(files(PACKAGE).joinpath(name)))


def project_or_packaged(name: str, folder: Path = Path()) -> Path:
    """`mappings/NAME` in this project folder when it exists there, else the copy shipped in the package."""
    local = folder / PROJECT_MAPPINGS / name
    return local if local.is_file() else packaged_file(name)


def default_model_path(folder: Path = Path()) -> Path:
    """The scoring model a command uses when none is named (see the module's precedence)."""
    return project_or_packaged(MODEL_FILE, folder)


def mapping_file_name(crm: str) -> str:
    return f"{crm}.yaml"
