"""Importing from a patient's CD/DVD: list what is on it (via its DICOMDIR, or the images' headers), then
file the chosen series into the library in one transaction, with its audit record."""

from __future__ import annotations

from pathlib import Path

from sodclient.audit_events import AuditEvent
from sodclient.errors import InputError
from sodclient.library import ImportResult
from sodclient.pacs.media import MediaContents, MediaSeries, read_media
from sodclient.profile import Profile
from sodclient.progress import CancelToken, ProgressSink, no_progress

__all__ = ["MediaContents", "MediaSeries", "import_disc", "read_disc"]


def read_disc(
    profile: Profile, root: Path, progress: ProgressSink = no_progress, cancel: CancelToken | None = None
) -> MediaContents:
    return read_media(Path(root), progress, cancel)


def import_disc(
    profile: Profile,
    contents: MediaContents,
    chosen: list[MediaSeries],
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> ImportResult:
    """The chosen series (all of them when none is chosen) into the library, all-or-nothing."""
    series = chosen or contents.series
    files = [f for s in series for f in s.files]
    if not files:
        raise InputError("Choose at least one series to import")

    def record(result: ImportResult) -> None:
        profile.audit.record(
            AuditEvent.IMPORT_DISC,
            series=len(series),
            documents=len(result.documents),
            duplicates=result.duplicates,
            dicomdir=contents.dicomdir is not None,
        )

    return profile.library().import_paths(
        files, before_commit=record, progress=progress, cancel=cancel or CancelToken()
    )
