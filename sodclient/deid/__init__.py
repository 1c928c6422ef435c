"""Peer Review: de-identification that leaks nothing (Qt-free core).

    from sodclient.deid import run_peer_review, PeerReviewOptions, PeerReviewReport
    report = run_peer_review(paths, out_dir, PeerReviewOptions(keep_date_intervals=True), progress, cancel)

DICOM objects get the whole PS3.15 Basic Application Level Confidentiality Profile at every depth, and
every attribute the profile does not name is removed unless it is on a keep-list generated from the DICOM
dictionary; burned-in text is found by a cheap screen plus OCR and blanked; photos and PDFs lose their
metadata; a final check of every output byte and every decoded DICOM text removes an attribute that still
names the patient, or leaves the file out when the hit is in something it cannot lose. Everything left out
is reported with a PHI-free reason; every blanked box is listed.

Importing this package is cheap (no pydicom, numpy or Pillow): the engine loads on the first run, so the
app and the command line start fast.
"""

from __future__ import annotations

from pathlib import Path

from sodclient.deid.options import PeerReviewOptions
from sodclient.deid.report import LeftOut, OutputChange, PeerReviewReport
from sodclient.progress import CancelToken, ProgressSink, no_progress

__all__ = ["run_peer_review", "PeerReviewOptions", "PeerReviewReport", "LeftOut", "OutputChange"]


def run_peer_review(
    paths: list[Path],
    out_dir: Path,
    options: PeerReviewOptions = PeerReviewOptions(),
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> PeerReviewReport:
    """De-identify `paths` (files and folders) into `out_dir` (new or empty), stage "deidentify".

    Returns the report; raises UserError (one line) when the output cannot be written or an input path
    does not exist, CancelledError when cancelled. On any failure nothing is left in `out_dir`.
    """
    from sodclient.deid.engine import run_peer_review as run

    return run(paths, out_dir, options, progress, cancel)
