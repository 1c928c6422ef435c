"""Reads the few DICOM tags the library files by (patient, study, series), without loading pixels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DicomTags:
    patient_id: str
    patient_name: str
    birth_date: str
    study_uid: str
    study_description: str
    study_date: str
    series_uid: str
    series_description: str
    modality: str
    instance_number: int | None
    sop_instance_uid: str = ""
    sop_class_uid: str = ""


def looks_like_dicom(path: Path) -> bool:
    """Part 10 files carry 'DICM' after a 128-byte preamble; that is the only form we file by tags."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def _text(ds, keyword: str) -> str:
    value = ds.get(keyword, "")
    return str(value).strip() if value is not None else ""


def preload() -> None:
    """Imports pydicom in the calling thread: a first import racing in several threads at once fails
    ("partially initialized module"), so the library's import threads must find it loaded."""
    import pydicom  # noqa: F401


def read_tags(path: Path) -> DicomTags | None:
    """Tags of a Part 10 DICOM file, or None when the file is not DICOM or is unreadable."""
    if not looks_like_dicom(path):
        return None
    import pydicom  # imported on first use: it is the largest part of the app's start-up time
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, EOFError, TypeError, KeyError):
        return None
    try:
        instance = int(ds.get("InstanceNumber")) if ds.get("InstanceNumber") not in (None, "") else None
    except (TypeError, ValueError):
        instance = None
    return DicomTags(
        patient_id=_text(ds, "PatientID"),
        patient_name=_text(ds, "PatientName").replace("^", " ").strip(),
        birth_date=_text(ds, "PatientBirthDate"),
        study_uid=_text(ds, "StudyInstanceUID"),
        study_description=_text(ds, "StudyDescription"),
        study_date=_text(ds, "StudyDate"),
        series_uid=_text(ds, "SeriesInstanceUID"),
        series_description=_text(ds, "SeriesDescription"),
        modality=_text(ds, "Modality"),
        instance_number=instance,
        sop_instance_uid=_text(ds, "SOPInstanceUID"),
        sop_class_uid=_text(ds, "SOPClassUID"),
    )
