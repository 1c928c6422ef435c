"""What a PACS search asks and what it answers, the same for DIMSE and DICOMweb."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sodclient.errors import InputError


@dataclass(frozen=True)
class StudyQuery:
    patient_name: str = ""  # "Doe" matches names starting with Doe; * and ? work as in DICOM
    patient_id: str = ""
    date_from: str = ""  # YYYYMMDD or ""
    date_to: str = ""
    modality: str = ""  # CT, MR, ...
    accession: str = ""
    study_uid: str = ""  # one study, by its StudyInstanceUID (the command line's retrieve)

    def checked(self) -> StudyQuery:
        for value in (self.date_from, self.date_to):
            if value and not re.fullmatch(r"\d{8}", value):
                raise InputError("Dates are YYYYMMDD, for example 20260131")
        if self.study_uid and not re.fullmatch(r"[0-9.]{1,64}", self.study_uid):
            raise InputError("A Study Instance UID is digits and dots, at most 64 characters")
        if not any(
            (
                self.patient_name,
                self.patient_id,
                self.date_from,
                self.date_to,
                self.modality,
                self.accession,
                self.study_uid,
            )
        ):
            raise InputError("Enter a patient name or ID, a date, a modality or an accession number to search")
        return self

    @property
    def name_pattern(self) -> str:
        name = self.patient_name.strip().replace(" ", "^")
        return name if not name or any(c in name for c in "*?") else name + "*"

    @property
    def date_range(self) -> str:
        if not (self.date_from or self.date_to):
            return ""
        if self.date_from == self.date_to:
            return self.date_from
        return f"{self.date_from}-{self.date_to}"


@dataclass(frozen=True)
class StudyMatch:
    study_uid: str
    patient_id: str = ""
    patient_name: str = ""
    birth_date: str = ""
    date: str = ""
    description: str = ""
    accession: str = ""
    modalities: str = ""  # "CT\\SR" as the PACS lists them, joined with "/"
    instances: int | None = None  # NumberOfStudyRelatedInstances, when the PACS says
    sop_classes: tuple[str, ...] = field(default_factory=tuple)  # SOPClassesInStudy, when the PACS says


@dataclass(frozen=True)
class SeriesMatch:
    study_uid: str
    series_uid: str
    modality: str = ""
    description: str = ""
    number: str = ""
    instances: int | None = None


@dataclass(frozen=True)
class InstanceResult:
    """One instance of a send to PACS: stored or not, and why (the node's status and words)."""

    sop_instance_uid: str
    ok: bool
    status: int = 0
    message: str = ""


def as_int(value) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return "/".join(str(v) for v in value)
    return str(value).strip()


def study_match(r) -> StudyMatch | None:
    """A study-level answer (a C-FIND dataset or a QIDO-RS record: anything with `.get(keyword)`), or None
    when it names no study."""
    uid = text(r.get("StudyInstanceUID"))
    if not uid:
        return None
    classes = r.get("SOPClassesInStudy")
    many = isinstance(classes, (list, tuple)) or type(classes).__name__ == "MultiValue"
    return StudyMatch(
        study_uid=uid,
        patient_id=text(r.get("PatientID")),
        patient_name=text(r.get("PatientName")).replace("^", " ").strip(),
        birth_date=text(r.get("PatientBirthDate")),
        date=text(r.get("StudyDate")),
        description=text(r.get("StudyDescription")),
        accession=text(r.get("AccessionNumber")),
        modalities=text(r.get("ModalitiesInStudy")),
        instances=as_int(r.get("NumberOfStudyRelatedInstances")),
        sop_classes=tuple(str(c) for c in (classes if many else ([classes] if classes else []))),
    )


def newest_first(studies) -> list[StudyMatch]:
    return sorted((s for s in studies if s is not None), key=lambda s: (s.date, s.description), reverse=True)


def series_matches(study_uid: str, answers) -> list[SeriesMatch]:
    """Series-level answers, in series-number order; answers without a series UID are dropped."""
    out = [
        SeriesMatch(
            study_uid,
            text(r.get("SeriesInstanceUID")),
            text(r.get("Modality")),
            text(r.get("SeriesDescription")),
            text(r.get("SeriesNumber")),
            as_int(r.get("NumberOfSeriesRelatedInstances")),
        )
        for r in answers
    ]
    return sorted((s for s in out if s.series_uid), key=lambda s: (as_int(s.number) or 0, s.series_uid))
