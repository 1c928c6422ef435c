"""The viewer (non-diagnostic: fit/zoom/pan, mouse window/level, presets, series and frame scrolling, cine,
tags; colour converted once, checked against pydicom's own rendering) and documents leaving the app (the
system's viewer after a warning, Save As, Export)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from sodclient.ui.viewer import NOT_DIAGNOSTIC, ViewerDialog
from tests.library.dicom_factory import make_dicom, make_study
from tests.ui.conftest import import_and_wait

pytest_plugins = ["tests.ui.conftest"]


def _viewer(qtbot, window, doc, series=None):
    dlg = ViewerDialog(doc, window, series=series)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def _rgb(qimage) -> np.ndarray:
    img = qimage.convertToFormat(qimage.Format.Format_RGB888)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, np.uint8, img.bytesPerLine() * img.height()).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def test_ybr_full_422_colour_matches_pydicoms_own_rendering(qtbot, window, tmp_path):
    src = tmp_path / "us" / "colour.dcm"
    src.parent.mkdir()
    shutil.copy(get_testdata_file("SC_ybr_full_422_uncompressed.dcm"), src)
    import_and_wait(qtbot, window, [src.parent])
    (doc,) = window.library.documents()
    dlg = _viewer(qtbot, window, doc)
    shown = _rgb(dlg.view.image())
    reference = pydicom.dcmread(src).pixel_array  # pydicom's rendering: YBR converted to RGB, once
    assert reference.shape == shown.shape
    assert np.abs(shown.astype(int) - reference.astype(int)).max() <= 1
    assert tuple(shown[0, 0]) == tuple(reference[0, 0]) and shown[0, 0, 0] > 200  # the red corner is red
    assert not dlg.wl_row.isVisible()  # colour has no window/level


def test_series_images_frames_cine_zoom_presets_and_tags(qtbot, window, tmp_path):
    make_study(tmp_path / "cd", n=3, size=48)
    import_and_wait(qtbot, window, [tmp_path / "cd"])
    docs = sorted(window.library.documents(), key=lambda d: d.instance_number)
    dlg = _viewer(qtbot, window, docs[0], series=docs)
    assert NOT_DIAGNOSTIC.startswith("Not for diagnosis")
    assert dlg.image_label.text() == "1 of 3" and dlg.image_row.isEnabled() and not dlg.frame_row.isEnabled()
    # the wheel scrolls through the series
    QTest.qWait(10)
    dlg.step(1)
    assert dlg.index == 1 and dlg.windowTitle().endswith(docs[1].title)
    # cine advances and wraps
    dlg.fps.setValue(60)
    dlg.play_button.setChecked(True)
    qtbot.waitUntil(lambda: dlg.index == 0, timeout=3000)
    dlg.play_button.setChecked(False)
    # zoom and fit
    dlg.view.fit()
    fitted = dlg.view.scale_factor()
    dlg.zoom_in_button.click()
    assert dlg.view.scale_factor() == pytest.approx(fitted * 1.25) and not dlg.view.fitting
    dlg.fit_button.click()
    assert dlg.view.scale_factor() == pytest.approx(fitted)
    # CT presets
    names = [dlg.preset.itemText(i) for i in range(dlg.preset.count())]
    assert any(n.startswith("Lung (C -600, W 1500)") for n in names)
    before = _rgb(dlg.view.image())
    dlg.preset.activated.emit(next(i for i, n in enumerate(names) if n.startswith("Lung")))
    assert dlg.wl_label.text() == "C -600  W 1500" and not np.array_equal(before, _rgb(dlg.view.image()))
    # right-button drag changes window/level
    vp = dlg.view.viewport()
    QTest.mousePress(vp, Qt.RightButton, Qt.NoModifier, QPoint(50, 50))
    QTest.mouseMove(vp, QPoint(90, 20))
    QTest.mouseRelease(vp, Qt.RightButton, Qt.NoModifier, QPoint(90, 20))
    assert dlg.wl_label.text() != "C -600  W 1500"
    # the tag panel
    dlg.tags_box.setChecked(True)
    names = {dlg.tags.topLevelItem(i).text(1) for i in range(dlg.tags.topLevelItemCount())}
    assert {"Patient's Name", "Modality", "Study Instance UID"} <= names and "Pixel Data" not in names


def test_a_multi_frame_object_scrolls_its_frames(qtbot, window, tmp_path):
    path = make_dicom(tmp_path / "mf" / "cine.dcm", size=16)
    ds = pydicom.dcmread(path)
    frames = np.stack([np.full((16, 16), 100 * k, np.int16) for k in range(4)])
    ds.NumberOfFrames = 4
    ds.PixelData = frames.tobytes()
    ds.WindowCenter, ds.WindowWidth, ds.RescaleIntercept = 150, 300, 0
    ds.save_as(path)
    import_and_wait(qtbot, window, [path.parent])
    (doc,) = window.library.documents()
    dlg = _viewer(qtbot, window, doc)
    assert dlg.frame_label.text() == "1 of 4" and dlg.frame_row.isEnabled()
    first = _rgb(dlg.view.image())[8, 8, 0]
    dlg.step(1)  # the wheel steps frames of a multi-frame object
    assert dlg.frame_label.text() == "2 of 4" and _rgb(dlg.view.image())[8, 8, 0] > first


@pytest.fixture
def pdf_in_case(qtbot, window, tmp_path):
    patient = window.library.create_patient("Roe Richard")
    case = window.library.create_case(patient.id, "Referral")
    window.refresh(select_case=case.id)
    (tmp_path / "in").mkdir()
    pdf = tmp_path / "in" / "referral letter.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% a referral letter\n")
    import_and_wait(qtbot, window, [pdf])
    window.select_rows([0])
    return pdf


def test_save_as_writes_the_document_and_is_audited(qtbot, window, pdf_in_case, tmp_path):
    (doc,) = window.selected_documents()
    assert doc.media_type == "application/pdf"
    dest = tmp_path / "saved" / "copy.pdf"
    dest.parent.mkdir()
    assert window.document_actions.save_selected_as(str(dest)) == dest
    assert dest.read_bytes() == pdf_in_case.read_bytes()
    assert window.profile.audit.read()[-1]["event"] == "documents-saved"
    out = tmp_path / "export"
    out.mkdir()
    first = window.document_actions.export_selected(str(out))
    second = window.document_actions.export_selected(str(out))
    assert [p.name for p in first + second] == ["referral letter.pdf", "referral letter (2).pdf"]


class _UrlCatcher(QObject):
    def __init__(self):
        super().__init__()
        self.urls = []

    @Slot("QUrl")
    def open(self, url):
        self.urls.append(url)


def test_a_pdf_opens_in_the_system_viewer_only_after_the_warning(qtbot, window, pdf_in_case):
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        answers = []

        def answer(button, tries=100):
            """Clicks the question's button once it shows (a loaded machine may take a while); never leaves a
            modal question open, which would hang the run."""
            box = next(
                (w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()), None
            )
            if box is None:
                if tries:
                    QTimer.singleShot(100, lambda: answer(button, tries - 1))
                return
            answers.append(box.text())
            box.button(button).click()

        QTimer.singleShot(100, lambda: answer(QMessageBox.No))
        assert window.document_actions.open_with_system() is None and catcher.urls == []
        assert "outside SOD Send" in answers[0] and "referral letter.pdf" in answers[0]
        QTimer.singleShot(100, lambda: answer(QMessageBox.Yes))
        window.view_current()  # double-click / Return on a PDF: the same warning, then the system's viewer
        assert len(catcher.urls) == 1
        opened = catcher.urls[0].toLocalFile()
        assert opened.endswith("/referral letter.pdf") and Path(opened).read_bytes() == pdf_in_case.read_bytes()
        assert str(window.profile.paths.opened_dir) in opened
    finally:
        QDesktopServices.unsetUrlHandler("file")
