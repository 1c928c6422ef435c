"""Documents leaving the app on this computer: open with the system's viewer, Save As, Export to a folder, Print.

Every one of these puts patient data outside the app's library, so the UI warns first and each is audited
(how many documents, never their names). Copies handed to another program live in a private folder of the
profile (`paths.opened_dir`) under the document's own name (the system picks the viewer by it) and are
removed after a day.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sodclient.audit_events import AuditEvent
from sodclient.errors import InputError, UserError
from sodclient.library import Document
from sodclient.profile import Profile

KEEP_OPENED_SECONDS = 24 * 3600


def _safe_name(doc: Document, n: int = 1) -> str:
    name = Path(doc.title).name.strip() or f"document-{n:04d}"
    if doc.is_dicom and not Path(name).suffix:
        name += ".dcm"
    return name


def _copy(src: Path, dest: Path) -> None:
    """Copy to a temporary name beside `dest`, then rename: a half-written file never has the final name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_copy(profile: Profile, document: Document, dest: Path) -> Path:
    """Save As: one document to the path the user chose (the file dialog has asked about replacing it)."""
    dest = Path(dest)
    if not dest.parent.is_dir():
        raise InputError(f"The folder {dest.parent} does not exist.")
    try:
        _copy(document.path, dest)
    except OSError as exc:
        raise InputError(f"The document could not be saved to {dest.parent}: {exc.strerror or exc}.") from None
    profile.audit.record(AuditEvent.DOCUMENTS_SAVED, documents=1, how="save as")
    return dest


def export(profile: Profile, documents: list[Document], folder: Path) -> list[Path]:
    """Export: copies under their own names into `folder`; a name already there gets " (2)", never replaced."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"The folder {folder} does not exist.")
    written: list[Path] = []
    try:
        for n, doc in enumerate(documents, 1):
            name = _safe_name(doc, n)
            stem, suffix, k = Path(name).stem, Path(name).suffix, 1
            target = folder / name
            while target.exists():
                k += 1
                target = folder / f"{stem} ({k}){suffix}"
            _copy(doc.path, target)
            written.append(target)
    except OSError as exc:
        for p in written:  # all or nothing: no half-exported set
            p.unlink(missing_ok=True)
        raise InputError(f"The documents could not be exported to {folder}: {exc.strerror or exc}.") from None
    profile.audit.record(AuditEvent.DOCUMENTS_SAVED, documents=len(written), how="export")
    return written


def clear_old_copies(profile: Profile, now: float | None = None) -> int:
    """Removes the copies handed to other programs more than a day ago."""
    now = time.time() if now is None else now
    removed = 0
    base = profile.paths.opened_dir
    if not base.is_dir():
        return 0
    for folder in base.iterdir():
        try:
            if now - folder.stat().st_mtime > KEEP_OPENED_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def copy_for_outside(profile: Profile, document: Document, how: str = "open") -> Path:
    """A private copy, under the document's name, to give to another program (the system's viewer, printing)."""
    clear_old_copies(profile)
    base = profile.paths.opened_dir
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = Path(tempfile.mkdtemp(dir=base))
    target = folder / _safe_name(document)
    try:
        _copy(document.path, target)
    except OSError as exc:
        raise UserError(f"The document could not be prepared for the other program: {exc.strerror or exc}.") from None
    profile.audit.record(AuditEvent.DOCUMENTS_OPENED_OUTSIDE, documents=1, how=how)
    return target


def print_command() -> list[str] | None:
    """How this computer prints a file, or None where it offers no way (the UI then hides Print)."""
    if sys.platform == "win32":
        return ["startfile-print"]
    lp = shutil.which("lp") or shutil.which("lpr")
    return [lp] if lp else None


def print_document(profile: Profile, document: Document) -> None:
    command = print_command()
    if not command:
        raise UserError("This computer has no printing set up (no `lp` command).")
    path = copy_for_outside(profile, document, how="print")
    if command == ["startfile-print"]:
        os.startfile(path, "print")  # type: ignore[attr-defined]  # Windows only
        return
    run = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        raise UserError(f"The document could not be printed: {(run.stderr or run.stdout).strip() or 'lp failed'}.")
