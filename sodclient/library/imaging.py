"""Pixels for thumbnails and the simple viewer (not for diagnosis): DICOM with window/level, and images.

Returns Pillow images so this stays Qt-free; the UI converts them for display.
"""

from __future__ import annotations

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


def load_dicom_frame(path: Path) -> DicomFrame:
    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
    except Exception as exc:  # pydicom raises many types for missing pixel data or codecs
        raise ImagingError("This DICOM file has no image that can be shown here.") from exc
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    rgb = photometric in ("RGB", "YBR_FULL", "YBR_FULL_422") and arr.shape[-1] == 3
    if rgb:
        if photometric != "RGB":
            arr = pydicom.pixels.convert_color_space(arr, photometric, "RGB")
        if arr.ndim == 4:
            arr = arr[0]
        return DicomFrame(arr.astype(np.float32), 128, 256, False, True)
    if arr.ndim == 3:  # multi-frame: show the first
        arr = arr[0]
    pixels = arr.astype(np.float32) * float(ds.get("RescaleSlope", 1) or 1) + float(ds.get("RescaleIntercept", 0) or 0)
    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if center is None or width is None or width <= 0:
        lo, hi = float(pixels.min()), float(pixels.max())
        center, width = (lo + hi) / 2.0, max(1.0, hi - lo)
    return DicomFrame(pixels, center, width, photometric == "MONOCHROME1", False)


def load_image(path: Path) -> Image.Image:
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
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
    tmp = cached.with_suffix(".tmp")
    img.save(tmp, "PNG")
    tmp.replace(cached)
    return cached
