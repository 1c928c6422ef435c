"""What is on a patient's CD/DVD (or a copy of one): its patients, studies and series, with their files.

With a DICOMDIR (the standard's index, read by pydicom's FileSet) the listing comes from the index, without
opening every image; without one (the common "folder of images" layouts), each file's header is read.
Either way only Part 10 files are listed, since those are what the library files by their tags.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from sodclient.errors import InputError
from sodclient.pacs.query import text
from sodclient.progress import CancelToken, ProgressReport, ProgressSink, no_progress

log = logging.getLogger("sodclient.pacs")
_TAGS = [
    "PatientID",
    "PatientName",
    "PatientBirthDate",
    "StudyInstanceUID",
    "StudyDate",
    "StudyDescription",
    "SeriesInstanceUID",
    "Modality",
    "SeriesDescription",
]


@dataclass
class MediaSeries:
    patient_id: str
    patient_name: str
    birth_date: str
    study_uid: str
    study_date: str
    study_description: str
    series_uid: str
    modality: str
    description: str
    files: list[Path] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.files)

    @property
    def size(self) -> int:
        return sum(f.stat().st_size for f in self.files if f.exists())


@dataclass
class MediaContents:
    root: Path
    series: list[MediaSeries]
    dicomdir: Path | None  # the index used, or None when the headers were read
    skipped: int = 0  # files listed but missing, or files that are not Part 10 DICOM

    @property
    def files(self) -> list[Path]:
        return [f for s in self.series for f in s.files]


def find_dicomdir(root: Path) -> Path | None:
    """The DICOMDIR of a drive or folder: the file itself, in the folder, or one folder down (any case)."""
    root = Path(root)
    if root.is_file():
        return root if root.name.upper() == "DICOMDIR" else None
    for folder in (
        [root, *sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))] if root.is_dir() else []
    ):
        for entry in folder.iterdir():
            if entry.name.upper() == "DICOMDIR" and entry.is_file():
                return entry
    return None


def _is_part10(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def _key(ds) -> tuple:
    return tuple(text(ds.get(k) if hasattr(ds, "get") else getattr(ds, k, "")) for k in _TAGS)


def _group(entries: list[tuple[tuple, Path]]) -> list[MediaSeries]:
    by_series: dict[tuple[str, str], MediaSeries] = {}
    for key, path in entries:
        pid, name, birth, study, sdate, sdesc, series_uid, modality, desc = key
        s = by_series.get((study, series_uid))
        if s is None:
            s = by_series[(study, series_uid)] = MediaSeries(
                pid, name.replace("^", " ").strip(), birth, study, sdate, sdesc, series_uid, modality, desc
            )
        s.files.append(path)
    return sorted(
        by_series.values(), key=lambda s: (s.patient_name, s.study_date, s.study_uid, s.modality, s.description)
    )


def _from_dicomdir(dicomdir: Path, cancel: CancelToken) -> MediaContents:
    from pydicom import dcmread
    from pydicom.fileset import FileSet

    try:
        with warnings.catch_warnings():  # files the index lists but the disc lacks: counted below instead
            warnings.simplefilter("ignore")
            index = dcmread(dicomdir)
            fs = FileSet(index)
        listed = sum(1 for r in index.get("DirectoryRecordSequence", []) if "ReferencedFileID" in r)
    except Exception as exc:  # pydicom raises many kinds for a damaged index
        raise InputError(
            f"The DICOMDIR on this disc cannot be read ({type(exc).__name__}); import the folder instead"
        ) from None
    entries, skipped = [], 0
    for instance in fs:
        cancel.raise_if_cancelled()
        path = Path(instance.path)
        if not path.is_file() or not _is_part10(path):
            skipped += 1
            continue
        values = []
        for k in _TAGS:
            try:
                values.append(text(getattr(instance, k)))
            except AttributeError:
                values.append("")
        entries.append((tuple(values), path))
    return MediaContents(dicomdir.parent, _group(entries), dicomdir, max(skipped, listed - len(entries)))


def _from_headers(root: Path, progress: ProgressSink, cancel: CancelToken) -> MediaContents:
    from pydicom import dcmread

    files = []
    for top, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(top) / n for n in sorted(names) if not n.startswith(".")]
    entries, skipped = [], 0
    for n, f in enumerate(files, 1):
        cancel.raise_if_cancelled()
        if not _is_part10(f):
            skipped += 1
            continue
        try:
            ds = dcmread(f, stop_before_pixels=True, specific_tags=_TAGS)
        except Exception:  # unreadable header: left out and counted
            skipped += 1
            continue
        key = _key(ds)
        if not key[3]:
            skipped += 1
            continue
        entries.append((key, f))
        if n % 50 == 0:
            progress(ProgressReport("scan", n, len(files), detail=f"{n} of {len(files)} file(s)"))
    return MediaContents(root, _group(entries), None, skipped)


def read_media(root: Path, progress: ProgressSink = no_progress, cancel: CancelToken | None = None) -> MediaContents:
    """The series on a disc or in a folder (via its DICOMDIR when it has one)."""
    cancel = cancel or CancelToken()
    root = Path(root)
    if not root.exists():
        raise InputError(f"There is no disc or folder at {root}")
    dicomdir = find_dicomdir(root)
    contents = _from_dicomdir(dicomdir, cancel) if dicomdir else _from_headers(root, progress, cancel)
    log.info(
        "media read: %d series, %d files skipped, dicomdir=%s", len(contents.series), contents.skipped, bool(dicomdir)
    )
    if not contents.series:
        raise InputError("No DICOM images were found on this disc or in this folder")
    return contents
