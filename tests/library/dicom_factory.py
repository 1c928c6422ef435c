"""Builds small but real Part 10 DICOM files (CT-like, with pixels) for library and UI tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def make_dicom(
    path: Path,
    *,
    patient_id="PID-001",
    patient_name="Doe^Jane",
    study_uid=None,
    series_uid=None,
    instance=1,
    size=32,
    study_description="CT Chest",
    institution="General Hospital",
) -> Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientID = patient_id
    ds.PatientName = patient_name
    ds.PatientBirthDate = "19700101"
    ds.InstitutionName = institution
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.StudyDescription = study_description
    ds.SeriesDescription = "Axial"
    ds.StudyDate = "20260101"
    ds.Modality = "CT"
    ds.InstanceNumber = instance
    ds.Rows = ds.Columns = size
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleSlope = 1
    ds.RescaleIntercept = -1024
    ds.WindowCenter = 40
    ds.WindowWidth = 400
    yy, xx = np.mgrid[0:size, 0:size]
    r = np.hypot(xx - size / 2, (yy - size / 2) * 1.25) / size  # an elliptical "body" phantom
    hu = np.where(r < 0.42, 40 + 30 * np.sin(xx / size * 6 + instance), -1000.0)
    hu = np.where((r > 0.30) & (r < 0.33), 700.0, hu)  # a bright "bone" ring
    pixels = (hu + 1024).astype(np.int16)
    ds.PixelData = pixels.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def make_study(folder: Path, n=3, **kw) -> list[Path]:
    study, series = generate_uid(), generate_uid()
    return [
        make_dicom(folder / f"IM{i:04d}", study_uid=study, series_uid=series, instance=i, **kw) for i in range(1, n + 1)
    ]
