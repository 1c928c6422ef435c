"""Pixels for thumbnails and the simple viewer (not for diagnosis): DICOM with window/level, and images.

Returns Pillow images so this stays Qt-free; the UI converts them for display.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image, ImageOps

THUMB_SIZE = 128


class ImagingError(Exception):
    """The file has no pixels we can show (one plain line)."""


@dataclass
class DicomFrame:
    """One frame as floats in modality units (rescale applied), plus the file's suggested window."""

    pixels: np.ndarray
    center: float
    width: float
    monochrome1: bool
    rgb: bool

    def render(self, center: float | None = None, width: float | None = None) -> Image.Image:
        if self.rgb:
            return Image.fromarray(np.clip(self.pixels, 0, 255).astype(np.uint8), "RGB")
        c = self.center if center is None else center
        w = max(1.0, self.width if width is None else width)
        lo = c - w / 2.0
        scaled = np.clip((self.pixels - lo) / w, 0.0, 1.0) * 255.0
        img = Image.fromarray(scaled.astype(np.uint8), "L")
        return ImageOps.invert(img) if self.monochrome1 else img


def _first(value) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value[0]) if isinstance(value, pydicom.multival.MultiValue) else float(value)
    except (TypeError, ValueError, IndexError):
        return None


@dataclass
class DicomImage:
    """Every frame of one DICOM object: floats in modality units (rescale applied), or RGB bytes for colour."""

    frames: np.ndarray  # (n, rows, cols) float32, or (n, rows, cols, 3) uint8 when rgb
    center: float
    width: float
    monochrome1: bool
    rgb: bool
    modality: str = ""

    @property
    def count(self) -> int:
        return int(self.frames.shape[0])

    def frame(self, index: int = 0) -> DicomFrame:
        return DicomFrame(self.frames[index], self.center, self.width, self.monochrome1, self.rgb)


# Window presets (centre, width) in Hounsfield units for CT; other modalities have no fixed scale, so they get
# the file's own window and the full range. Common published values (e.g. Radiopaedia's "Windowing (CT)").
CT_PRESETS = [
    ("Soft tissue", 40, 400),
    ("Lung", -600, 1500),
    ("Bone", 400, 1800),
    ("Brain", 40, 80),
    ("Liver", 60, 160),
    ("Mediastinum", 50, 350),
]


def presets_for(image: DicomImage) -> list[tuple[str, float, float]]:
    """(name, centre, width) choices for this image: the file's own window, the full range, then the
    modality's presets."""
    pixels = image.frames
    lo, hi = float(pixels.min()), float(pixels.max())
    found = [("From the file", image.center, image.width), ("Full range", (lo + hi) / 2.0, max(1.0, hi - lo))]
    return found + (CT_PRESETS if image.modality == "CT" else [])


def load_dicom_image(path: Path) -> DicomImage:
    """All frames of a DICOM object. pydicom converts YBR colour to RGB itself (once: converting again is what
    turned colour ultrasound green)."""
    from sodclient.library.dicom_info import read_dataset

    try:
        ds = read_dataset(path, stop_before_pixels=False)
        if ds is None:
            raise ImagingError("This file is not DICOM.")
        if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}):  # a data set written without its meta group
            ds.file_meta = getattr(ds, "file_meta", None) or pydicom.dataset.FileMetaDataset()
            ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
        arr = ds.pixel_array  # YBR_FULL / YBR_FULL_422 come back as RGB (pydicom's as_rgb default)
    except ImagingError:
        raise
    except Exception as exc:  # pydicom raises many types for missing pixel data or codecs
        raise ImagingError("This DICOM file has no image that can be shown here.") from exc
    frames_count = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    modality = str(ds.get("Modality", "") or "")
    if samples == 3:
        frames = arr if arr.ndim == 4 else arr[np.newaxis]
        if frames.dtype != np.uint8:  # 16-bit colour: scale to 8 bits for display
            frames = (frames.astype(np.float32) * (255.0 / max(1.0, float(frames.max())))).astype(np.uint8)
        return DicomImage(frames, 128, 256, False, True, modality)
    frames = arr if (frames_count > 1 and arr.ndim == 3) else arr[np.newaxis]
    slope, intercept = float(ds.get("RescaleSlope", 1) or 1), float(ds.get("RescaleIntercept", 0) or 0)
    pixels = frames.astype(np.float32) * slope + intercept
    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if center is None or width is None or width <= 0:
        lo, hi = float(pixels.min()), float(pixels.max())
        center, width = (lo + hi) / 2.0, max(1.0, hi - lo)
    return DicomImage(pixels, center, width, photometric == "MONOCHROME1", False, modality)


def load_dicom_frame(path: Path) -> DicomFrame:
    """The first frame (thumbnails, the preview)."""
    return load_dicom_image(path).frame(0)


def tag_rows(path: Path) -> list[tuple[str, str, str]]:
    """(tag, name, value) of every element but the pixel data, nested sequences indented: the viewer's tag panel
    (shown on this computer only; it holds the patient's details)."""
    from sodclient.library.dicom_info import read_dataset

    ds = read_dataset(path)
    if ds is None:
        return []
    rows: list[tuple[str, str, str]] = []

    def walk(dataset, depth: int) -> None:
        for elem in dataset:
            indent = "  " * depth
            tag = f"({elem.tag.group:04X},{elem.tag.element:04X})"
            if elem.VR == "SQ":
                rows.append((indent + tag, elem.name, f"{len(elem.value)} item(s)"))
                for item in elem.value:
                    walk(item, depth + 1)
            else:
                value = elem.repval if len(str(elem.repval)) < 200 else str(elem.repval)[:200] + "…"
                rows.append((indent + tag, elem.name, str(value).strip("'\"")))

    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        walk(meta, 0)
    walk(ds, 0)
    return rows


def load_image(path: Path) -> Image.Image:
    try:
        with Image.open(path) as opened:
            im = ImageOps.exif_transpose(opened)
            return im.convert("RGB") if im.mode not in ("L", "RGB") else im.copy()
    except Exception as exc:
        raise ImagingError("This image cannot be shown here.") from exc


def thumbnail(path: Path, media_type: str, cache_dir: Path, sha256: str) -> Path | None:
    """A cached PNG thumbnail for a DICOM file or image, or None when there is nothing to show."""
    cached = cache_dir / f"{sha256}.png"
    if cached.exists():
        return cached
    try:
        if media_type == "application/dicom":
            img = load_dicom_frame(path).render()
        elif media_type.startswith("image/"):
            img = load_image(path)
        else:
            return None
    except ImagingError:
        return None
    img.thumbnail((THUMB_SIZE, THUMB_SIZE))
    tmp = cached.with_name(f".{cached.stem}.{os.getpid()}.{threading.get_ident()}.tmp")  # two jobs may race here
    img.save(tmp, "PNG")
    tmp.replace(cached)
    return cached
