"""Burned-in text: decide whether an image may carry it, and blank the known text areas where we can.

Ultrasound scanners print the patient header outside the image regions they declare in the Sequence of
Ultrasound Regions; blanking every pixel outside those regions removes it without guessing at vendor
layouts. Anything else that may carry burned-in text (secondary captures, "other", screen grabs, or any
image flagged BurnedInAnnotation=YES) cannot be cleaned reliably here and is left out.
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset

# Kinds of image that commonly carry burned-in text (PS3.15 E.3.1 mentions US and SC explicitly).
_RISKY_MODALITIES = {"US", "SC", "OT", "XC", "ES", "DOC"}
_SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"
_ULTRASOUND_CLASSES = {"1.2.840.10008.5.1.4.1.1.6.1", "1.2.840.10008.5.1.4.1.1.3.1",
                       "1.2.840.10008.5.1.4.1.1.6.2"}
UNCOMPRESSED = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}
_BLANKABLE_PHOTOMETRIC = {"MONOCHROME1", "MONOCHROME2", "RGB", "PALETTE COLOR"}


def burned_in_reason(ds: Dataset) -> str | None:
    """Why this image may show text in its pixels, or None when it is not a known risk."""
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        return None
    if str(ds.get("BurnedInAnnotation", "")).upper() == "YES":
        return "it is flagged as having text burned into the pixels"
    if str(ds.get("RecognizableVisualFeatures", "")).upper() == "YES":
        return "it is flagged as showing recognizable features (e.g. a face)"
    modality = str(ds.get("Modality", "")).upper()
    sop_class = str(ds.get("SOPClassUID", ""))
    if modality == "US" or sop_class in _ULTRASOUND_CLASSES:
        return "ultrasound images usually show the patient header in the pixels"
    if sop_class.startswith(_SECONDARY_CAPTURE_PREFIX) or modality in _RISKY_MODALITIES:
        return "screen captures and secondary captures usually show text in the pixels"
    return None


def is_ultrasound(ds: Dataset) -> bool:
    return str(ds.get("Modality", "")).upper() == "US" or str(ds.get("SOPClassUID", "")) in _ULTRASOUND_CLASSES


def decompress_for_blanking(ds: Dataset) -> str | None:
    """Decode compressed pixels (JPEG baseline via Pillow, RLE, ...) and store them uncompressed, so the
    blanked image is not compressed a second time. The SOP Instance UID stays (it is already replaced).
    Returns None on success, else why not."""
    try:
        ds.decompress(generate_instance_uid=False)
    except Exception:  # missing decoder plugin or damaged stream: pydicom raises several types
        return "its compressed pixels cannot be decoded here"
    return None


def blank_outside_ultrasound_regions(ds: Dataset, transfer_syntax: str) -> str | None:
    """Zero every pixel outside the declared ultrasound regions. Returns None on success, else why not.
    Compressed images are decoded first and stored uncompressed."""
    regions = ds.get("SequenceOfUltrasoundRegions")
    if not regions:
        return "it declares no ultrasound regions, so the text areas are unknown"
    if transfer_syntax not in UNCOMPRESSED:
        why_not = decompress_for_blanking(ds)
        if why_not is not None:
            return why_not
        transfer_syntax = str(ds.file_meta.TransferSyntaxUID)
    photometric = str(ds.get("PhotometricInterpretation", ""))
    bits = int(ds.get("BitsAllocated", 0))
    if photometric not in _BLANKABLE_PHOTOMETRIC or bits not in (8, 16) or "PixelData" not in ds:
        return "its pixel format is not one that can be blanked safely"
    rows, cols = int(ds.Rows), int(ds.Columns)
    spp = int(ds.get("SamplesPerPixel", 1))
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    planar = int(ds.get("PlanarConfiguration", 0) or 0)
    dtype = np.dtype(np.uint8 if bits == 8 else (">u2" if transfer_syntax == "1.2.840.10008.1.2.2" else "<u2"))
    raw = ds.PixelData
    expected = rows * cols * spp * frames * dtype.itemsize
    if len(raw) < expected:
        return "its pixel data is shorter than its header says"
    keep = np.zeros((rows, cols), dtype=bool)
    for region in regions:
        x0, y0 = int(region.RegionLocationMinX0), int(region.RegionLocationMinY0)
        x1, y1 = int(region.RegionLocationMaxX1), int(region.RegionLocationMaxY1)
        keep[max(0, y0):min(rows, y1 + 1), max(0, x0):min(cols, x1 + 1)] = True
    outside = ~keep
    if not outside.any():
        return "its ultrasound regions cover the whole image, so the text areas are unknown"
    pixels = np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize).copy()
    if spp == 1:
        pixels = pixels.reshape(frames, rows, cols)
        pixels[:, outside] = 0
    elif planar == 0:
        pixels = pixels.reshape(frames, rows, cols, spp)
        pixels[:, outside, :] = 0
    else:
        pixels = pixels.reshape(frames, spp, rows, cols)
        pixels[:, :, outside] = 0
    data = pixels.tobytes() + bytes(raw[expected:])
    ds.PixelData = data
    ds.BurnedInAnnotation = "NO"
    return None
