"""Peer Review as a use case: de-identified copies plus a report, audited the same way from every entry point.

`review()` is step one of a reviewed send (copies in a private spool folder until the send is done);
`review_into()` is the stand-alone `sodclient deid` (copies into a folder the user names).

Cleaning by hand is the same call again: the sender's boxes go into `PeerReviewOptions.extra_boxes`
(keyed "input N") and the whole set is reviewed once more, so one set of keys (new UIDs, the date shift)
and one final check still span every copy of the send. `picture()` feeds the dialog where the
sender draws those boxes, on the original document (which never leaves the machine); the report's left-out
items say which can be cleaned so (`LeftOut.hand_cleanable`).
"""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sodclient.audit_events import AuditEvent
from sodclient.errors import InputError, PeerReviewLeftOut, UserError
from sodclient.profile import Profile
from sodclient.progress import CancelToken, ProgressSink, no_progress


def _engine():
    try:
        from sodclient.deid import PeerReviewOptions, run_peer_review
    except ImportError:
        raise InputError("Peer Review is not available in this build") from None
    return PeerReviewOptions, run_peer_review


def _record(profile: Profile, report: Any, options: Any, paths: list[Path]) -> None:
    fields: dict[str, Any] = {}
    hand = hand_boxes(options, paths)
    if hand:  # how many areas, on which inputs: numbers only, never where or what
        fields = {"boxes_by_hand": sum(hand.values()), "cleaned_by_hand": sorted(hand)}
    profile.audit.record(
        AuditEvent.PEER_REVIEW,
        inputs=report.inputs,
        outputs=len(report.outputs),
        left_out=len(report.left_out),
        **fields,
    )


def hand_boxes(options: Any, paths: list[Path]) -> dict[int, int]:
    """{input number: boxes the sender drew} for the audit trail (keys "input N", or an input's path)."""
    numbers = {str(p): n for n, p in enumerate(paths, 1)}
    out: dict[int, int] = {}
    for key, boxes in (getattr(options, "extra_boxes", None) or {}).items():
        number = int(key[6:]) if re.fullmatch(r"input \d+", key) else numbers.get(str(key))
        if number is not None and boxes:
            out[number] = out.get(number, 0) + len(boxes)
    return out


@dataclass
class Review:
    """The outcome of Peer Review: the report and the de-identified copies, kept in `workdir` until the
    caller discards them (after the send, or when the sender gives up)."""

    report: Any  # sodclient.deid.PeerReviewReport
    workdir: Path

    @property
    def outputs(self) -> list[Path]:
        return list(self.report.outputs)

    def discard(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def review_into(
    profile: Profile,
    paths: list[Path],
    out_dir: Path,
    options: Any = None,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> Any:
    """De-identified copies into `out_dir` (new or empty); returns the report. Audited (counts only)."""
    options_cls, run_peer_review = _engine()
    options = options or options_cls()
    report = run_peer_review(list(paths), out_dir, options, progress, cancel or CancelToken())
    _record(profile, report, options, list(paths))
    return report


def review(
    profile: Profile,
    paths: list[Path],
    options: Any = None,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
    *,
    empty_ok: bool = False,
) -> Review:
    """Peer Review, step one of a reviewed send: de-identified copies in a private spool folder, and the
    report. Audited (counts only). Inputs left out are in the report; whether to send the rest is the
    sender's decision (`require_all_safe` for the command line without --yes). When every input is left out
    this raises PeerReviewLeftOut, unless `empty_ok` (the app's report, where they can be cleaned by hand)."""
    options_cls, run_peer_review = _engine()
    options = options or options_cls()
    workdir = profile.ensure().paths.spool / f"review-{uuid.uuid4().hex}"
    workdir.mkdir(mode=0o700)
    try:
        report = run_peer_review(list(paths), workdir / "reviewed", options, progress, cancel or CancelToken())
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    _record(profile, report, options, list(paths))
    if not report.outputs:
        if empty_ok and report.left_out:
            return Review(report, workdir)
        shutil.rmtree(workdir, ignore_errors=True)
        if report.left_out:
            raise PeerReviewLeftOut(report)
        raise UserError("Peer Review produced nothing to send")
    return Review(report, workdir)


def require_all_safe(reviewed: Review) -> None:
    """The command line's rule without --yes: nothing goes while Peer Review left anything out."""
    if reviewed.report.left_out:
        raise PeerReviewLeftOut(reviewed.report)


@dataclass
class Picture:
    """One frame of a local document, 8-bit, for drawing boxes on (rows, cols) or (rows, cols, 3)."""

    pixels: Any  # numpy.ndarray
    frames: int


def picture(path: Path, frame: int = 0, progress: ProgressSink = no_progress, cancel: CancelToken | None = None):
    """The picture the sender draws on: one frame of the original, read here and shown only here."""
    from sodclient.deid.preview import frame_and_count

    try:
        return Picture(*frame_and_count(Path(path), frame))
    except Exception as exc:  # pydicom, Pillow and the pixel decoders raise many types for a bad picture
        raise InputError("this document's picture could not be read") from exc
