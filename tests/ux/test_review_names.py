"""The Peer Review report on the sender's screen names the original documents (the report that leaves the
machine still does not), and a left-out document can be opened from it."""

from __future__ import annotations

from sodclient.deid import PeerReviewOptions, run_peer_review
from sodclient.progress import CancelToken
from sodclient.ui.review_dialog import ReviewDialog
from tests.library.dicom_factory import make_dicom


def test_local_report_names_originals_and_opens_a_left_out_one(qtbot, tmp_path):
    good = make_dicom(tmp_path / "in" / "doc-0001.dcm")
    bad = tmp_path / "in" / "doc-0002.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    report = run_peer_review(
        [good, bad], tmp_path / "out", options=PeerReviewOptions(), progress=lambda r: None, cancel=CancelToken()
    )
    opened = []
    originals = {"input 1": tmp_path / "Chest CT of Jane Doe.dcm", "input 2": tmp_path / "Referral Jane Doe.pdf"}
    dlg = ReviewDialog(report, originals=originals, open_document=lambda original, _picture: opened.append(original))
    qtbot.addWidget(dlg)
    shown = dlg.text.toPlainText()
    assert "input 2 (Referral Jane Doe.pdf)" in shown and "input 1 (Chest CT of Jane Doe.dcm)" in shown
    assert "Jane" not in report.to_text()  # what leaves the machine names no document
    assert dlg.left_out_list.count() == 1 and dlg.left_out_list.item(0).text().startswith("Referral Jane Doe.pdf — ")
    dlg.open_button.click()
    assert opened == [originals["input 2"]]
