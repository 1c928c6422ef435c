"""Peer Review as a use case: de-identified copies plus a report, audited the same way from every entry point.

`review()` is step one of a reviewed send (copies in a private spool folder until the send is done);
`review_into()` is the stand-alone `sodclient deid` (copies into a folder the user names).
"""

from __future__ import annotations

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


def _record(profile: Profile, report: Any) -> None:
    profile.audit.record(
        AuditEvent.PEER_REVIEW, inputs=report.inputs, outputs=len(report.outputs), left_out=len(report.left_out)
    )


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
    report = run_peer_review(list(paths), out_dir, options or options_cls(), progress, cancel or CancelToken())
    _record(profile, report)
    return report


def review(
    profile: Profile,
    paths: list[Path],
    options: Any = None,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> Review:
    """Peer Review, step one of a reviewed send: de-identified copies in a private spool folder, and the
    report. Audited (counts only). Inputs left out are in the report; whether to send the rest is the
    sender's decision (`require_all_safe` for the command line without --yes)."""
    options_cls, run_peer_review = _engine()
    workdir = profile.ensure().paths.spool / f"review-{uuid.uuid4().hex}"
    workdir.mkdir(mode=0o700)
    try:
        report = run_peer_review(
            list(paths), workdir / "reviewed", options or options_cls(), progress, cancel or CancelToken()
        )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    _record(profile, report)
    if not report.outputs:
        shutil.rmtree(workdir, ignore_errors=True)
        if report.left_out:
            raise PeerReviewLeftOut(report)
        raise UserError("Peer Review produced nothing to send")
    return Review(report, workdir)


def require_all_safe(reviewed: Review) -> None:
    """The command line's rule without --yes: nothing goes while Peer Review left anything out."""
    if reviewed.report.left_out:
        raise PeerReviewLeftOut(reviewed.report)
