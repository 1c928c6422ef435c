"""The study browser (patient → study → series) and Import from CD/DVD, through the real widgets."""

from __future__ import annotations

import pydicom
from pydicom.fileset import FileSet
from pydicom.uid import generate_uid

from tests.library.dicom_factory import make_dicom
from tests.ui.conftest import import_and_wait


def _two_series(folder, patient_id="BR-1", name="Browser^Bea"):
    study, s1, s2 = generate_uid(), generate_uid(), generate_uid()
    files = [
        make_dicom(
            folder / f"a{i}.dcm", patient_id=patient_id, patient_name=name, study_uid=study, series_uid=s1, instance=i
        )
        for i in range(1, 6)
    ]
    files += [
        make_dicom(
            folder / f"b{i}.dcm", patient_id=patient_id, patient_name=name, study_uid=study, series_uid=s2, instance=i
        )
        for i in range(1, 3)
    ]
    return files


def test_selection_at_every_level_and_the_opened_series(qtbot, window, tmp_path):
    _two_series(tmp_path / "cd")
    import_and_wait(qtbot, window, [tmp_path / "cd"])
    case_id = window.current_case_id()
    (tmp_path / "letter.pdf").write_bytes(b"%PDF-1.4 referral")
    import_and_wait(qtbot, window, [tmp_path / "letter.pdf"])  # goes to the current study
    view = window.view
    patient = window.tree.topLevelItem(0)
    study = patient.child(0)
    assert (study.text(1), study.text(2)) == ("CT", "8")
    rows = [(i.text(0), i.text(1), i.text(2)) for i in view.series_items()]
    assert sorted(rows) == [("Axial", "CT", "2"), ("Axial", "CT", "5"), ("Documents", "", "1")]
    assert window.table.rowCount() == 0 and view.instances.isHidden()

    # "All Documents" is the current study; "Selected" follows the tree selection at any level
    window.tree.setCurrentItem(study)
    assert len(window.current_documents()) == 8 and len(window.selected_documents()) == 8
    five = next(i for i in view.series_items() if i.text(2) == "5")
    two = next(i for i in view.series_items() if i.text(2) == "2")
    window.tree.clearSelection()
    five.setSelected(True)
    two.setSelected(True)
    assert len(window.selected_documents()) == 7
    assert len(window.current_documents()) == 8
    window.tree.clearSelection()
    patient.setSelected(True)
    assert len(window.selected_documents()) == 8

    # the middle slice stands for a series; opening it lists its instances, in order
    qtbot.waitUntil(lambda: not five.icon(0).isNull(), timeout=30000)
    window.tree.setCurrentItem(five)
    window.view_current()  # View / Enter on a series opens it
    qtbot.waitUntil(lambda: not view.instances.isHidden())
    assert window.table.rowCount() == 5
    assert [window.table.item(r, 2).text() for r in range(5)] == [f"Axial #{i}" for i in range(1, 6)]
    window.select_rows([1, 3])
    assert [d.instance_number for d in window.selected_documents()] == [2, 4]
    assert window.library.middle_document(view.opened_series).instance_number == 3
    window.tree.setCurrentItem(study)  # leaving the series closes its list
    assert view.instances.isHidden() and view.opened_series is None

    # removing documents keeps the series rows right
    window.library.remove_documents([d.id for d in window.library.documents(case_id=case_id) if d.instance_number == 1])
    window.refresh()
    assert sorted(i.text(2) for i in view.series_items()) == ["1", "1", "4"]


def test_import_from_cd_with_dicomdir(qtbot, window, tmp_path):
    files = _two_series(tmp_path / "src", patient_id="CD-UI", name="Disc^Dora")
    fs = FileSet()
    for f in files:
        ds = pydicom.dcmread(f)
        ds.StudyTime, ds.StudyID, ds.AccessionNumber, ds.SeriesNumber = "120000", "1", "", 1
        ds.save_as(f, enforce_file_format=True)
        fs.add(f)
    fs.write(tmp_path / "cdrom")
    dlg = window.import_disc(tmp_path / "cdrom")
    qtbot.waitUntil(lambda: dlg.contents is not None, timeout=20000)
    assert "from its DICOMDIR" in dlg.status.text()
    items = dlg.series_items()
    assert sorted(i.text(2) for i in items) == ["2", "5"]
    from PySide6.QtCore import Qt

    next(i for i in items if i.text(2) == "2").setCheckState(0, Qt.Unchecked)
    with qtbot.waitSignal(dlg.imported, timeout=20000):
        dlg.import_chosen()
    assert window.library.counts() == (1, 1, 5)
    qtbot.waitUntil(lambda: [i.text(2) for i in window.view.series_items()] == ["5"])
    dlg.close()
