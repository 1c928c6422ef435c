"""The Peer Review benchmark corpus: CT/MR slices from pydicom's bundled samples, with synthetic PHI.

Every slice gets a new SOPInstanceUID, the same study per modality, and synthetic PHI in the places tools
miss: nested sequences, private tags, file meta, free text, overlays. Nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

FAMILY, GIVEN = "Benchperson", "Adelheid"
PATIENT_ID, ACCESSION, BIRTH = "BPID4471209", "BACC9902113", "19580923"
PHI = [FAMILY, GIVEN, PATIENT_ID, ACCESSION, BIRTH]


def _nested(depth: int) -> Dataset:
    item = Dataset()
    item.PatientName = f"{FAMILY}^{GIVEN}"
    item.PatientID = PATIENT_ID
    item.ReferencedSOPInstanceUID = generate_uid()
    item.add_new(0x00290010, "LO", "BENCH PRIVATE")
    item.add_new(0x00291001, "LO", f"{FAMILY} {GIVEN}")
    if depth > 1:
        item.ReferencedImageSequence = Sequence([_nested(depth - 1)])
    return item


def make_corpus(folder: Path, count: int = 400) -> list[Path]:
    """`count` slices, half CT half MR, written as `slice_NNNN.dcm` (PHI kept out of the names here)."""
    folder.mkdir(parents=True, exist_ok=True)
    templates = [pydicom.dcmread(get_testdata_file(n, download=False)) for n in ("CT_small.dcm", "MR_small.dcm")]
    studies = [generate_uid(), generate_uid()]
    series = [generate_uid(), generate_uid()]
    paths = []
    for i in range(count):
        k = i % 2
        ds = templates[k]
        ds.PatientName = f"{FAMILY}^{GIVEN}"
        ds.PatientID = PATIENT_ID
        ds.PatientBirthDate = BIRTH
        ds.AccessionNumber = ACCESSION
        ds.ImageComments = f"{FAMILY} {GIVEN}, ID {PATIENT_ID}"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = studies[k], series[k]
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = i // 2 + 1
        ds.RequestAttributesSequence = Sequence([_nested(3)])
        ds.add_new(0x00090010, "LO", "BENCH PRIVATE")
        ds.add_new(0x00091001, "PN", f"{FAMILY}^{GIVEN}")
        ds.add_new(0x60004000, "LT", f"overlay {FAMILY}")
        path = folder / f"slice_{i:04d}.dcm"
        ds.save_as(path)
        paths.append(path)
    return paths


def leaked_files(folder: Path) -> int:
    """How many output files still contain any planted value (any case, UTF-8)."""
    needles = [v.lower().encode() for v in PHI]
    leaks = 0
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            leaks += any(n in data for n in needles)
    return leaks
