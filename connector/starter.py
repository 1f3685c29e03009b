"""`scorebridge init`: a project folder to start from, a connector file plus the shipped model and mappings.

The files are the user's to edit and may come to hold org details, so they are created private (0600 files in
0700 folders) and never overwrite what is there unless the user says so.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from connector.defaults import MODEL_FILE, PROJECT_MAPPINGS, mapping_file_name, packaged_file
from connector.errors import InputError
from connector.private_files import make_private_dir, open_private

CONNECTOR_FILE = "connector.yaml"
STARTER_CRMS = ("salesforce", "hubspot")


def starter_files(folder: Path) -> dict[Path, str]:
    """Each file `init` writes in `folder`, with its text."""
    texts = {folder / CONNECTOR_FILE: files("connector").joinpath("starter_connector.yaml").read_text()}
    for name in (MODEL_FILE, *(mapping_file_name(crm) for crm in STARTER_CRMS)):
        texts[folder / PROJECT_MAPPINGS / name] = packaged_file(name).read_text()
    return texts


def write_starter_project(folder: Path, *, force: bool = False) -> list[Path]:
    """Write the starter files; without `force`, refuse before writing anything if one of them exists."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"init {folder}: not a folder")
    texts = starter_files(folder)
    existing = [path for path in texts if path.exists()]
    if existing and not force:
        names = ", ".join(str(path) for path in existing)
        raise InputError(f"init {folder}: already there: {names}; nothing written (--force overwrites them)")
    try:
        for path, text in texts.items():
            make_private_dir(path.parent)
            with open_private(path, "w", encoding="utf-8") as out:
                out.write(text)
    except OSError as error:
        raise InputError(f"init {folder}: cannot write {error.filename}: {error.strerror}") from None
    return list(texts)


def next_steps(folder: Path) -> str:
    """What to do after `init`, as commands that work from any directory."""
    config = folder / CONNECTOR_FILE
    return "\n".join(
        [
            f"Next: edit {config} (the integration user, the connected app's key, where each secret is); then",
            f"  scorebridge validate --config {config}",
            f"  scorebridge validate --config {config} --online",
            f"  scorebridge setup --config {config}",
            f"  scorebridge sync --config {config} --dry-run",
            f"The model and mappings to adapt are in {folder / PROJECT_MAPPINGS}. No CRM yet? scorebridge demo",
        ]
    )
