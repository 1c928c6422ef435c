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
    sex: str = ""  # M, F, O or "" (DICOM Patient's Sex)


# The Media Storage Directory (DICOMDIR): an index of a CD's files, not a document of its own.
DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"


def has_part10_preamble(head: bytes) -> bool:
    return len(head) >= 132 and head[128:132] == b"DICM"


def may_be_bare_dataset(head: bytes) -> bool:
    """A DICOM data set written without the Part 10 preamble and meta group (older systems, RT plans, some
    CDs) starts with a group 0x0008 (or 0x0002) element in little-endian order, in ascending element order."""
    return len(head) >= 8 and head[0:2] in (b"\x08\x00", b"\x02\x00") and head[3] == 0


def looks_like_dicom(path: Path) -> bool:
    """A Part 10 file ('DICM' after a 128-byte preamble) or, cheaply ruled in, a data set without preamble
    (its tags are then read with `force`, and kept only when it has the identifiers DICOM instances carry)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return has_part10_preamble(head) or may_be_bare_dataset(head)


def read_dataset(path: Path, stop_before_pixels: bool = True):
    """The pydicom data set of a DICOM file with or without its preamble, or None when it is not DICOM."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return None
    part10 = has_part10_preamble(head)
    if not part10 and not may_be_bare_dataset(head):
        return None
    import pydicom  # imported on first use: it is the largest part of the app's start-up time
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=stop_before_pixels, force=not part10)
    except (InvalidDicomError, OSError, ValueError, EOFError, TypeError, KeyError, AttributeError):
        return None
    if not part10:  # `force` parses anything: keep it only if it really is an instance
        try:
            if not (ds.get("SOPClassUID") and ds.get("SOPInstanceUID")):
                return None
        except Exception:
            return None
    return ds


def is_dicomdir(path: Path, ds=None) -> bool:
    if path.name.upper() == "DICOMDIR":
        return True
    ds = ds if ds is not None else read_dataset(path)
    meta = getattr(ds, "file_meta", None) if ds is not None else None
    return bool(meta is not None and str(meta.get("MediaStorageSOPClassUID", "")) == DICOMDIR_SOP_CLASS)


def _text(ds, keyword: str) -> str:
    value = ds.get(keyword, "")
    return str(value).strip() if value is not None else ""


def preload() -> None:
    """Imports pydicom in the calling thread: a first import racing in several threads at once fails
    ("partially initialized module"), so the library's import threads must find it loaded."""
    import pydicom  # noqa: F401


def read_tags(path: Path) -> DicomTags | None:
    """Tags of a DICOM file (with or without the Part 10 preamble), or None when it is not DICOM or unreadable."""
    ds = read_dataset(path)
    if ds is None:
        return None
    try:
        instance = int(ds.get("InstanceNumber")) if ds.get("InstanceNumber") not in (None, "") else None
    except (TypeError, ValueError):
        instance = None
    return DicomTags(
        patient_id=_text(ds, "PatientID"),
        patient_name=_text(ds, "PatientName").replace("^", " ").strip(),
        birth_date=_text(ds, "PatientBirthDate"),
        sex=_text(ds, "PatientSex").upper()[:1],
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
