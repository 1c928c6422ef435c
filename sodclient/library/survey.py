"""Before an import: what each chosen file is, so nothing is filed silently or refused without its name.

A CD or a folder from another system holds more than documents: DICOMDIR indexes, READMEs, viewer programs,
the operating system's clutter (.DS_Store, Thumbs.db, __MACOSX). Those are skipped and listed. Files that
cannot be taken (unreadable, empty, DICOM without the identifiers filing needs) are named with the reason,
and the rest can still be imported. Non-DICOM documents are kept apart: they are filed only into a case the
user confirms (the import dialog shows the patient and the case).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sodclient.errors import LibraryError
from sodclient.library.dicom_info import is_dicomdir, looks_like_dicom, read_dataset
from sodclient.progress import CancelToken, ProgressReport, ProgressSink, no_progress

# Names (lower case) that are never documents: indexes, notes that come with a CD, operating-system clutter.
_CLUTTER_NAMES = {
    ".ds_store",
    "thumbs.db",
    "desktop.ini",
    "ehthumbs.db",
    "autorun.inf",
    "autorun.ini",
    "icon\r",
    ".directory",
    "dicomdir",
    "lockfile",
    "version",
}
_NOTE_STEMS = (
    "readme",
    "read_me",
    "read me",
    "lisezmoi",
    "liesmich",
    "leeme",
    "license",
    "licence",
    "copying",
    "index",
)
_NOTE_SUFFIXES = {"", ".txt", ".htm", ".html", ".md", ".rtf", ".nfo"}
# Viewer software shipped on CDs: programs and their parts, never patient documents.
_PROGRAM_SUFFIXES = {
    ".exe",
    ".dll",
    ".msi",
    ".bat",
    ".cmd",
    ".com",
    ".sys",
    ".ocx",
    ".jar",
    ".app",
    ".dylib",
    ".so",
    ".inf",
    ".ini",
    ".cab",
    ".js",
    ".css",
    ".xsl",
}
_CLUTTER_FOLDERS = {
    "__macosx",
    "$recycle.bin",
    "system volume information",
    ".trashes",
    ".spotlight-v100",
    ".fseventsd",
}


@dataclass(frozen=True)
class Left:
    """A file that will not be imported, and why, in words for the user."""

    path: Path
    reason: str


@dataclass
class ImportPlan:
    dicom: list[Path] = field(default_factory=list)  # filed by patient / study / series from their tags
    documents: list[Path] = field(default_factory=list)  # need a case the user confirms
    skipped: list[Left] = field(default_factory=list)  # not documents (indexes, notes, clutter): not a problem
    refused: list[Left] = field(default_factory=list)  # could not be taken: the user must be told

    @property
    def importable(self) -> list[Path]:
        return [*self.dicom, *self.documents]


def skip_reason(path: Path) -> str | None:
    """Why a file is not a document to file (by its name and place alone), or None."""
    name = path.name.lower()
    stem, suffix = os.path.splitext(name)
    if any(part.lower() in _CLUTTER_FOLDERS for part in path.parts[:-1]) or name.startswith("._"):
        return "left by the operating system"
    if name == "dicomdir" or stem == "dicomdir":
        return "the CD's index of its images (DICOMDIR), not an image"
    if name in _CLUTTER_NAMES or name.startswith("~$"):
        return "left by the operating system"
    if suffix in _NOTE_SUFFIXES and (stem.startswith(_NOTE_STEMS) or stem in _NOTE_STEMS):
        return "a note that came with the files (README or similar)"
    if suffix in _PROGRAM_SUFFIXES:
        return "part of a program (such as a CD's viewer), not a document"
    return None


def iter_files(paths: Iterable[Path], on_skip: Callable[[Path, str], None] | None = None) -> list[Path]:
    """Regular files under the chosen files and folders, in a stable order. Links and hidden files are left
    out, and told to `on_skip` with the reason (links inside a folder are passed over silently)."""
    skip = on_skip or (lambda _path, _why: None)
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_symlink():
            skip(p, "a link to another file (import the file itself)")
        elif p.is_file():
            found.append(p)
        elif p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    f = Path(root) / name
                    if f.is_symlink() or not f.is_file():
                        continue
                    if name.startswith("."):
                        skip(f, "a hidden file")
                        continue
                    found.append(f)
        else:
            raise LibraryError(f"Cannot read {p.name}: no such file or folder.")
    return found


def survey(
    paths: Iterable[Path], cancel: CancelToken | None = None, progress: ProgressSink = no_progress
) -> ImportPlan:
    """Looks at every file once (DICOM headers only, never pixels) and sorts it into the plan."""
    cancel = cancel or CancelToken()
    plan = ImportPlan()
    files = iter_files(paths, lambda f, why: plan.skipped.append(Left(f, skip_reason(f) or why)))
    for n, f in enumerate(files):
        cancel.raise_if_cancelled()
        if n % 50 == 0:
            progress(ProgressReport("looking at the files", n, len(files), detail=f"file {n + 1} of {len(files)}"))
        reason = skip_reason(f)
        if reason:
            plan.skipped.append(Left(f, reason))
            continue
        try:
            size = f.stat().st_size
            with open(f, "rb"):
                pass
        except OSError as exc:
            plan.refused.append(Left(f, f"it cannot be read ({exc.strerror or 'no access'})"))
            continue
        if size == 0:
            plan.refused.append(Left(f, "it is empty"))
            continue
        if not looks_like_dicom(f):
            plan.documents.append(f)
            continue
        ds = read_dataset(f)
        if ds is None:
            if _part10(f):
                plan.refused.append(Left(f, "it is a damaged DICOM file"))
            else:
                plan.documents.append(f)
            continue
        if is_dicomdir(f, ds):
            plan.skipped.append(Left(f, "the CD's index of its images (DICOMDIR), not an image"))
        elif not str(ds.get("StudyInstanceUID", "") or "").strip():
            plan.refused.append(Left(f, "it is DICOM without a study identifier, so it cannot be filed"))
        else:
            plan.dicom.append(f)
    return plan


def _part10(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(132)[128:132] == b"DICM"
