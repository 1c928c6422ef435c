"""Clean one input file into the staging folder; a bad input is left out with a reason, never fatal.

Runs in the engine's process or in a worker process (everything here is picklable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sodclient.deid import documents
from sodclient.deid.dicom_file import process_dicom
from sodclient.deid.errors import NotSafe, StagingWriteError
from sodclient.deid.identifiers import IdentifierSet
from sodclient.deid.keys import SendKeys
from sodclient.deid.options import PeerReviewOptions

_DICOM_SUFFIXES = {".dcm", ".dicom", ".ima", ""}


@dataclass
class ItemResult:
    """What cleaning one input produced (picklable, so worker processes can return it)."""

    index: int
    size: int
    staged: str | None = None
    ext: str = ""
    kind: str = ""
    actions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reason: str | None = None  # set when left out
    found: IdentifierSet = field(default_factory=IdentifierSet)
    boxes: list = field(default_factory=list)  # Box: pixel areas blanked
    texts: list = field(default_factory=list)  # (tag, decoded text) kept in a DICOM output
    screened: int = 0  # frames screened for text
    ocr_frames: int = 0  # frames read by OCR


def process_input(
    index: int, path_str: str, size: int, staging: str, keys: SendKeys, options: PeerReviewOptions
) -> ItemResult:
    """Clean one input into the staging folder. Never raises for a bad input: it is left out instead."""
    path = Path(path_str)
    result = ItemResult(index=index, size=size)
    try:
        head = documents.read_head(path)
        kind = documents.sniff(head)
        if kind is None and path.suffix.lower() in _DICOM_SUFFIXES:
            kind = "dicom?"
        if kind in ("dicom", "dicom?"):
            process_dicom(
                path, kind == "dicom", result, staging, keys, options, options.boxes_for(path_str, f"input {index + 1}")
            )
        else:
            data = path.read_bytes()
            cleaned, info = documents.clean_document(kind or "", data)
            result.kind, result.ext, result.actions, result.warnings = info.kind, info.ext, info.actions, info.warnings
            result.staged = _stage(staging, index, cleaned)
    except StagingWriteError:
        raise  # our own output failed (e.g. disk full): the whole run fails
    except NotSafe as exc:
        result.reason = str(exc)
    except Exception as exc:  # any damaged or hostile input is left out, never half-processed
        result.reason = f"it could not be read or cleaned ({type(exc).__name__})"
        result.staged = None
    return result


def _stage(staging: str, index: int, data: bytes) -> str:
    path = Path(staging) / f"{index:06d}.part"
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise StagingWriteError(exc.strerror or type(exc).__name__) from exc
    return str(path)
