"""Peer Review report: a left-out image is opened and cleaned by hand (issue 15), through the real send flow.

The image is a CT flagged as showing burned-in text that OCR cannot read (tests/deid/burned_text.py), filed in
the library beside two plain slices. The sender drags boxes on its original picture with the mouse; Peer
Review runs again (a ProcessJob) with those boxes, and the report in the dialog is replaced by the new one.
"""

from __future__ import annotations

import numpy as np
import paramiko
import pydicom
from PySide6.QtCore import QPoint, Qt

from sodclient.audit_text import sentence
from sodclient.services.settings import change_settings
from sodclient.transport import hostkeys
from sodformat import PassphraseIdentity, unpack
from tests.deid.burned_text import COVER, MISS, flagged_ct
from tests.library.dicom_factory import make_study
from tests.profiles import current
from tests.ui.conftest import import_and_wait


def _library_with_a_flagged_slice(qtbot, window, tmp_path):
    plain = make_study(tmp_path / "cd", n=2, patient_id="PID-73519", patient_name="Doe^Jane")
    first = pydicom.dcmread(plain[0])
    flagged, text_box = flagged_ct(
        tmp_path / "cd" / "IM0003",
        PatientName="Doe^Jane",
        PatientID="PID-73519",
        StudyInstanceUID=first.StudyInstanceUID,
        SeriesInstanceUID=first.SeriesInstanceUID,
        InstanceNumber=3,
    )
    import_and_wait(qtbot, window, [tmp_path / "cd"])
    window.open_series_of_case(window.current_case_id())
    qtbot.waitUntil(lambda: window.table.rowCount() == 3)
    return flagged, text_box


def _review(qtbot, window, sshd, smtp_server, download_site, rows=(0, 1, 2)):
    change_settings(current(), {**sshd.settings(), **smtp_server.settings(), "link.template": download_site})
    hostkeys.trust(
        current().paths.known_hosts,
        "127.0.0.1",
        sshd.port,
        paramiko.Ed25519Key.from_private_key_file(str(sshd.client_key.parent / "host_ed25519")),
    )
    window.select_rows(list(rows))
    flow = window.ftpsend()
    export = flow.export_dialog
    qtbot.waitUntil(export.isVisible)
    export.peer_review.setChecked(True)
    export.generate_button.click()
    passphrase = export.passphrase.text()
    export.next_button.click()
    qtbot.waitUntil(lambda: flow.review_dialog is not None and flow.review_dialog.isVisible(), timeout=120000)
    return flow, flow.review_dialog, passphrase


def _drag(qtbot, view, box) -> None:
    """A real mouse drag over `box` (image pixels) on the view."""
    x, y, w, h = box
    rect = view._to_widget((x, y, w, h))
    qtbot.mousePress(view, Qt.LeftButton, pos=rect.topLeft())
    qtbot.mouseMove(view, rect.center())
    qtbot.mouseRelease(view, Qt.LeftButton, pos=QPoint(rect.right() + 1, rect.bottom() + 1))


def _hand_clean(qtbot, flow, dialog, boxes, accept=True):
    assert dialog.clean_button.isVisible() and dialog.clean_button.isEnabled()
    dialog.clean_button.click()
    hand = dialog.hand_dialog
    qtbot.waitUntil(lambda: hand.isVisible() and hand.view.has_picture, timeout=20000)
    hand.view.resize(512, 512)  # the 256x256 CT drawn at twice its size
    for box in boxes:
        _drag(qtbot, hand.view, box)
    if not accept:
        hand.buttons.button(hand.buttons.StandardButton.Cancel).click()
        return hand
    assert hand.ok_button.isEnabled()
    hand.ok_button.click()
    qtbot.waitUntil(lambda: not flow.busy and not dialog.outcome.text().startswith("Checking"), timeout=120000)
    return hand


def _flagged_output(flow, flagged):
    uid = pydicom.dcmread(flagged).SOPInstanceUID
    change = next(c for c in flow.report.changes if pydicom.dcmread(c.source).SOPInstanceUID == uid)
    return change


def test_left_out_image_cleaned_by_hand_is_included_and_sent(qtbot, window, tmp_path, sshd, smtp_server, download_site):
    flagged, (x0, y0, x1, y1) = _library_with_a_flagged_slice(qtbot, window, tmp_path)
    flow, dialog, passphrase = _review(qtbot, window, sshd, smtp_server, download_site)
    assert [item.label for item in flow.report.left_out] == ["input 3"]
    assert "could not be located" in dialog.left_out_list.item(0).text()
    assert not dialog.report.all_safe and len(flow.reviewed.outputs) == 2

    # Open shows the document; cancel in "Clean by hand…" changes nothing
    dialog.open_button.click()
    qtbot.waitUntil(lambda: getattr(flow, "opened_viewer", None) is not None and flow.opened_viewer.isVisible())
    flow.opened_viewer.close()
    before = flow.reviewed
    hand = _hand_clean(qtbot, flow, dialog, [COVER], accept=False)
    assert hand.result() == 0 and flow.reviewed is before and flow.job.title == "peer review"
    assert dialog.left_out_list.count() == 1 and dialog.hand_boxes == {}

    # a box that misses the text: still left out, with the reason
    _hand_clean(qtbot, flow, dialog, [MISS])
    assert flow.reviewed is not before and not before.workdir.exists()  # the old copies are gone
    assert dialog.left_out_list.count() == 1
    assert "still left out" in dialog.outcome.text() and "outside the areas blanked by hand" in dialog.outcome.text()
    assert "outside the areas blanked by hand" in dialog.text.toPlainText()

    # again: the earlier box comes back and is removed with a right-click; a box over the text
    dialog.clean_button.click()
    hand = dialog.hand_dialog
    qtbot.waitUntil(lambda: hand.view.has_picture, timeout=20000)
    hand.view.resize(512, 512)
    assert [tuple(b) for b in hand.view.added_boxes()] == [MISS]
    qtbot.mouseClick(hand.view, Qt.RightButton, pos=hand.view._to_widget(MISS).center())
    assert hand.view.added_boxes() == []
    _drag(qtbot, hand.view, COVER)
    (drawn,) = hand.view.added_boxes()
    hand.ok_button.click()
    qtbot.waitUntil(lambda: not flow.busy and "now included" in dialog.outcome.text(), timeout=120000)
    assert dialog.report.all_safe and not dialog.left_out_box.isVisible()
    assert dialog.continue_button.text() == "Continue" and dialog.continue_button.isEnabled()
    assert len(flow.reviewed.outputs) == 3

    # the output: black inside the drawn box, every other pixel as it was
    x, y, w, h = drawn
    assert x <= x0 and y <= y0 and x1 <= x + w and y1 <= y + h
    change = _flagged_output(flow, flagged)
    original, cleaned = pydicom.dcmread(flagged).pixel_array, pydicom.dcmread(change.output).pixel_array
    assert (cleaned[y : y + h, x : x + w] == cleaned.min()).all()
    outside = np.ones(original.shape, bool)
    outside[y : y + h, x : x + w] = False
    assert np.array_equal(original[outside], cleaned[outside])
    sent_bytes = change.output.read_bytes()

    # the trail: how many areas, on which document; no place
    records = [r for r in current().audit.read() if r["event"] == "peer-review"]
    assert [r["fields"].get("boxes_by_hand") for r in records] == [None, 1, 1]
    assert records[-1]["fields"]["cleaned_by_hand"] == [3]
    assert "1 area blanked by hand in document 3" in sentence(records[-1])

    # the send carries exactly the re-reviewed copies
    dialog.continue_button.click()
    qtbot.waitUntil(lambda: flow.email_dialog is not None and flow.email_dialog.isVisible(), timeout=60000)
    flow.email_dialog.to.setText("colleague@clinic.example")
    flow.email_dialog.send_button.click()
    progress = flow.progress_dialog
    qtbot.waitUntil(lambda: progress.close_button.isVisible(), timeout=120000)
    assert progress.link.text(), progress.headline.text()
    (container,) = [p for p in sshd.upload_dir.iterdir() if p.name.endswith(".sod")]
    unpack(container, tmp_path / "opened", [PassphraseIdentity(passphrase)])
    opened = sorted(p for p in (tmp_path / "opened").rglob("*") if p.is_file())
    assert len(opened) == 3
    assert [p for p in opened if p.read_bytes() == sent_bytes]
    progress.close_button.click()
    qtbot.waitUntil(lambda: not flow.reviewed.workdir.exists())


def test_with_every_document_left_out_the_report_still_opens_and_cleaning_by_hand_makes_one_to_send(
    qtbot, window, tmp_path, sshd, smtp_server, download_site
):
    flagged, _ = flagged_ct(tmp_path / "cd" / "IM0001", PatientName="Doe^Jane", PatientID="PID-73519")
    import_and_wait(qtbot, window, [tmp_path / "cd"])
    window.open_series_of_case(window.current_case_id())
    qtbot.waitUntil(lambda: window.table.rowCount() == 1)
    flow, dialog, _ = _review(qtbot, window, sshd, smtp_server, download_site, rows=[0])
    assert flow.reviewed.outputs == [] and not dialog.continue_button.isEnabled()
    assert dialog.continue_button.text() == "Nothing Safe to Send" and "Nothing can be sent" in dialog.head.text()

    # a file from disk opens read-only in the same picture view
    flow._open_original(flagged, flow.report.left_out[0].hand_cleanable)
    shown = flow.opened_viewer
    qtbot.waitUntil(lambda: shown.view.has_picture, timeout=20000)
    assert shown.ok_button is None and shown.view.read_only and not shown.remove_all.isVisible()
    qtbot.mousePress(shown.view, Qt.LeftButton, pos=QPoint(10, 10))
    qtbot.mouseRelease(shown.view, Qt.LeftButton, pos=QPoint(200, 200))
    assert shown.view.added_boxes() == []
    shown.close()

    _hand_clean(qtbot, flow, dialog, [COVER])
    assert "now included" in dialog.outcome.text() and dialog.continue_button.isEnabled()
    assert len(flow.reviewed.outputs) == 1 and dialog.continue_button.text() == "Continue"
    dialog.reject()
    qtbot.waitUntil(lambda: not flow.reviewed.workdir.exists())
