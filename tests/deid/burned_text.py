"""A CT flagged as showing burned-in text (Burned In Annotation YES) whose text OCR cannot read: tiny
5-pixel DejaVu letters in a corner. Peer Review leaves it out ("could not be located"); boxes drawn by hand
over the text make it safe, boxes elsewhere do not (the screen still sees text-like strokes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from PIL import Image, ImageDraw, ImageFont

from tests.deid.conftest import PATIENT_ID, PATIENT_NAME, sample

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TEXT = "xq vz kw jx pq"  # measured: the screen finds it, tesseract reads nothing above its confidence floor
COVER = (140, 228, 60, 20)  # x, y, width, height: around the text (150, 237)-(186, 242)
MISS = (10, 10, 30, 30)  # an empty corner


def flagged_ct(path: Path, **attrs) -> tuple[Path, tuple[int, int, int, int]]:
    """Writes the CT (256x256, 16-bit) to `path`; returns it and the text's bounding box (x0, y0, x1, y1)."""
    ds = pydicom.dcmread(sample("CT_small.dcm"))
    big = np.kron(ds.pixel_array, np.ones((2, 2), dtype=ds.pixel_array.dtype))
    mask = Image.new("L", (256, 256), 0)
    draw = ImageDraw.Draw(mask)
    font = ImageFont.truetype(FONT, 5)
    draw.text((150, 236), TEXT, fill=255, font=font)
    box = draw.textbbox((150, 236), TEXT, font=font)
    big[np.asarray(mask) > 100] = int(big.max()) + 400
    ds.Rows, ds.Columns = big.shape
    ds.PixelData = big.tobytes()
    ds.PatientName, ds.PatientID = PATIENT_NAME, PATIENT_ID
    ds.BurnedInAnnotation = "YES"
    for key, value in attrs.items():
        setattr(ds, key, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path)
    return path, tuple(box)  # type: ignore[return-value]
