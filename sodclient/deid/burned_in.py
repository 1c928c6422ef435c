"""Burned-in text: find it in every image (screen, then OCR), blank what identifies, keep the rest.

Every image is checked, whatever it says about itself: a cheap screen (screen.py) picks the parts of each
frame that may hold rendered text, tesseract reads them (ocr.py), and words matching the send's identifying
values or date/record-number patterns (deny_list.py) are blanked with a margin. Known vendor text bands
(templates.py, from CTP) and the ultrasound area outside the declared image regions are blanked even when
OCR reads nothing there, and so are boxes the sender drew. After blanking, the image is read again; if an
identifying word is still legible the file is left out. An image flagged as showing text that OCR cannot
locate is released only on the sender's boxes, and only when the screen then finds no text-like area left.
Pixels outside the boxes stay bit-identical.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from pydicom.dataset import Dataset

from sodclient.deid import ocr, pixels, screen
from sodclient.deid import raw_values as rv
from sodclient.deid.boxes import Box
from sodclient.deid.deny_list import DenyList
from sodclient.deid.errors import NotSafe
from sodclient.deid.pixels import PixelError

# Kinds of image that commonly carry burned-in text (PS3.15 E.3.1 mentions US and SC explicitly).
_RISKY_MODALITIES = {"US", "SC", "OT", "XC", "ES", "DOC"}
_SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"
_ULTRASOUND_CLASSES = {"1.2.840.10008.5.1.4.1.1.6.1", "1.2.840.10008.5.1.4.1.1.3.1", "1.2.840.10008.5.1.4.1.1.6.2"}
_PIXEL_TAGS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
_MIN_CONFIDENCE_FOR_FLAGGED = 40.0
MODALITY, SOP_CLASS, BURNED_IN, RECOGNIZABLE = 0x00080060, 0x00080016, 0x00280301, 0x00280302


@dataclass
class PixelOutcome:
    boxes: list[Box] = field(default_factory=list)  # blanked, for the report and the review dialog
    actions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ocr_frames: int = 0  # frames that went to OCR (after the screen)
    screened_frames: int = 0


def is_ultrasound(ds: Dataset) -> bool:
    return rv.text(ds, MODALITY).upper() == "US" or rv.text(ds, SOP_CLASS) in _ULTRASOUND_CLASSES


def risk_reason(ds: Dataset) -> str | None:
    """Why this image is likely to show text in its pixels (stricter checks apply), or None."""
    if rv.text(ds, BURNED_IN).upper() == "YES":
        return "it is flagged as having text burned into the pixels"
    if is_ultrasound(ds):
        return "ultrasound images usually show the patient header in the pixels"
    sop_class = rv.text(ds, SOP_CLASS)
    if sop_class.startswith(_SECONDARY_CAPTURE_PREFIX) or rv.text(ds, MODALITY).upper() in _RISKY_MODALITIES:
        return "screen captures and secondary captures usually show text in the pixels"
    return None


def ultrasound_outside_boxes(ds: Dataset) -> list[Box]:
    """The bands outside the bounding box of the declared ultrasound regions (where the header is)."""
    regions = ds.get("SequenceOfUltrasoundRegions") or []
    rows, cols = rv.integer(ds, pixels.ROWS), rv.integer(ds, pixels.COLUMNS)
    xs0, ys0, xs1, ys1 = [], [], [], []
    for region in regions:
        try:
            xs0.append(int(region.RegionLocationMinX0))
            ys0.append(int(region.RegionLocationMinY0))
            xs1.append(int(region.RegionLocationMaxX1))
            ys1.append(int(region.RegionLocationMaxY1))
        except (AttributeError, TypeError, ValueError):
            continue
    if not xs0:
        return []
    x0, y0, x1, y1 = max(0, min(xs0)), max(0, min(ys0)), min(cols - 1, max(xs1)), min(rows - 1, max(ys1))
    why = "outside the ultrasound regions"
    bands = [
        Box(0, 0, cols, y0, None, why),
        Box(0, y1 + 1, cols, rows - y1 - 1, None, why),
        Box(0, y0, x0, y1 - y0 + 1, None, why),
        Box(x1 + 1, y0, cols - x1 - 1, y1 - y0 + 1, None, why),
    ]
    return [b for b in bands if b.w > 0 and b.h > 0]


def _margin(word: ocr.Word) -> int:
    return max(2, word.h // 3)


# A cine loop repeats its text band in every frame, with a frame counter or clock that changes. After this
# many different readings of the same band, later frames reuse what those readings found there.
_READS_PER_REGION = 4


class _Reader:
    """Screens frames and OCRs what passes, caching identical crops (cine loops repeat their text)."""

    def __init__(self, deny: DenyList, flagged: bool):
        self.deny, self.flagged = deny, flagged
        self.cache: dict[bytes, list[ocr.Word]] = {}
        self.reads: dict[tuple, list[list[ocr.Word]]] = {}
        self.screened = self.ocr_frames = self.kept_words = 0

    def hits(self, frames: np.ndarray, photometric: str) -> list[Box]:
        boxes: list[Box] = []
        kept: set[str] = set()
        for index in range(frames.shape[0]):
            gray = pixels.gray8(frames[index], photometric)
            self.screened += 1
            regions = screen.regions(gray)
            if regions:
                self.ocr_frames += 1
            for region, scale in regions:
                crop = gray[region.y : region.y + region.h, region.x : region.x + region.w]
                key = hashlib.blake2b(crop.tobytes() + repr((region, scale)).encode(), digest_size=16).digest()
                words = self.cache.get(key)
                if words is None:
                    place = (region.x, region.y, region.w, region.h, scale)
                    earlier = self.reads.setdefault(place, [])
                    if len(earlier) >= _READS_PER_REGION:  # the same band again: reuse every reading
                        words = [w for reading in earlier for w in reading]
                    else:
                        words = self.cache[key] = ocr.read_words(gray, region, scale)
                        earlier.append(words)
                for word in words:
                    why = self.deny.why(word.text)
                    if (
                        why is None
                        and self.flagged
                        and word.confidence >= _MIN_CONFIDENCE_FOR_FLAGGED
                        and sum(c.isalnum() for c in word.text) >= 2
                    ):
                        why = "text on an image flagged as showing identifying text"
                    if why is None:
                        kept.add(word.text.casefold())
                        continue
                    m = _margin(word)
                    boxes.append(Box(word.x - m, word.y - m, word.w + 2 * m, word.h + 2 * m, index, f"OCR: {why}"))
        self.kept_words = len(kept)
        return boxes


def clean_pixels(
    ds: Dataset, template_boxes: list[Box], deny: DenyList, extra: list[Box], ocr_enabled: bool = True
) -> PixelOutcome:
    """Check and clean the pixels of `ds` in place. Raises NotSafe when the image cannot be made safe."""
    out = PixelOutcome()
    if not any(t in ds for t in _PIXEL_TAGS) or "Rows" not in ds:
        return out
    if rv.text(ds, RECOGNIZABLE).upper() == "YES":
        raise NotSafe("it is flagged as showing recognizable features (e.g. a face)")
    if "PixelData" not in ds:
        raise NotSafe("its floating-point pixels cannot be checked for burned-in text")
    flagged = rv.text(ds, BURNED_IN).upper() == "YES"
    risk = risk_reason(ds)
    if risk is not None and not ocr_enabled:
        raise NotSafe(f"left out because {risk} and reading text (OCR) was turned off")
    photometric = pixels.photometric(ds)
    try:
        frames = pixels.decoded_frames(ds)
    except PixelError as exc:
        raise NotSafe(f"{exc}, so burned-in text could not be checked") from exc

    fixed = list(extra)
    if is_ultrasound(ds) and "SequenceOfUltrasoundRegions" in ds:
        fixed += ultrasound_outside_boxes(ds)
    fixed += template_boxes
    reader = _Reader(deny, flagged)
    found: list[Box] = []
    if ocr_enabled:
        try:
            found = reader.hits(frames, photometric)
        except ocr.OcrUnavailable as exc:
            raise NotSafe(f"it may show text and {exc}") from exc
    out.screened_frames, out.ocr_frames = reader.screened, reader.ocr_frames
    boxes = fixed + found
    if not boxes:
        if flagged:
            raise NotSafe(
                "it is flagged as having text burned into the pixels, but the text could not be located to blank it"
            )
        if risk is not None:
            out.warnings.append(f"{risk}; OCR read no identifying text there: look at the image before sending")
        if reader.kept_words:
            out.actions.append(
                f"{reader.kept_words} different word(s) of non-identifying text read in the pixels and kept"
            )
        out.actions.append("pixel data unchanged (bit-identical)")
        return out

    was_rle = str(ds.file_meta.get("TransferSyntaxUID", "")) == "1.2.840.10008.1.2.5"
    was_compressed = not pixels.is_native(ds)
    why_not = pixels.make_native(ds)
    if why_not is not None:
        raise NotSafe(f"{why_not}, so the text found in it cannot be blanked")
    try:
        native = pixels.native_frames(ds)
    except PixelError as exc:
        raise NotSafe(f"{exc}, so the text found in it cannot be blanked") from exc
    photometric = pixels.photometric(ds)
    applied = pixels.blank(ds, native, boxes)
    if flagged and extra and not found and _text_like_left(native, photometric):
        raise NotSafe(
            "it is flagged as having text burned into the pixels, and text-like marks remain outside "
            "the areas blanked by hand"
        )
    if ocr_enabled and found:  # read again: nothing identifying may remain legible
        again = _Reader(deny, False).hits(native, photometric)
        if again:
            applied += pixels.blank(ds, native, [_grow(b) for b in again])
            if _Reader(deny, False).hits(native, photometric):
                raise NotSafe("identifying text in the pixels was still legible after blanking")
    note = pixels.store(ds, native, was_rle)
    out.boxes = applied
    ds.BurnedInAnnotation = "NO"
    kinds = sorted({b.why.split(":")[0] for b in applied})
    out.actions.append(f"{len(applied)} area(s) of the pixels blanked ({', '.join(kinds)}); all other pixels unchanged")
    if reader.kept_words:
        out.actions.append(f"{reader.kept_words} different word(s) of non-identifying text read in the pixels and kept")
    if was_compressed or was_rle:
        out.actions.append(note.replace("cleaned pixels", "compressed pixels decoded; cleaned pixels"))
    if is_ultrasound(ds) and not ds.get("SequenceOfUltrasoundRegions"):
        out.warnings.append("an ultrasound image without declared regions: check the blanked header areas")
    return out


def _text_like_left(frames: np.ndarray, photometric: str) -> bool:
    """Whether the cheap screen still sees text-like strokes in any blanked frame. A flagged image whose
    text OCR cannot read is released only on the sender's boxes; they must cover every such area."""
    return any(screen.regions(pixels.gray8(frames[index], photometric)) for index in range(frames.shape[0]))


def _grow(box: Box) -> Box:
    return Box(box.x - 2, box.y - 2, box.w + 4, box.h + 4, box.frame, box.why)
