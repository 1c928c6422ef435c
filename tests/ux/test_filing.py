"""Safe filing (issue 15): a CD folder imported while an unrelated case is selected. DICOM without the Part 10
preamble is read, DICOMDIR/README/OS clutter are skipped and named, a damaged file is named and the rest still
imported, and the one PDF goes only into the case the user confirms in the dialog."""

from __future__ import annotations

import shutil

import pytest
from pydicom.data import get_testdata_file

from sodclient.library.survey import survey
from tests.library.dicom_factory import make_study
from tests.ui.conftest import import_and_wait

pytest_plugins = ["tests.ui.conftest"]


@pytest.fixture
def cd(tmp_path):
    root = tmp_path / "cd"
    make_study(root / "IMAGES", n=2, patient_name="Doe^Jane")
    shutil.copy(get_testdata_file("rtstruct.dcm"), root / "IMAGES" / "RTSTRUCT")  # no preamble, no extension
    shutil.copy(get_testdata_file("DICOMDIR", read=False) or "", root / "DICOMDIR")
    (root / "README.TXT").write_text("Viewer instructions")
    (root / "Thumbs.db").write_bytes(b"\0" * 64)
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "VIEWER.EXE").write_bytes(b"MZ\x90\x00")
    (root / "broken.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\xff garbage")
    (root / "report.pdf").write_bytes(b"%PDF-1.4 the radiologist's report")
    return root


def test_survey_sorts_every_file_and_names_each_left_out(cd):
    plan = survey([cd])
    assert sorted(p.name for p in plan.dicom) == ["IM0001", "IM0002", "RTSTRUCT"]
    assert [p.name for p in plan.documents] == ["report.pdf"]
    assert [x.path.name for x in plan.refused] == ["broken.dcm"] and plan.refused[0].reason.startswith("it is")
    assert sorted(x.path.name for x in plan.skipped) == [
        ".DS_Store",
        "DICOMDIR",
        "README.TXT",
        "Thumbs.db",
        "VIEWER.EXE",
    ]


def test_cd_import_asks_for_the_case_of_the_document_and_files_nothing_else(qtbot, window, cd):
    other = window.library.create_patient("Unrelated Person")
    unrelated = window.library.create_case(other.id, "Unrelated case")
    target_case = window.library.create_case(other.id, "Clinic letters")
    window.refresh(select_case=unrelated.id)
    run = import_and_wait(qtbot, window, [cd], confirm=False)
    qtbot.waitUntil(lambda: run.dialog is not None and run.dialog.isVisible(), timeout=20000)
    dlg = run.dialog
    # the dialog shows patient and case, and names what it cannot take
    assert dlg.patient.currentText() == "Unrelated Person" and "Unrelated case" in dlg.case.currentText()
    assert "Unrelated case" in dlg.where.text() and "Unrelated Person" in dlg.where.text()
    assert [dlg.refused_list.item(i).text().split(" — ")[0] for i in range(dlg.refused_list.count())] == ["broken.dcm"]
    assert dlg.skipped_list.count() == 5
    # the user picks the right case; only then is anything written
    assert window.library.counts()[2] == 0
    dlg.case.setCurrentIndex(dlg.case.findData(target_case.id))
    assert "Clinic letters" in dlg.where.text()
    assert dlg.import_button.text() == "Import 4 files"
    with qtbot.waitSignal(run.finished, timeout=20000):
        dlg.import_button.click()
    assert [d.title for d in window.library.documents(case_id=target_case.id)] == ["report.pdf"]
    assert window.library.documents(case_id=unrelated.id) == []
    titles = sorted(d.title for d in window.library.documents())
    assert titles == ["IM0001", "IM0002", "RTSTRUCT", "report.pdf"]
    rt = next(d for d in window.library.documents() if d.title == "RTSTRUCT")
    assert rt.is_dicom and rt.modality == "RTSTRUCT"
    assert "Imported 4 documents." in window.statusBar().currentMessage()


def test_leaving_the_documents_out_imports_only_the_dicom(qtbot, window, cd):
    run = import_and_wait(qtbot, window, [cd], confirm=False)
    qtbot.waitUntil(lambda: run.dialog is not None and run.dialog.isVisible(), timeout=20000)
    assert not run.dialog.import_button.isEnabled()  # no case chosen yet: never filed silently
    run.dialog.leave_out.setChecked(True)
    assert run.dialog.import_button.isEnabled() and run.dialog.import_button.text() == "Import 3 files"
    with qtbot.waitSignal(run.finished, timeout=20000):
        run.dialog.import_button.click()
    assert sorted(d.media_type for d in window.library.documents()) == ["application/dicom"] * 3


def test_a_second_import_says_the_documents_were_already_there(qtbot, window, tmp_path):
    make_study(tmp_path / "s", n=2)
    import_and_wait(qtbot, window, [tmp_path / "s"])
    import_and_wait(qtbot, window, [tmp_path / "s"])
    assert window.statusBar().currentMessage() == "All 2 documents were already in the library; nothing new was added."


def test_a_dicom_file_with_a_tiff_preamble_is_listed_as_dicom(tmp_path):
    from sodformat.mediatypes import sniff

    (path,) = make_study(tmp_path / "s", n=1)
    data = bytearray(path.read_bytes())
    data[0:4] = b"II*\x00"  # a dual-personality DICOM/TIFF file
    assert sniff(bytes(data[:4096]), "IMG0001.tif") == "application/dicom"
