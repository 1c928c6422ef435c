"""Peer Review: de-identification that leaks nothing (Qt-free core).

    from sodclient.deid import run_peer_review, PeerReviewOptions, PeerReviewReport
    report = run_peer_review(paths, out_dir, PeerReviewOptions(keep_date_intervals=True), progress, cancel)

DICOM objects get the whole PS3.15 Basic Application Level Confidentiality Profile at every depth; photos
and PDFs lose their metadata; anything that may still name the patient is left out and reported; a final
residual scan of every output byte blocks any file in which an original identifying value survived.
"""

from sodclient.deid.engine import run_peer_review
from sodclient.deid.options import PeerReviewOptions
from sodclient.deid.report import LeftOut, OutputChange, PeerReviewReport

__all__ = ["run_peer_review", "PeerReviewOptions", "PeerReviewReport", "LeftOut", "OutputChange"]
