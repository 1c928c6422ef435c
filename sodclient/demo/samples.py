"""Synthetic, PHI-free sample documents for the demo library: small DICOM studies of several
modalities (CT, MR, CR), a PDF report and a clinical-style photo.

Everything is generated here from numbers: the patients are invented ("DEMO^..."), the images are
drawn phantoms, nothing comes from a real person. Files are small (tens of KB each) so the demo starts
in a second and a send takes a moment.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    ExplicitVRLittleEndian,
    MRImageStorage,
    generate_uid,
)

_SOP = {"CT": CTImageStorage, "MR": MRImageStorage, "CR": ComputedRadiographyImageStorage}


@dataclass(frozen=True)
class SampleStudy:
    patient_name: str  # DICOM PN, invented
    patient_id: str
    birth_date: str
    modality: str
    description: str
    series: str
    images: int
    size: int


STUDIES = (
    SampleStudy("DEMO^Ada", "DEMO-0001", "19610312", "CT", "CT Chest (synthetic)", "Axial 5 mm", 6, 64),
    SampleStudy("DEMO^Ada", "DEMO-0001", "19610312", "CR", "Chest X-ray (synthetic)", "PA", 1, 128),
    SampleStudy("DEMO^Ben", "DEMO-0002", "19880704", "MR", "MR Knee (synthetic)", "Sagittal PD", 4, 64),
)


@dataclass(frozen=True)
class Samples:
    dicom_folders: list[Path]  # one folder per study; the library files them by their tags
    attachments: list[Path]  # the PDF report and the photo, for the first study's case


def _phantom(modality: str, size: int, index: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    r = np.hypot(xx - size / 2, (yy - size / 2) * 1.25) / size
    if modality == "CT":  # Hounsfield units, stored with intercept -1024
        hu = np.where(r < 0.42, 40 + 30 * np.sin(xx / size * 6 + index), -1000.0)
        hu = np.where((r > 0.30) & (r < 0.33), 700.0, hu)
        return (hu + 1024).astype(np.uint16)
    if modality == "MR":
        signal = np.where(r < 0.40, 600 + 300 * np.cos(yy / size * 5 + index / 2), 0.0)
        signal = np.where(np.hypot(xx - size / 2, yy - size / 2) < size / 8, 1500.0, signal)
        return signal.astype(np.uint16)
    lungs = (np.hypot((xx - size * 0.32) / 0.7, yy - size / 2) < size / 4) | (
        np.hypot((xx - size * 0.68) / 0.7, yy - size / 2) < size / 4
    )
    return np.where(lungs, 900, 2600).astype(np.uint16) + (yy * 4).astype(np.uint16)


def _write_dicom(path: Path, study: SampleStudy, study_uid: str, series_uid: str, index: int) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = _SOP[study.modality]
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = study.patient_name
    ds.PatientID = study.patient_id
    ds.PatientBirthDate = study.birth_date
    ds.PatientSex = "O"
    ds.InstitutionName = "Demo Hospital (synthetic)"
    ds.ReferringPhysicianName = "DEMO^Referrer"
    ds.AccessionNumber = f"ACC{study.patient_id[-4:]}{index:02d}"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.StudyDescription, ds.SeriesDescription = study.description, study.series
    ds.StudyDate = ds.SeriesDate = "20260115"
    ds.StudyTime = "101500"
    ds.Modality = study.modality
    ds.SeriesNumber, ds.InstanceNumber = 1, index
    ds.Rows = ds.Columns = study.size
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if study.modality == "CT":
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        ds.WindowCenter, ds.WindowWidth = 40, 400
    ds.PixelData = np.clip(_phantom(study.modality, study.size, index), 0, 4095).astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)


def _pdf_report(path: Path) -> None:
    """A one-page PDF report written by hand (no PDF library needed to make one)."""
    lines = [
        "Radiology report (synthetic demo document)",
        "",
        "Patient: DEMO^Ada (invented)",
        "Study: CT Chest, 2026-01-15",
        "",
        "Findings: no abnormality in this drawn phantom.",
        "This file exists only to show a PDF in the SOD Send demo.",
    ]
    text = "BT /F1 12 Tf 56 780 Td 16 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text.encode()),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(out.getvalue())


def _photo(path: Path) -> None:
    """A drawn 'clinical photo' (skin-toned background, a ruler, a marked area) as JPEG."""
    img = Image.new("RGB", (480, 360), (222, 184, 160))
    draw = ImageDraw.Draw(img)
    draw.ellipse((170, 110, 310, 230), fill=(196, 120, 110), outline=(150, 80, 70), width=3)
    draw.rectangle((40, 300, 440, 330), fill=(250, 250, 250), outline=(60, 60, 60))
    for i in range(41):
        x = 40 + i * 10
        draw.line((x, 300, x, 310 if i % 5 else 318), fill=(30, 30, 30))
    draw.text((48, 20), "SYNTHETIC DEMO PHOTO", fill=(80, 50, 40))
    img.save(path, "JPEG", quality=85)


def generate(folder: Path) -> Samples:
    """Writes the sample documents under `folder` and says where they are."""
    folders = []
    for n, study in enumerate(STUDIES, 1):
        out = folder / f"study-{n}"
        out.mkdir(parents=True, exist_ok=True)
        study_uid, series_uid = generate_uid(), generate_uid()
        for i in range(1, study.images + 1):
            _write_dicom(out / f"IM{i:04d}.dcm", study, study_uid, series_uid, i)
        folders.append(out)
    extra = folder / "attachments"
    extra.mkdir(parents=True, exist_ok=True)
    _pdf_report(extra / "report.pdf")
    _photo(extra / "photo.jpg")
    return Samples(folders, [extra / "report.pdf", extra / "photo.jpg"])
