"""The review dialog's image view: shows a cleaned image with its blanked boxes; a drag adds a box, which a
second Peer Review run blanks."""

from __future__ import annotations

import numpy as np
import pydicom
from PySide6.QtCore import QPoint, Qt

from sodclient.deid import PeerReviewOptions, run_peer_review
from sodclient.deid.preview import frame_picture
from sodclient.ui.redaction_view import BLANKED_COLOUR, RedactionView
from tests.deid.conftest import PATIENT_NAME, sample


def _ct_with_sender_box(tmp_path):
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    ds.PatientName = PATIENT_NAME
    ds.save_as(tmp_path / "ct.dcm")
    options = PeerReviewOptions(extra_boxes={"input 1": ((8, 8, 40, 20),)})
    return run_peer_review([tmp_path / "ct.dcm"], tmp_path / "out", options)


def test_view_draws_blanked_boxes_and_a_drag_adds_a_box_that_a_second_run_blanks(qtbot, tmp_path):
    report = _ct_with_sender_box(tmp_path)
    change = report.changes[0]
    assert change.boxes and change.boxes[0].why == "sender"
    view = RedactionView()
    qtbot.addWidget(view)
    view.resize(256, 256)  # the 128x128 CT drawn at twice its size
    view.set_picture(frame_picture(change.output), change.boxes)
    view.show()
    qtbot.waitExposed(view)

    shot = view.grab().toImage()
    edge = shot.pixelColor(8 * 2 + 20, 8 * 2)  # top edge of the blanked box, in widget pixels
    assert (edge.red(), edge.green(), edge.blue()) == (
        BLANKED_COLOUR.red(),
        BLANKED_COLOUR.green(),
        BLANKED_COLOUR.blue(),
    )

    with qtbot.waitSignal(view.boxAdded) as signal:
        qtbot.mousePress(view, Qt.LeftButton, pos=QPoint(120, 160))
        qtbot.mouseMove(view, QPoint(150, 180))
        qtbot.mouseRelease(view, Qt.LeftButton, pos=QPoint(180, 200))
    assert signal.args == [60, 80, 30, 20]
    assert view.added_boxes() == [(60, 80, 30, 20)]

    again = run_peer_review(
        [tmp_path / "ct.dcm"],
        tmp_path / "out2",
        PeerReviewOptions(extra_boxes={str(tmp_path / "ct.dcm"): tuple(view.added_boxes())}),
    )
    pixels = pydicom.dcmread(again.outputs[0]).pixel_array
    original = pydicom.dcmread(tmp_path / "ct.dcm").pixel_array
    assert (pixels[80:100, 60:90] == pixels.min()).all() and not (original[80:100, 60:90] == pixels.min()).all()
    untouched = np.ones(pixels.shape, bool)
    untouched[80:100, 60:90] = False
    assert np.array_equal(pixels[untouched], original[untouched])


def test_tiny_drags_add_nothing(qtbot):
    view = RedactionView()
    qtbot.addWidget(view)
    view.resize(100, 100)
    view.set_picture(np.zeros((50, 50), np.uint8))
    view.show()
    qtbot.mousePress(view, Qt.LeftButton, pos=QPoint(10, 10))
    qtbot.mouseRelease(view, Qt.LeftButton, pos=QPoint(11, 11))
    assert view.added_boxes() == []
