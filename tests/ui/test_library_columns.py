"""The library's patient columns (ID, birth date, sex, study date), its search and its sorting."""

from __future__ import annotations

import pydicom
from PySide6.QtCore import Qt

from tests.library.dicom_factory import make_study
from tests.ui.conftest import import_and_wait


def _study(folder, n, patient_id, name, born, sex, study_date):
    for path in make_study(folder, n=n, patient_id=patient_id, patient_name=name):
        ds = pydicom.dcmread(path)
        ds.PatientBirthDate, ds.PatientSex, ds.StudyDate = born, sex, study_date
        ds.save_as(path)


def _visible_patients(tree) -> list[str]:
    return [
        tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount()) if not tree.topLevelItem(i).isHidden()
    ]


def test_patient_columns_search_and_sort(qtbot, window, tmp_path):
    _study(tmp_path / "a", 2, "PID-0815", "Roe^Richard", "19580212", "M", "20261103")
    _study(tmp_path / "a2", 11, "PID-0815", "Roe^Richard", "19580212", "M", "20261104")
    _study(tmp_path / "b", 1, "PID-4711", "Doe^Jane", "19700101", "F", "20250420")
    import_and_wait(qtbot, window, [tmp_path / "a", tmp_path / "a2", tmp_path / "b"])
    tree = window.tree
    by_name = {tree.topLevelItem(i).text(0): tree.topLevelItem(i) for i in range(tree.topLevelItemCount())}
    jane = by_name["Doe Jane"]
    assert (jane.text(4), jane.text(5), jane.text(6)) == ("PID-4711", "1970-01-01", "female")
    assert jane.child(0).text(7) == "2025-04-20"

    window.view.search.setText("roe")  # any case
    assert _visible_patients(tree) == ["Roe Richard"]
    window.view.search.setText("PID-4711")
    assert _visible_patients(tree) == ["Doe Jane"]
    window.view.search.setText("19700101")  # a date written either way
    assert _visible_patients(tree) == ["Doe Jane"]
    window.view.search.setText("2026-11-03")  # a study date shows that study under its patient
    assert _visible_patients(tree) == ["Roe Richard"]
    window.view.search.setText("nobody")
    assert _visible_patients(tree) == []
    window.view.search.clear()
    assert sorted(_visible_patients(tree)) == ["Doe Jane", "Roe Richard"]

    # sorting by a column the user clicks; image counts sort as numbers (2 before 11), not as text ("11" < "2")
    tree.sortByColumn(0, Qt.DescendingOrder)
    assert tree.topLevelItem(0).text(0) == "Roe Richard"
    tree.sortByColumn(2, Qt.AscendingOrder)
    roe = next(tree.topLevelItem(i) for i in range(2) if tree.topLevelItem(i).text(0) == "Roe Richard")
    assert [roe.child(i).text(2) for i in range(roe.childCount())] == ["2", "11"]
