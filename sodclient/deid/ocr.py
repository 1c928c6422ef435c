"""OCR of burned-in text with tesseract, through tesserocr (in-process; one engine per process).

Why tesserocr rather than pytesseract: pytesseract starts a tesseract process and reloads the language model
for every image (~350 ms for a 128x128 image here); tesserocr keeps one engine loaded (~20-30 ms). The
language data comes from Debian's tesseract-ocr-eng (found through TESSDATA_PREFIX or the usual folders).
Small images are enlarged before OCR: tesseract reads characters best when they are 20+ pixels high.

Text burned into a medical image sits on anatomy, not on paper: tesseract's own binarisation then reads
nothing (measured: a legible name over a CT slice gave no word at all). So each region is read twice, as
black-on-white masks of its thin bright strokes (white top-hat) and of its thin dark strokes (black
top-hat), which leaves the characters and drops the anatomy; the plain grey crop is read only when neither
mask gives a word.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
_engine = None


class OcrUnavailable(Exception):
    """tesseract or its English language data is missing; the message says how to install them."""


@dataclass(frozen=True)
class Word:
    text: str
    x: int
    y: int
    w: int
    h: int
    confidence: float


def tessdata_dir() -> str:
    env = os.environ.get("TESSDATA_PREFIX")
    candidates = ([env, str(Path(env) / "tessdata")] if env else []) + list(_TESSDATA_DIRS)
    for folder in candidates:
        if folder and (Path(folder) / "eng.traineddata").is_file():
            return folder
    raise OcrUnavailable("OCR language data is missing (install the Debian package tesseract-ocr-eng)")


def _api():
    global _engine
    if _engine is None:
        try:
            import tesserocr
        except ImportError as exc:
            raise OcrUnavailable("the OCR engine is missing (pip install tesserocr)") from exc
        _engine = tesserocr.PyTessBaseAPI(
            path=tessdata_dir(), lang="eng", psm=tesserocr.PSM.SPARSE_TEXT, oem=tesserocr.OEM.LSTM_ONLY
        )
    return _engine


_STROKE_RADIUS = 3  # strokes up to 2*3 pixels wide survive the top-hat (fonts up to ~24 px)
_MASK_CONTRAST = 40


def _morph(a: np.ndarray, fn) -> np.ndarray:
    """Square (2r+1) min or max filter, by shifting (numpy only)."""
    r = _STROKE_RADIUS
    padded = np.pad(a, r, mode="edge")
    out = a.copy()
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            out = fn(out, padded[dy : dy + a.shape[0], dx : dx + a.shape[1]])
    return out


def stroke_masks(gray: np.ndarray) -> list[np.ndarray]:
    """Black-on-white masks of thin bright strokes and of thin dark strokes."""
    a = gray.astype(np.int16)
    bright = a - _morph(_morph(a, np.minimum), np.maximum)  # white top-hat
    dark = _morph(_morph(a, np.maximum), np.minimum) - a  # black top-hat
    return [np.where(m > _MASK_CONTRAST, 0, 255).astype(np.uint8) for m in (bright, dark)]


def read_words(gray: np.ndarray, box=None, scale: int = 1) -> list[Word]:
    """Words tesseract reads in an 8-bit image (optionally only inside `box`), in image coordinates.
    With `scale` > 1 the region is read from the image reduced by that factor (wide strokes of large
    text become thin enough for the stroke masks) and the word boxes are scaled back."""
    if scale > 1:
        from sodclient.deid.screen import _reduce

        small_box = (
            None
            if box is None
            else type(box)(box.x // scale, box.y // scale, max(1, box.w // scale), max(1, box.h // scale))
        )
        return [
            Word(w.text, w.x * scale, w.y * scale, w.w * scale, w.h * scale, w.confidence)
            for w in read_words(_reduce(gray, scale), small_box)
        ]
    x0 = y0 = 0
    if box is not None:
        x0, y0 = box.x, box.y
        gray = gray[box.y : box.y + box.h, box.x : box.x + box.w]
    if gray.size == 0:
        return []
    words: list[Word] = []
    for variant in stroke_masks(gray):
        if (variant == 0).any():
            words += _recognise(variant, x0, y0)
    if not any(w.confidence >= 50 for w in words):
        words += _recognise(gray, x0, y0)
    return words


def _recognise(gray: np.ndarray, x0: int, y0: int) -> list[Word]:
    import tesserocr
    from PIL import Image

    scale = 3 if max(gray.shape) < 200 else 2 if max(gray.shape) < 1200 else 1
    image = Image.fromarray(np.ascontiguousarray(gray))
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.BICUBIC)
    api = _api()
    api.SetImage(image)
    api.Recognize()
    words: list[Word] = []
    iterator = api.GetIterator()
    if iterator is None:
        api.Clear()
        return words
    level = tesserocr.RIL.WORD
    for item in tesserocr.iterate_level(iterator, level):
        try:
            text = item.GetUTF8Text(level)
        except RuntimeError:  # an empty word box: tesserocr raises instead of returning ""
            continue
        bbox = item.BoundingBox(level)
        if not text or bbox is None:
            continue
        bx0, by0, bx1, by1 = bbox
        words.append(
            Word(
                text.strip(),
                x0 + bx0 // scale,
                y0 + by0 // scale,
                max(1, (bx1 - bx0 + scale - 1) // scale),
                max(1, (by1 - by0 + scale - 1) // scale),
                item.Confidence(level),
            )
        )
    api.Clear()
    return words
