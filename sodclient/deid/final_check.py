"""The final check of one cleaned file, with the whole send's identifying values (run by the engine).

Raw bytes are searched (residual.ResidualScanner) and so is every decoded DICOM text value
(residual.TextScanner, fed by the workers' text digests). For a DICOM file with a hit, each element is looked
at: a hit in a controlled-vocabulary value that is wholly a vocabulary term (Manufacturer "Philips", Body Part
"HEAD", kernel "LUNG", TG-263 "Heart") is accepted; a hit in an attribute the file can lose removes that
attribute and the file is kept; a hit in something it cannot lose (pixels, a required value, report text)
leaves the file out. The rewritten file is searched again, whole, before it may be released.

Photos (JPEG, PNG, TIFF) are read here too, with the whole send's identifying values (a photo has no header
to take them from): screen, OCR, and a photo whose picture shows an identifying word or a date is left out
with the reason (its compressed picture is kept byte for byte, so it is never blanked and re-encoded).
"""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.datadict import keyword_for_tag
from pydicom.multival import MultiValue

from sodclient.deid import raw_values
from sodclient.deid.residual import ResidualScanner, TextScanner
from sodclient.deid.vocabulary import judged_by_vocabulary

_STRING_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"}
)
# Values a file cannot lose: its pixels, what makes it an object of its class, and report text (SR).
REQUIRED = frozenset(
    {
        0x7FE00010,
        0x7FE00008,
        0x7FE00009,
        0x00080016,
        0x00080018,
        0x00080060,
        0x00080008,
        0x00280004,
        0x00080005,
        0x0040A160,
        0x00020002,
        0x00020003,
        0x00020010,
    }
)


_PHOTO_EXTS = (".jpg", ".png", ".tif")


def check(result, scanner: ResidualScanner, text_scanner: TextScanner, deny=None, ocr_enabled: bool = True) -> None:
    """Leave `result` out (result.reason) or fix its staged file; nothing when it is clean."""
    staged = Path(result.staged)
    if result.ext in _PHOTO_EXTS and deny is not None and ocr_enabled:
        why = _photo_text(staged, deny, result)
        if why is not None:
            result.reason = f"the picture shows {why} (read by OCR); photos are not blanked"
            return
    text_hit = text_scanner.find("\n".join(t for _tag, t in result.texts))
    hit = scanner.scan_file(staged) or text_hit
    if hit is None:
        return
    if result.ext != ".dcm":
        result.reason = f"a {hit} of the patient was still found in the cleaned copy"
        return
    _fix_dicom(result, staged, scanner, text_scanner)


def _value_text(elem) -> str:
    value = elem.value
    if isinstance(value, (MultiValue, list, tuple)):
        return "\\".join(map(str, value))
    return "" if value is None else str(value)


def _fix_dicom(result, staged: Path, scanner: ResidualScanner, text_scanner: TextScanner) -> None:
    try:
        ds = pydicom.dcmread(staged)
    except Exception:  # our own output should always read back; if not, it cannot be released
        result.reason = "the cleaned copy could not be checked again"
        return
    removed: list[str] = []
    accepted: list[bytes] = []
    blocked: list[str] = []

    def visit(dataset) -> None:
        for key in list(dataset.keys()):
            tag = int(key)
            raw = dataset.get_item(key)
            vr = raw_values.vr(dataset, key)
            if vr == "SQ":
                for item in dataset[key].value or []:
                    visit(item)
                continue
            raw_bytes = raw.value if getattr(raw, "is_raw", False) and isinstance(raw.value, bytes) else None
            hit = scanner.scan(raw_bytes) if raw_bytes else None
            text = None
            if vr in _STRING_VRS:
                text = _value_text(dataset[key])
                hit = hit or text_scanner.find(text)
            if hit is None:
                continue
            if text is not None and judged_by_vocabulary(tag, text):
                if raw_bytes:
                    accepted.append(raw_bytes)
                continue
            if tag in REQUIRED:
                blocked.append(hit)
                continue
            del dataset[key]
            removed.append(keyword_for_tag(tag) or ("private attribute" if tag >> 16 & 1 else "unknown attribute"))

    visit(ds)
    if ds.file_meta is not None:
        visit(ds.file_meta)
    if blocked:
        result.reason = (
            f"a {blocked[0]} of the patient was still found in the cleaned copy, in a part the file "
            "cannot lose (its pixels, report text or a required value)"
        )
        return
    if removed:
        try:
            ds.save_as(staged, enforce_file_format=True)
        except Exception:  # pydicom raises several types for values it cannot encode
            result.reason = "the cleaned copy could not be rewritten without the identifying attribute"
            return
        names = ", ".join(sorted(set(removed)))
        result.actions.append(
            f"{len(removed)} attribute(s) removed by the final check because they held an identifying value ({names})"
        )
    data = staged.read_bytes()
    for value in accepted:  # vocabulary terms accepted above may match the raw search
        data = data.replace(value, b"\x00" * len(value))
    again = scanner.scan(data)
    if again is not None:
        result.reason = f"a {again} of the patient was still found in the cleaned copy"
    elif accepted:
        result.actions.append(
            f"{len(accepted)} value(s) matching a patient's name kept because they are terms of "
            "their attribute's vocabulary (e.g. a vendor or body part)"
        )


def _photo_text(path: Path, deny, result) -> str | None:
    """What identifying text OCR reads in a photo ('an identifying value', 'a date', ...), or None."""
    import numpy as np
    from PIL import Image

    from sodclient.deid import ocr, screen

    try:
        with Image.open(path) as image:
            frames = []
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                frames.append(np.asarray(image.convert("L")))
    except Exception:  # Pillow raises many types; the cleaning step already decoded it once
        return "something that could not be read again"
    for gray in frames:
        result.screened += 1
        regions = screen.regions(gray)
        if regions:
            result.ocr_frames += 1
        for region, scale in regions:
            for word in ocr.read_words(gray, region, scale):
                why = deny.why(word.text)
                if why is not None:
                    return "an " + why if why[0] in "aeiou" else "a " + why
    return None
