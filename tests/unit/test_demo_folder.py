"""`scorebridge demo --workdir DIR` replaces only a folder it wrote itself: never a folder holding other files."""

import stat

from typer.testing import CliRunner

from connector.cli import app
from connector.demo import DEMO_MARKER, prepare_demo_folder
from connector.errors import InputError


def test_demo_refuses_a_folder_holding_someone_elses_files(tmp_path):
    (tmp_path / "thesis.tex").write_text("three years of work")

    result = CliRunner().invoke(app, ["demo", "--workdir", str(tmp_path), "--contacts", "10"])

    assert isinstance(result.exception, InputError), result.output
    assert str(tmp_path) in str(result.exception)
    assert (tmp_path / "thesis.tex").read_text() == "three years of work"


def test_a_previous_demos_folder_is_replaced(tmp_path):
    folder = tmp_path / "demo"
    prepare_demo_folder(folder)
    (folder / "store.db").write_text("the last demo's store")

    prepare_demo_folder(folder)

    assert sorted(path.name for path in folder.iterdir()) == [DEMO_MARKER]


def test_a_new_or_empty_folder_becomes_a_private_demo_folder(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "new" / "demo"):
        prepare_demo_folder(folder)
        assert (folder / DEMO_MARKER).is_file()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_file_in_place_of_the_folder_is_one_line(tmp_path):
    (tmp_path / "demo").write_text("")
    result = CliRunner().invoke(app, ["demo", "--workdir", str(tmp_path / "demo")])
    assert isinstance(result.exception, InputError)
    assert "not a folder" in str(result.exception)
