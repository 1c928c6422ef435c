"""Plain records the library hands out; the UI displays them, nothing else mutates them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Patient:
    id: int
    patient_key: str  # DICOM PatientID or a generated key for patients created by hand
    name: str  # display name (may be PHI: shown in the UI, never logged or used in file names)
    birth_date: str  # YYYYMMDD or ""
    sex: str = ""  # M, F, O or "" (from the DICOM it came with)


@dataclass(frozen=True)
class Case:
    id: int
    patient_id: int
    study_uid: str  # DICOM StudyInstanceUID, or a generated UID for non-DICOM cases
    description: str
    date: str  # YYYYMMDD or ""
    reply_to: str = ""  # e-mail of whoever sent this case to us (prefills Reply)


@dataclass(frozen=True)
class Document:
    id: int
    case_id: int
    title: str  # the original file name, shown to the user
    sha256: str
    size: int
    media_type: str
    modality: str  # DICOM modality or ""
    series_uid: str  # DICOM SeriesInstanceUID or ""
    series_description: str
    instance_number: int | None
    path: Path  # the managed file (name derived from the content hash: no PHI)
    sop_instance_uid: str = ""  # DICOM SOPInstanceUID or "" (documents imported before schema 3 too)

    @property
    def is_dicom(self) -> bool:
        return self.media_type == "application/dicom"

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


@dataclass(frozen=True)
class Message:
    """One delivery of a conversation, sent or received, shown under its case (the thread)."""

    delivery_id: str  # the container's random delivery id
    direction: str  # "sent" | "received"
    case_id: int | None
    in_reply_to: str  # the delivery id it answers, or ""
    counterpart: str  # e-mail address(es): whom it went to, or who sent it
    signer: str  # the verified sodsig1... key of a received delivery, or ""
    message: str  # the sender's message (may be PHI: shown, never logged)
    documents: int
    at: str  # ISO-8601 UTC


@dataclass(frozen=True)
class Series:
    """One row of the study browser: a DICOM series of a case, or the case's other documents (series_uid "")."""

    id: int
    case_id: int
    series_uid: str
    modality: str
    description: str
    count: int  # documents in the series
    size: int  # their bytes

    @property
    def is_documents(self) -> bool:
        """The case's non-DICOM documents (letters, PDFs, photos) are shown as one group of their own."""
        return self.series_uid == ""


@dataclass
class ImportResult:
    """What one import added: the UI selects it, the audit trail counts it (no names)."""

    documents: list[Document] = field(default_factory=list)
    patients_created: int = 0
    cases_created: int = 0
    duplicates: int = 0  # files already in the library under the same case (content hash)

    @property
    def case_ids(self) -> list[int]:
        return sorted({d.case_id for d in self.documents})
