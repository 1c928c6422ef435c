"""The main window over a real library: import, tree, table, multi-select, preview, viewer."""

from __future__ import annotations

from sodclient.ui.viewer import ViewerDialog
from tests.library.dicom_factory import make_study
from tests.ui.conftest import import_and_wait


def test_import_folder_fills_tree_and_table(qtbot, window, tmp_path):
    make_study(tmp_path / "cd" / "s1", n=3, patient_name="Doe^Jane")
    make_study(tmp_path / "cd" / "s2", n=2, patient_name="Doe^Jane", study_description="MR Knee")
    import_and_wait(qtbot, window, [tmp_path / "cd"])
    qtbot.waitUntil(lambda: window.tree.topLevelItemCount() == 1)
    patient = window.tree.topLevelItem(0)
    assert patient.text(0).startswith("Doe Jane")
    assert sorted(patient.child(i).text(0).split("  ")[-1] for i in range(patient.childCount())) == [
        "CT Chest",
        "MR Knee",
    ]
    window.tree.setCurrentItem(patient)
    assert len(window.current_documents()) == 5  # a patient's "All Documents" are all its documents
    assert window.view.instances.isHidden()  # no instance list until a series is opened
    window.tree.setCurrentItem(patient.child(0))
    window.tree.activated.emit(window.tree.indexFromItem(patient.child(0).child(0)))  # double-click the series
    qtbot.waitUntil(lambda: not window.view.instances.isHidden())
    n = window.table.rowCount()
    assert n == int(patient.child(0).child(0).text(2))
    window.select_rows(list(range(n)))
    assert len(window.selected_documents()) == n  # multi-select
    window.select_rows([0])
    # generous bound: the first thumbnail loads numpy/pydicom/Pillow, slow on a loaded 2-core machine
    qtbot.waitUntil(lambda: window.preview.pixmap() is not None and not window.preview.pixmap().isNull(), timeout=30000)
    assert "5 document(s)" in window.statusBar().currentMessage() or window.library.counts()[2] == 5


def test_non_dicom_without_case_waits_for_a_case_to_be_chosen(qtbot, window, tmp_path):
    (tmp_path / "letter.pdf").write_bytes(b"%PDF-1.4")
    run = import_and_wait(qtbot, window, [tmp_path / "letter.pdf"], confirm=False)
    qtbot.waitUntil(lambda: run.dialog is not None and run.dialog.isVisible())
    assert not run.dialog.import_button.isEnabled()
    assert "Choose the patient and the case" in run.dialog.where.text()
    run.dialog.reject()
    assert window.library.counts() == (0, 0, 0)


def test_document_attaches_to_the_selected_case(qtbot, window, tmp_path):
    patient = window.library.create_patient("Roe Richard")
    case = window.library.create_case(patient.id, "Referral")
    window.refresh(select_case=case.id)
    (tmp_path / "referral.pdf").write_bytes(b"%PDF-1.4 referral")
    import_and_wait(qtbot, window, [tmp_path / "referral.pdf"])
    assert [d.title for d in window.library.documents(case_id=case.id)] == ["referral.pdf"]
    window.open_series_of_case(case.id)  # a case's non-DICOM documents are one group, "Documents"
    assert window.table.item(0, 0).text() == "referral.pdf"


def test_viewer_window_level(qtbot, window, tmp_path):
    make_study(tmp_path / "cd", n=1)
    import_and_wait(qtbot, window, [tmp_path / "cd"])
    doc = window.library.documents()[0]
    dlg = ViewerDialog(doc, window)
    qtbot.addWidget(dlg)
    dlg.show()
    before = dlg.current_qimage()
    dlg.width_slider.setValue(5)
    after = dlg.current_qimage()
    assert dlg.wl_label.text().endswith("W 5") and before != after


def test_table_shows_thumbnails(qtbot, window, tmp_path):
    make_study(tmp_path / "cd", n=2)
    import_and_wait(qtbot, window, [tmp_path / "cd"])
    window.open_series_of_case(window.current_case_id())
    # generous bound: the first thumbnail loads numpy/pydicom/Pillow, slow on a loaded 2-core machine
    qtbot.waitUntil(lambda: window.table.rowCount() == 2 and not window.table.item(1, 0).icon().isNull(), timeout=30000)


def test_dropping_files_imports_them_and_a_sod_opens_it(qtbot, window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    from sodclient.ui.open_sod import OpenSodDialog
    from sodformat import PassphraseRecipient, collect_sources, pack

    files = make_study(tmp_path / "cd", n=2)
    sod = tmp_path / "x.sod"
    pack(sod, collect_sources([files[0]]), [PassphraseRecipient("Dropped-file-1")])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in (*files, sod)])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.library.counts()[2] == 2, timeout=20000)
    assert any(isinstance(f, OpenSodDialog) and f.path == sod for f in window.flows)
