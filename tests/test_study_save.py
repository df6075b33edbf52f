"""Saving a study: checked before work, atomic, and overwrite removes exactly the earlier study."""

import errno
import json

import pytest

import radfuse.report as report_module
import radfuse.report._save as save_module
from radfuse.config import load_study_config
from radfuse.study import example_study_result
from radfuse.study._result import STUDY_MANIFEST


@pytest.fixture(scope="module")
def result():
    return example_study_result()


@pytest.fixture
def no_figures(monkeypatch):
    """Figures are irrelevant to which files a save replaces; skipping them saves minutes."""
    monkeypatch.setattr(save_module, "study_figures", lambda result, **options: {})


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_saving_into_a_non_empty_folder_needs_overwrite_and_is_checked_first(result, tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.setattr(report_module, "save_study", lambda *a, **k: pytest.fail("work started"))
    with pytest.raises(FileExistsError, match=r"StudyResult.save: .* already holds 1 file\(s\) \(e.g. \['notes.txt'\]\); pass overwrite=True"):
        result.save(tmp_path)


def test_overwrite_removes_only_the_earlier_study_files(result, tmp_path, no_figures):
    first = result.save(tmp_path / "out")
    folder = first.parent
    earlier = _files(folder)
    assert any(name.startswith("models/") for name in earlier)
    assert json.loads((folder / STUDY_MANIFEST).read_text())["files"] == [n for n in earlier if n != STUDY_MANIFEST]
    (folder / "notes.txt").write_text("mine")
    (folder / "models" / "my_own.skops").write_bytes(b"not listed")
    result.save(folder, overwrite=True, save_models=False)
    after = _files(folder)
    stale = [name for name in earlier if name.startswith("models/")]
    assert not set(stale) & set(after)
    assert "notes.txt" in after and "models/my_own.skops" in after
    listed = json.loads((folder / STUDY_MANIFEST).read_text())["files"]
    assert sorted([*listed, STUDY_MANIFEST, "notes.txt", "models/my_own.skops"]) == after


def test_disk_full_while_saving_keeps_the_earlier_report(result, tmp_path, monkeypatch, no_figures):
    report = result.save(tmp_path / "out", save_models=False)
    before = {name: (report.parent / name).read_bytes() for name in _files(report.parent)}

    def full_disk(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(save_module, "write_html_report", full_disk)
    with pytest.raises(OSError, match="No space left"):
        result.save(report.parent, overwrite=True, save_models=False)
    assert {name: (report.parent / name).read_bytes() for name in _files(report.parent)} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left behind


def test_save_refuses_a_file_in_the_way_before_work(result, tmp_path, monkeypatch):
    (tmp_path / "taken").write_text("x")
    monkeypatch.setattr(report_module, "save_study", lambda *a, **k: pytest.fail("work started"))
    with pytest.raises(ValueError, match=r"StudyResult.save: .*taken' is a file; give a folder"):
        result.save(tmp_path / "taken")
    with pytest.raises(ValueError, match=r"StudyResult.save: cannot write .*taken' is a file, not a folder"):
        result.save(tmp_path / "taken" / "report")


def test_study_file_checks_its_output_folder_before_running(tmp_path, monkeypatch):
    import pandas as pd

    pd.DataFrame({"case_id": list("abcd"), "y": [0, 1, 0, 1], "US__f": [1.0, 2.0, 3.0, 4.0]}).to_csv(
        tmp_path / "features.csv", index=False
    )
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "old.csv").write_text("x")
    (tmp_path / "study.yaml").write_text(
        "data: {features: features.csv, label_column: y}\nfeature_sets: {all: [US]}\noutput: results\n"
    )
    config = load_study_config(tmp_path / "study.yaml")
    monkeypatch.setattr(type(config), "load_data", lambda *a, **k: pytest.fail("work started"))
    with pytest.raises(FileExistsError, match=r"study.yaml: output: .*results' already holds 1 file"):
        config.run(progress=False)
